"""Pages of drives and charging sessions: keyset pagination (newest first), opaque cursors, a page cap."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.models import ChargingSessionRow, DriveRow
from teslasync.db.repositories.derived import Page
from teslasync.errors import TeslaSyncError, require_scope

MAX_PAGE = 100


class BadPage(TeslaSyncError):
    code = "BAD_PAGE"


def encode_cursor(started_at: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{started_at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), int(row_id)
    except (ValueError, UnicodeDecodeError):
        raise BadPage("not a cursor this API gave out") from None


def page(
    first: int, after: str | None, since: datetime | None, until: datetime | None, points: bool = True
) -> Page:
    if not 1 <= first <= MAX_PAGE:
        raise BadPage(f"first must be between 1 and {MAX_PAGE}")
    return Page(first, decode_cursor(after) if after else None, since, until, points)


async def drives(context: Context, vehicle_id: int, wanted: Page) -> list[Any]:
    require_scope(context.principal, Scope.READ)
    return await context.loaders.drive_pages.load((vehicle_id, wanted))


async def charging_sessions(context: Context, vehicle_id: int, wanted: Page) -> list[Any]:
    require_scope(context.principal, Scope.READ)
    return await context.loaders.charging_pages.load((vehicle_id, wanted))


async def one_drive(context: Context, drive_id: int) -> DriveRow | None:
    """A drive by id, or None when there is none the caller may see (the same answer: ids do not leak)."""
    require_scope(context.principal, Scope.READ)
    row = await context.session.get(DriveRow, drive_id)
    return row if row is not None and context.principal.role_for(row.vehicle_id) is not None else None


async def one_charging_session(context: Context, session_id: int) -> ChargingSessionRow | None:
    require_scope(context.principal, Scope.READ)
    row = await context.session.get(ChargingSessionRow, session_id)
    return row if row is not None and context.principal.role_for(row.vehicle_id) is not None else None
