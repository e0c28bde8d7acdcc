from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from teslasync.db.repositories import series as repo
from teslasync.loaders.batching import by_vehicle, per_vehicle

# (fields, since, until, step) and (since, until, step): the vehicles asking the same are fetched together
SeriesRequest = tuple[tuple[str, ...], datetime, datetime, timedelta]
PositionsRequest = tuple[datetime, datetime, timedelta]


def series_loader(
    session: Callable[[], AsyncSession],
) -> DataLoader[tuple[int, SeriesRequest], list[repo.Bucket]]:
    async def fetch(request: SeriesRequest, vehicle_ids: list[int]) -> dict[int, list[repo.Bucket]]:
        return by_vehicle(await repo.buckets(session(), vehicle_ids, *request))

    return per_vehicle(fetch, list)


def positions_loader(
    session: Callable[[], AsyncSession],
) -> DataLoader[tuple[int, PositionsRequest], list[repo.Position]]:
    async def fetch(request: PositionsRequest, vehicle_ids: list[int]) -> dict[int, list[repo.Position]]:
        return by_vehicle(await repo.positions(session(), vehicle_ids, *request))

    return per_vehicle(fetch, list)
