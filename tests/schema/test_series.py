"""Signal history in buckets and positions for maps, through GraphQL: the figures agree with the raw values,
long ranges come from the hourly rollup, and bad arguments get a precise error."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text

from teslasync.db.engine import Database
from teslasync.db.repositories import signals as signal_repo
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.db.storage import Strategy
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.sources.replay import replay
from tests.conftest import client_for, make_settings

DRIVE_VIN = "5YJ3E7EA3LF700000"
MONTH_VIN = "5YJ3E7EB2NF000777"

SERIES = """
query($vin: String!, $since: DateTime!, $until: DateTime!, $max: Int!, $units: UnitSystem!) {
  vehicle(vin: $vin) {
    series(names: ["VehicleSpeed", "OutsideTemp"], since: $since, until: $until, maxPoints: $max, units: $units) {
      name unit bucketSeconds points { at min max mean last count } columns { at min max mean last count }
    }
  }
}"""


async def vehicle(client: AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = (
        await client.post("/graphql", json={"query": query, "variables": variables})
    ).json()
    assert "errors" not in body, body
    return body["data"]["vehicle"]  # type: ignore[no-any-return]


async def raw(db: Database, sql: str) -> list[Any]:
    async with db.transaction() as session:
        return list((await session.execute(text(sql))).one())


async def test_a_drive_in_buckets_agrees_with_the_raw_values(
    tmp_path: Path, pipeline: Pipeline, fixtures_dir: Path
) -> None:
    await replay(pipeline, [fixtures_dir / "DrivingByGear.txt"])
    count, low, high, first, last = await raw(
        pipeline.db,
        "SELECT count(num), min(num), max(num), min(ts), max(ts) FROM signals WHERE field = 'VehicleSpeed'",
    )
    since, until = first, last + timedelta(seconds=1)
    async with client_for(make_settings(tmp_path, demo=True), pipeline.db) as client:
        metric = await vehicle(
            client,
            SERIES,
            vin=DRIVE_VIN,
            since=since.isoformat(),
            until=until.isoformat(),
            max=12,
            units="METRIC",
        )
        imperial = await vehicle(
            client,
            SERIES,
            vin=DRIVE_VIN,
            since=since.isoformat(),
            until=until.isoformat(),
            max=12,
            units="IMPERIAL",
        )
    speed, temp = metric["series"]
    for series in (speed, temp):
        columns = series["columns"]
        for name in ("at", "min", "max", "mean", "last", "count"):
            assert columns[name] == [point[name] for point in series["points"]], name
    assert speed["name"] == "VehicleSpeed" and speed["unit"] == "km/h" and temp["unit"] == "°C"
    assert 1 <= len(speed["points"]) <= 12
    assert speed["bucketSeconds"] >= (until - since).total_seconds() / 11
    assert sum(p["count"] for p in speed["points"]) == count
    assert min(p["min"] for p in speed["points"]) == pytest.approx(low)
    assert max(p["max"] for p in speed["points"]) == pytest.approx(high)
    mph = imperial["series"][0]
    assert mph["unit"] == "mph"
    assert max(p["max"] for p in mph["points"]) == pytest.approx(high / 1.609344)


async def test_a_month_comes_from_the_hourly_rollup(tmp_path: Path, fresh_db: Database) -> None:
    """A value every 10 minutes for 30 days (4,320 values): 500 points at most means 2-hour buckets, served
    from the rollup; each bucket's mean is the mean of its 12 values."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    async with fresh_db.transaction() as session:
        vehicle_id = (await ensure_vehicle(session, MONTH_VIN)).id
        rows = [
            signal_repo.SignalRow(
                vehicle_id,
                "OutsideTemp",
                start + timedelta(minutes=10 * i),
                10 + 5 * math.sin(i / 20),
                None,
                None,
                False,
            )
            for i in range(30 * 24 * 6)
        ]
        await signal_repo.write_signals(session, rows, Strategy.PLAIN)
    until = start + timedelta(days=30)
    query = """query($vin: String!, $since: DateTime!, $until: DateTime!) { vehicle(vin: $vin) {
      series(names: ["OutsideTemp"], since: $since, until: $until, maxPoints: 500) { bucketSeconds points { at mean count } }
    } }"""
    async with client_for(make_settings(tmp_path, demo=True), fresh_db) as client:
        data = await vehicle(client, query, vin=MONTH_VIN, since=start.isoformat(), until=until.isoformat())
    [series] = data["series"]
    assert series["bucketSeconds"] == 7200
    assert len(series["points"]) == 360
    assert {p["count"] for p in series["points"]} == {12}
    third = series["points"][3]  # values 36..47
    assert third["mean"] == pytest.approx(sum(10 + 5 * math.sin(i / 20) for i in range(36, 48)) / 12)


async def test_positions_are_thinned_to_the_points_asked_for(
    tmp_path: Path, pipeline: Pipeline, fixtures_dir: Path
) -> None:
    await replay(pipeline, [fixtures_dir / "DrivingByGear.txt"])
    count, first, last = await raw(
        pipeline.db, "SELECT count(*), min(ts), max(ts) FROM signals WHERE field = 'Location'"
    )
    query = """query($vin: String!, $since: DateTime!, $until: DateTime!, $max: Int!) { vehicle(vin: $vin) {
      positions(since: $since, until: $until, maxPoints: $max) { at latitude longitude } } }"""
    span = {"since": first.isoformat(), "until": (last + timedelta(seconds=1)).isoformat()}
    async with client_for(make_settings(tmp_path, demo=True), pipeline.db) as client:
        every = (await vehicle(client, query, vin=DRIVE_VIN, max=5000, **span))["positions"]
        few = (await vehicle(client, query, vin=DRIVE_VIN, max=4, **span))["positions"]
    assert len(every) == count
    assert 2 <= len(few) <= 4
    assert few[0] == every[0], "each bucket keeps its first position"
    assert all(-90 <= p["latitude"] <= 90 for p in every)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            'names: ["Nope"], since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z"',
            "unknown fields Nope",
        ),
        ('names: ["Gear"], since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z"', "not numeric"),
        (
            'names: ["Soc"], since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z"',
            "until must be after",
        ),
        (
            'names: ["Soc"], since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z", maxPoints: 1',
            "maxPoints",
        ),
    ],
)
async def test_bad_arguments(tmp_path: Path, db: Database, arguments: str, message: str) -> None:
    async with db.transaction() as session:
        await ensure_vehicle(session, MONTH_VIN)
    async with client_for(make_settings(tmp_path, demo=True), db) as client:
        body = (
            await client.post(
                "/graphql",
                json={"query": f'{{ vehicle(vin: "{MONTH_VIN}") {{ series({arguments}) {{ name }} }} }}'},
            )
        ).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_ARGUMENT" and message in error["message"]
