from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from teslasync.db.repositories import series as repo

# (vehicle id, (fields, since, until, step)): one statement per distinct request, whatever the vehicles
SeriesRequest = tuple[tuple[str, ...], datetime, datetime, timedelta]
SeriesKey = tuple[int, SeriesRequest]
PositionsRequest = tuple[datetime, datetime, timedelta]
PositionsKey = tuple[int, PositionsRequest]


def series_loader(session: Callable[[], AsyncSession]) -> DataLoader[SeriesKey, list[repo.Bucket]]:
    async def load(keys: list[SeriesKey]) -> list[list[repo.Bucket]]:
        by_request: dict[SeriesRequest, list[int]] = {}
        for vehicle_id, request in keys:
            by_request.setdefault(request, []).append(vehicle_id)
        found: dict[SeriesKey, list[repo.Bucket]] = {key: [] for key in keys}
        for request, vehicle_ids in by_request.items():
            fields, since, until, step = request
            for bucket in await repo.buckets(session(), vehicle_ids, fields, since, until, step):
                found[(bucket.vehicle_id, request)].append(bucket)
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def positions_loader(session: Callable[[], AsyncSession]) -> DataLoader[PositionsKey, list[repo.Position]]:
    async def load(keys: list[PositionsKey]) -> list[list[repo.Position]]:
        by_request: dict[PositionsRequest, list[int]] = {}
        for vehicle_id, request in keys:
            by_request.setdefault(request, []).append(vehicle_id)
        found: dict[PositionsKey, list[repo.Position]] = {key: [] for key in keys}
        for request, vehicle_ids in by_request.items():
            for position in await repo.positions(session(), vehicle_ids, *request):
                found[(position.vehicle_id, request)].append(position)
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
