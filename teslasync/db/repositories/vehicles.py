from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import Vehicle, VehicleEvent


async def list_vehicles(session: AsyncSession, ids: frozenset[int] | None = None) -> Sequence[Vehicle]:
    """Every vehicle (`ids` None), or those of `ids`, in id order."""
    query = select(Vehicle).order_by(Vehicle.id)
    if ids is not None:
        query = query.where(Vehicle.id.in_(ids))
    return (await session.scalars(query)).all()


# built once: every query that names a car looks it up, and building the statement each time was ~0.12 ms
_BY_VINS = select(Vehicle).where(Vehicle.vin.in_(bindparam("vins", expanding=True)))


async def by_vins(session: AsyncSession, vins: Sequence[str]) -> dict[str, Vehicle]:
    rows = await session.scalars(_BY_VINS, {"vins": list(vins)})
    return {row.vin: row for row in rows}


async def ensure_vehicle(
    session: AsyncSession, vin: str, model: str | None = None, display_name: str | None = None
) -> Vehicle:
    """Register a VIN on first sight; an existing row is returned as it is."""
    statement = (
        insert(Vehicle)
        .values(vin=vin, model=model, display_name=display_name)
        .on_conflict_do_nothing(index_elements=[Vehicle.vin])
    )
    await session.execute(statement)
    vehicle = await session.scalar(select(Vehicle).where(Vehicle.vin == vin))
    assert vehicle is not None
    return vehicle


async def link_account(session: AsyncSession, vehicle_id: int, account_id: int) -> None:
    """The Tesla account commands and Fleet API requests for this vehicle go through."""
    await session.execute(update(Vehicle).where(Vehicle.id == vehicle_id).values(tesla_account_id=account_id))


async def alerts(
    session: AsyncSession, vehicle_id: int, since: datetime | None, limit: int
) -> Sequence[VehicleEvent]:
    query = (
        select(VehicleEvent)
        .where(VehicleEvent.vehicle_id == vehicle_id, VehicleEvent.kind == "alert")
        .order_by(VehicleEvent.ts.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(VehicleEvent.ts >= since)
    return (await session.scalars(query)).all()
