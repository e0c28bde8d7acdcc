"""The Fleet Telemetry configuration pushed to each car, and whether the car has taken it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import TelemetryConfigRow


async def pushed(session: AsyncSession, vehicle_id: int, config: dict[str, object], at: datetime) -> None:
    await session.execute(
        insert(TelemetryConfigRow)
        .values(vehicle_id=vehicle_id, config=config, pushed_at=at, synced=False, checked_at=None)
        .on_conflict_do_update(
            index_elements=[TelemetryConfigRow.vehicle_id],
            set_={"config": config, "pushed_at": at, "synced": False, "checked_at": None},
        )
    )


async def checked(session: AsyncSession, vehicle_id: int, synced: bool, at: datetime) -> None:
    await session.execute(
        update(TelemetryConfigRow)
        .where(TelemetryConfigRow.vehicle_id == vehicle_id)
        .values(synced=synced, checked_at=at)
    )


async def of_vehicle(session: AsyncSession, vehicle_id: int) -> TelemetryConfigRow | None:
    return await session.get(TelemetryConfigRow, vehicle_id, populate_existing=True)


async def forget(session: AsyncSession, vehicle_id: int) -> None:
    row = await session.get(TelemetryConfigRow, vehicle_id)
    if row is not None:
        await session.delete(row)
