"""Derived records (drives, charging sessions): read the signals they come from, replace them wholesale
from a point in time on, so that recomputing gives the same rows however often it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, cast, delete, func, select, text, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from teslasync.db.models import ChargingSessionRow, DriveRow


async def signals_since(
    session: AsyncSession, vehicle_id: int, since: datetime | None, batch: int = 10_000
) -> AsyncIterator[tuple[datetime, str, float | None, str | None, object]]:
    """(ts, field, num, txt, doc) in time order, streamed in batches (a year of data does not fit memory)."""
    result = await session.stream(
        text(
            "SELECT ts, field, num, txt, doc FROM signals WHERE vehicle_id = :v "
            "AND (CAST(:since AS timestamptz) IS NULL OR ts >= :since) ORDER BY ts, field"
        ).execution_options(yield_per=batch),
        {"v": vehicle_id, "since": since},
    )
    async for row in result:
        yield row.ts, row.field, row.num, row.txt, row.doc


async def latest_before(
    session: AsyncSession, vehicle_id: int, since: datetime
) -> list[tuple[datetime, str, float | None, str | None, object]]:
    """The last value of each field before `since`, oldest first: the state a recompute starts from."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (field) ts, field, num, txt, doc FROM signals "
            "WHERE vehicle_id = :v AND ts < :since ORDER BY field, ts DESC"
        ),
        {"v": vehicle_id, "since": since},
    )
    return sorted(((r.ts, r.field, r.num, r.txt, r.doc) for r in rows), key=lambda r: r[0])


async def replace_since(
    session: AsyncSession,
    vehicle_id: int,
    since: datetime | None,
    drives: Sequence[DriveRow],
    sessions: Sequence[ChargingSessionRow],
) -> None:
    for model in (DriveRow, ChargingSessionRow):
        statement = delete(model).where(model.vehicle_id == vehicle_id)
        if since is not None:
            statement = statement.where(model.started_at >= since)
        await session.execute(statement)
    session.add_all([*drives, *sessions])
    await session.flush()


@dataclass(frozen=True, slots=True)
class Page:
    """A keyset page: newest first, after the (started_at, id) of the cursor."""

    first: int
    after: tuple[datetime, int] | None
    since: datetime | None
    until: datetime | None


async def pages_for(
    session: AsyncSession,
    model: type[DriveRow] | type[ChargingSessionRow],
    vehicle_ids: Sequence[int],
    page: Page,
) -> dict[int, list[Any]]:
    """One page per vehicle in one statement (a lateral join), with one row more than asked for, so that the
    caller knows whether there is a next page. No OFFSET: the cursor is the last row's (started_at, id)."""
    ids = func.unnest(cast(list(vehicle_ids), ARRAY(BigInteger))).table_valued("id").render_derived(name="v")
    conditions = [model.vehicle_id == ids.c.id]
    if page.since is not None:
        conditions.append(model.started_at >= page.since)
    if page.until is not None:
        conditions.append(model.started_at < page.until)
    if page.after is not None:
        conditions.append(tuple_(model.started_at, model.id) < tuple_(*page.after))
    rows_of_vehicle = (
        select(model)
        .where(*conditions)
        .order_by(model.started_at.desc(), model.id.desc())
        .limit(page.first + 1)
        .lateral("t")
    )
    statement = select(aliased(model, rows_of_vehicle)).select_from(ids).join(rows_of_vehicle, true())
    grouped: dict[int, list[Any]] = {vehicle_id: [] for vehicle_id in vehicle_ids}
    rows: Sequence[Any] = (await session.scalars(statement)).all()
    for row in rows:
        grouped[row.vehicle_id].append(row)
    return grouped
