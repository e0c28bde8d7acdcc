"""Derived drives and charging sessions through GraphQL: pages, cursors, the page cap."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from teslasync.analytics import polyline
from teslasync.db.engine import Database
from teslasync.jobs.recompute import recompute
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.sources.replay import replay
from tests.conftest import client_for, make_settings

VIN = "5YJ3E7EA3LF700000"
QUERY = """
query($vin: String!, $first: Int!, $after: String) {
  vehicle(vin: $vin) {
    drives(first: $first, after: $after) {
      edges { cursor node { startedAt endedAt distanceKm maxSpeedKmh durationSeconds trackPolyline track { at latitude longitude } } }
      pageInfo { hasNextPage endCursor }
    }
    chargingSessions(first: 5) { edges { node { chargerType energyAddedKwh maxPowerKw endedAt curve { powerKw } } } }
  }
}
"""


async def test_drives_and_sessions_pages(tmp_path: Path, pipeline: Pipeline, fixtures_dir: Path) -> None:
    await replay(pipeline, [fixtures_dir / "DCCharging1.txt", fixtures_dir / "DrivingByGear.txt"])
    await recompute(pipeline.db, VIN)
    async with client_for(make_settings(tmp_path, demo=True), pipeline.db) as client:
        first = (
            await client.post("/graphql", json={"query": QUERY, "variables": {"vin": VIN, "first": 1}})
        ).json()
        assert "errors" not in first, first
        vehicle = first["data"]["vehicle"]
        [edge] = vehicle["drives"]["edges"]
        assert round(edge["node"]["distanceKm"], 3) == 2.987
        assert edge["node"]["durationSeconds"] == 312.0 or abs(edge["node"]["durationSeconds"] - 312) < 1
        assert len(edge["node"]["track"]) >= 6
        decoded = polyline.decode(edge["node"]["trackPolyline"])
        track = [(p["latitude"], p["longitude"]) for p in edge["node"]["track"]]
        assert len(decoded) == len(track)
        times = [datetime.fromisoformat(p["at"]) for p in edge["node"]["track"]]
        assert times == sorted(times)
        assert datetime.fromisoformat(edge["node"]["startedAt"]) <= times[0]
        # the car's last position may come after P, while the drive settles (60 s; docs/analytics.md)
        assert times[-1] <= datetime.fromisoformat(edge["node"]["endedAt"]) + timedelta(seconds=60)
        assert all(t.utcoffset() is not None and t.utcoffset().total_seconds() == 0 for t in times)
        for got, want in zip(decoded, track, strict=True):
            assert got == pytest.approx(want, abs=1e-5)  # 5 decimals: about a metre
        assert vehicle["drives"]["pageInfo"] == {"hasNextPage": False, "endCursor": edge["cursor"]}
        [charge] = vehicle["chargingSessions"]["edges"]
        assert charge["node"]["chargerType"] == "DC"
        assert round(charge["node"]["energyAddedKwh"], 2) == 36.26
        assert len(charge["node"]["curve"]) == 32

        after = await client.post(
            "/graphql", json={"query": QUERY, "variables": {"vin": VIN, "first": 1, "after": edge["cursor"]}}
        )
        assert after.json()["data"]["vehicle"]["drives"]["edges"] == []

        too_many = await client.post(
            "/graphql", json={"query": QUERY, "variables": {"vin": VIN, "first": 101}}
        )
        assert too_many.json()["errors"][0]["extensions"]["code"] == "BAD_PAGE"
        bad_cursor = await client.post(
            "/graphql", json={"query": QUERY, "variables": {"vin": VIN, "first": 1, "after": "bm9wZQ=="}}
        )
        assert bad_cursor.json()["errors"][0]["extensions"]["code"] == "BAD_PAGE"


async def test_statements_do_not_grow_with_the_number_of_vehicles(tmp_path: Path, fresh_db: Database) -> None:
    """`{ vehicles { ...every relation and figure a vehicle has... } }` runs as many SQL statements for one
    vehicle as for a hundred: every relation is loaded in batches."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import event

    from teslasync.db.models import DriveRow
    from teslasync.db.repositories.vehicles import ensure_vehicle

    query = (
        "{ vehicles { vin streamState signals { name } "
        "drives(first: 2) { edges { node { id energyUsedKwh consumption } } } "
        "chargingSessions(first: 2) { edges { node { id geofence { name } } } } "
        "states(first: 2) { edges { node { state } } } efficiency { whPerKm } batteryHealth { capacityNowKwh } "
        'vampireDrain(since: "2025-12-01T00:00:00Z") { hours } '
        'dailyStats(from: "2026-01-01", to: "2026-01-03") { distance } '
        'series(names: ["Soc"], since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z") { name } '
        'positions(since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z") { at } } }'
    )

    async def statements_for(added: range) -> int:
        async with fresh_db.transaction() as session:
            for i in added:
                vehicle = await ensure_vehicle(session, f"5YJ3E7EB2NF{i:06d}")
                for day in range(3):
                    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day, minutes=i)
                    session.add(
                        DriveRow(
                            vehicle_id=vehicle.id,
                            started_at=start,
                            ended_at=start + timedelta(minutes=10),
                            closed_by="park",
                            distance_km=1.0,
                            track=[],
                        )
                    )
        seen: list[str] = []

        def count_statement(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(fresh_db.engine.sync_engine, "before_cursor_execute", count_statement)
        try:
            async with client_for(make_settings(tmp_path, demo=True), fresh_db) as client:
                body = (await client.post("/graphql", json={"query": query})).json()
        finally:
            event.remove(fresh_db.engine.sync_engine, "before_cursor_execute", count_statement)
        assert "errors" not in body, body
        assert all(len(v["drives"]["edges"]) == 2 for v in body["data"]["vehicles"])
        assert len(body["data"]["vehicles"]) == added.stop
        return len(seen)

    one = await statements_for(range(1))
    hundred = await statements_for(range(1, 100))  # 100 vehicles in the database now
    assert one == hundred
