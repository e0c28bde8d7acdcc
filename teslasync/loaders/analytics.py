from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow
from teslasync.db.repositories import analytics as repo

Row = TypeVar("Row", DriveRow, ChargingSessionRow, VehicleStateRow)
Window = tuple[datetime | None, datetime | None]
WindowKey = tuple[int, Window]


def records_loader(session: Callable[[], AsyncSession], model: type[Row]) -> DataLoader[WindowKey, list[Row]]:
    """(vehicle id, (since, until)) -> its records overlapping the window; one statement per window."""

    async def load(keys: list[WindowKey]) -> list[list[Row]]:
        by_window: dict[Window, list[int]] = {}
        for vehicle_id, window in keys:
            by_window.setdefault(window, []).append(vehicle_id)
        found: dict[WindowKey, list[Row]] = {}
        for window, vehicle_ids in by_window.items():
            rows = await repo.records_of(session(), model, vehicle_ids, *window)
            for vehicle_id, records in rows.items():
                found[(vehicle_id, window)] = records
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
