"""Derived records (drives, charging sessions): read the signals they come from, replace them wholesale
from a point in time on, so that recomputing gives the same rows however often it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

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


async def drives_for(session: AsyncSession, vehicle_id: int) -> Sequence[DriveRow]:
    return (
        await session.scalars(
            select(DriveRow).where(DriveRow.vehicle_id == vehicle_id).order_by(DriveRow.started_at)
        )
    ).all()


async def charging_sessions_for(session: AsyncSession, vehicle_id: int) -> Sequence[ChargingSessionRow]:
    query = (
        select(ChargingSessionRow)
        .where(ChargingSessionRow.vehicle_id == vehicle_id)
        .order_by(ChargingSessionRow.started_at)
    )
    return (await session.scalars(query)).all()
