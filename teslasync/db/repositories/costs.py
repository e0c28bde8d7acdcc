"""Geofences and tariffs, and the charging sessions whose cost depends on them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import ChargingSessionRow, GeofenceRow, TariffRow


async def geofences(session: AsyncSession) -> Sequence[GeofenceRow]:
    return (await session.scalars(select(GeofenceRow).order_by(GeofenceRow.id))).all()


async def tariffs(session: AsyncSession) -> Sequence[TariffRow]:
    return (await session.scalars(select(TariffRow).order_by(TariffRow.id))).all()


async def geofence(session: AsyncSession, geofence_id: int) -> GeofenceRow | None:
    return await session.get(GeofenceRow, geofence_id)


async def tariff(session: AsyncSession, tariff_id: int) -> TariffRow | None:
    return await session.get(TariffRow, tariff_id)


async def delete_geofence(session: AsyncSession, geofence_id: int) -> bool:
    result = await session.execute(delete(GeofenceRow).where(GeofenceRow.id == geofence_id))
    return bool(getattr(result, "rowcount", 0))


async def delete_tariff(session: AsyncSession, tariff_id: int) -> bool:
    result = await session.execute(delete(TariffRow).where(TariffRow.id == tariff_id))
    return bool(getattr(result, "rowcount", 0))


async def sessions_to_price(
    session: AsyncSession, tariff_id: int | None = None, batch: int = 500
) -> AsyncIterator[Sequence[ChargingSessionRow]]:
    """Charging sessions in batches: all of them, or those in a geofence priced by `tariff_id`."""
    last_id = 0
    while True:
        statement = select(ChargingSessionRow).where(ChargingSessionRow.id > last_id)
        if tariff_id is not None:
            statement = statement.where(
                ChargingSessionRow.geofence_id.in_(
                    select(GeofenceRow.id).where(GeofenceRow.tariff_id == tariff_id)
                )
            )
        rows = (await session.scalars(statement.order_by(ChargingSessionRow.id).limit(batch))).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1].id
