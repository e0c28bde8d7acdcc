from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow
from teslasync.db.repositories import analytics as repo
from teslasync.loaders.batching import per_vehicle

Row = TypeVar("Row", DriveRow, ChargingSessionRow, VehicleStateRow)
Window = tuple[datetime | None, datetime | None]
WindowKey = tuple[int, Window]


def records_loader(session: Callable[[], AsyncSession], model: type[Row]) -> DataLoader[WindowKey, list[Row]]:
    """(vehicle id, (since, until)) -> its records overlapping the window; one statement per window."""

    async def fetch(window: Window, vehicle_ids: list[int]) -> dict[int, list[Row]]:
        return await repo.records_of(session(), model, vehicle_ids, *window)

    return per_vehicle(fetch, list)
