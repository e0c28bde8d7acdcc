"""An operation's context lets go of what it loaded when the operation ends."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from teslasync import loaders as loaders_module
from teslasync.db.engine import Database
from teslasync.db.models import DriveRow
from teslasync.db.repositories.vehicles import ensure_vehicle

VIN = "5YJ3E7EB2NF000401"
QUERY = """query($vin: String!) {
  vehicle(vin: $vin) { drives(first: 5) { edges { node { id track { latitude } } } } }
}"""


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_a_querys_rows_are_freed_when_it_ends_not_at_the_collectors_next_pass(
    client: AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch, collector_off: None
) -> None:
    start = datetime(2026, 1, 1, 10, tzinfo=UTC)
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, VIN)
        for n in range(3):
            session.add(
                DriveRow(
                    vehicle_id=vehicle.id,
                    started_at=start + timedelta(hours=n),
                    closed_by="park",
                    distance_km=1.0,
                    track=[[start.isoformat(), 52.5, 13.4]],
                )
            )
    loaders: list[weakref.ref[Any]] = []
    page_loader = loaders_module.page_loader

    def watched(*args: Any) -> Any:
        loader = page_loader(*args)
        loaders.append(weakref.ref(loader))
        return loader

    monkeypatch.setattr(loaders_module, "page_loader", watched)
    body = (await client.post("/graphql", json={"query": QUERY, "variables": {"vin": VIN}})).json()
    assert "errors" not in body, body
    assert len(body["data"]["vehicle"]["drives"]["edges"]) == 3
    assert len(loaders) == 1
    # the collector is off: a loader (with the rows it cached) still alive now would be held by a cycle
    assert loaders[0]() is None
