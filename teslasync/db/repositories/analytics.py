"""What the battery, drain and daily figures are computed from: each vehicle's derived records, read for
many vehicles in one statement each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow

Row = TypeVar("Row", DriveRow, ChargingSessionRow, VehicleStateRow)


async def records_of(
    session: AsyncSession,
    model: type[Row],
    vehicle_ids: Sequence[int],
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[int, list[Row]]:
    """Per vehicle, its records that overlap [since, until) (all when unbounded), oldest first."""
    statement = select(model).where(model.vehicle_id.in_(vehicle_ids))
    if since is not None:
        statement = statement.where((model.ended_at.is_(None)) | (model.ended_at > since))
    if until is not None:
        statement = statement.where(model.started_at < until)
    grouped: dict[int, list[Row]] = {vehicle_id: [] for vehicle_id in vehicle_ids}
    for row in (await session.scalars(statement.order_by(model.started_at))).all():
        grouped[row.vehicle_id].append(row)
    return grouped
