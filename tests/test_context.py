"""An operation's context lets go of what it loaded when the operation ends."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from teslasync.db.engine import Database
from teslasync.db.models import DriveRow
from teslasync.db.repositories import derived as derived_repo
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
    loaded: list[weakref.ref[Any]] = []
    pages_for = derived_repo.pages_for

    async def watched(*args: Any) -> dict[int, list[Any]]:
        pages = await pages_for(*args)
        loaded.extend(weakref.ref(row) for rows in pages.values() for row in rows)
        return pages

    monkeypatch.setattr(derived_repo, "pages_for", watched)
    body = (await client.post("/graphql", json={"query": QUERY, "variables": {"vin": VIN}})).json()
    assert "errors" not in body, body
    assert len(body["data"]["vehicle"]["drives"]["edges"]) == 3
    assert len(loaded) == 3
    # the collector is off: rows still alive now would be held by a reference cycle
    assert [ref() for ref in loaded] == [None, None, None]
