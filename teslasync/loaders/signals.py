from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from teslasync.db.models import VehicleStream
from teslasync.db.repositories import signals as repo
from teslasync.db.repositories import telemetry as telemetry_repo
from teslasync.db.repositories.signals import LatestRow


def latest_signals_loader(session: Callable[[], AsyncSession]) -> DataLoader[int, list[LatestRow]]:
    """vehicle id -> its latest value per field (one query for any number of vehicles)."""

    async def load(vehicle_ids: list[int]) -> list[list[LatestRow]]:
        rows = await repo.latest_for(session(), vehicle_ids)
        grouped: dict[int, list[LatestRow]] = {vehicle_id: [] for vehicle_id in vehicle_ids}
        for row in rows:
            grouped[row.vehicle_id].append(row)
        return [grouped[vehicle_id] for vehicle_id in vehicle_ids]

    return DataLoader(load_fn=load)


def streams_loader(session: Callable[[], AsyncSession]) -> DataLoader[int, list[VehicleStream]]:
    """vehicle id -> what each source last told about its stream."""

    async def load(vehicle_ids: list[int]) -> list[list[VehicleStream]]:
        grouped: dict[int, list[VehicleStream]] = {vehicle_id: [] for vehicle_id in vehicle_ids}
        for row in await telemetry_repo.streams_for(session(), vehicle_ids):
            grouped[row.vehicle_id].append(row)
        return [grouped[vehicle_id] for vehicle_id in vehicle_ids]

    return DataLoader(load_fn=load)
