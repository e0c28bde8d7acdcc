from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow
from teslasync.db.repositories import derived as repo
from teslasync.db.repositories.derived import Page

PageKey = tuple[int, Page]


def page_loader(
    session: Callable[[], AsyncSession],
    model: type[DriveRow] | type[ChargingSessionRow] | type[VehicleStateRow],
) -> DataLoader[PageKey, list[Any]]:
    """(vehicle id, page) -> rows; one statement per distinct page, whatever the number of vehicles."""

    async def load(keys: list[PageKey]) -> list[list[Any]]:
        by_page: dict[Page, list[int]] = {}
        for vehicle_id, page in keys:
            by_page.setdefault(page, []).append(vehicle_id)
        found: dict[PageKey, list[Any]] = {}
        for page, vehicle_ids in by_page.items():
            for vehicle_id, rows in (await repo.pages_for(session(), model, vehicle_ids, page)).items():
                found[(vehicle_id, page)] = rows
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
