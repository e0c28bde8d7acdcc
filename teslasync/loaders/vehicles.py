from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from teslasync.db.models import Vehicle
from teslasync.db.repositories import vehicles as repo


def vehicle_by_vin_loader(session: Callable[[], AsyncSession]) -> DataLoader[str, Vehicle | None]:
    async def load(vins: list[str]) -> list[Vehicle | None]:
        found = await repo.by_vins(session(), vins)
        return [found.get(vin) for vin in vins]

    return DataLoader(load_fn=load)
