from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow
from teslasync.db.repositories import derived as repo
from teslasync.db.repositories.derived import Page
from teslasync.loaders.batching import per_vehicle

PageKey = tuple[int, Page]


def page_loader(
    session: Callable[[], AsyncSession],
    model: type[DriveRow] | type[ChargingSessionRow] | type[VehicleStateRow],
) -> DataLoader[PageKey, list[Any]]:
    """(vehicle id, page) -> rows; one statement per distinct page, whatever the number of vehicles."""

    async def fetch(page: Page, vehicle_ids: list[int]) -> dict[int, list[Any]]:
        return await repo.pages_for(session(), model, vehicle_ids, page)

    return per_vehicle(fetch, list)
