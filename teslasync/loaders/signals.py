from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

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


StreamFacts = tuple[list[tuple[str, object]], tuple[str, object] | None]


def stream_facts_loader(session: Callable[[], AsyncSession]) -> DataLoader[int, StreamFacts]:
    """vehicle id -> ((source, last_seen_at) per source, last connectivity event)."""

    async def load(vehicle_ids: list[int]) -> list[StreamFacts]:
        streams = await telemetry_repo.streams_for(session(), vehicle_ids)
        connectivity = await telemetry_repo.last_connectivity(session(), vehicle_ids)
        seen: dict[int, list[tuple[str, object]]] = {vehicle_id: [] for vehicle_id in vehicle_ids}
        for stream in streams:
            seen[stream.vehicle_id].append((stream.source, stream.last_seen_at))
        return [(seen[vehicle_id], connectivity.get(vehicle_id)) for vehicle_id in vehicle_ids]

    return DataLoader(load_fn=load)
