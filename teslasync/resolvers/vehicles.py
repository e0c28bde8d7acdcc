"""The vehicles a principal may see: every one for an administrator, the shared ones for anyone else. What
hangs off a vehicle is reached through it, so these entry points are where visibility is decided."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.models import Vehicle
from teslasync.db.repositories import vehicles as repo
from teslasync.errors import require_scope
from teslasync.resolvers.derived import BadPage

MAX_ALERTS = 200


async def list_vehicles(context: Context) -> Sequence[Vehicle]:
    require_scope(context.principal, Scope.READ)
    return await repo.list_vehicles(context.session, context.principal.vehicle_filter)


async def vehicle_by_vin(context: Context, vin: str) -> Vehicle | None:
    """The vehicle, or None when there is none *or* it is not shared with the principal: the two look the
    same, so a VIN's existence does not leak."""
    require_scope(context.principal, Scope.READ)
    vehicle = await context.loaders.vehicle_by_vin.load(vin.strip().upper())
    if vehicle is None or context.principal.role_for(vehicle.id) is None:
        return None
    return vehicle


@dataclass(frozen=True)
class Alert:
    name: str
    started_at: datetime
    ended_at: datetime | None
    audiences: list[str]


def _alert(name: str, started_at: datetime, doc: object) -> Alert:
    """Alerts are stored as the car sent them: `{StartedAt, EndedAt, Audiences}` (MQTT) or
    `{name, startedAt, endedAt, audiences}` (the protobuf's JSON)."""
    fields = doc if isinstance(doc, dict) else {}
    ended = fields.get("EndedAt") or fields.get("endedAt")
    audiences = fields.get("Audiences") or fields.get("audiences") or []
    try:
        ended_at = datetime.fromisoformat(str(ended).replace("Z", "+00:00")) if ended else None
    except ValueError:
        ended_at = None
    return Alert(
        name, started_at, ended_at, [str(a) for a in audiences] if isinstance(audiences, list) else []
    )


async def alerts(context: Context, vin: str, since: datetime | None, first: int) -> list[Alert] | None:
    """The vehicle's alerts, newest first; None when the caller does not see the vehicle."""
    vehicle = await vehicle_by_vin(context, vin)
    if vehicle is None:
        return None
    if not 1 <= first <= MAX_ALERTS:
        raise BadPage(f"first must be between 1 and {MAX_ALERTS}")
    rows = await repo.alerts(context.session, vehicle.id, since, first)
    return [_alert(row.name, row.ts, row.doc) for row in rows]
