"""Live derivation gives exactly what recompute gives: fed one record at a time, after a restart, and when
records arrive late and out of order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from teslasync.db.engine import Database
from teslasync.jobs.derivation import live_derivation
from teslasync.jobs.recompute import recompute
from teslasync.telemetry.fanout import SignalUpdate
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.records import Record, parse_record_line

VIN = "5YJ3E7EA3LF700000"  # the car of the DrivingByGear and DCCharging1 captures
FAR_FUTURE = datetime.now(UTC) + timedelta(days=1)

Rows = dict[str, list[tuple[object, ...]]]


def records(path: Path) -> list[Record]:
    return [parse_record_line(line) for line in path.read_text().splitlines() if line.strip()]


async def submit(pipeline: Pipeline, items: list[Record]) -> None:
    """One record per committed batch, as a car streaming live would give."""
    for record in items:
        await pipeline.submit(Batch("replay", observations=list(record.observations)))
        await pipeline.drain()


async def derived_rows(db: Database) -> Rows:
    queries = {
        "drives": "SELECT started_at, ended_at, closed_by, distance_km, max_speed_kmh, start_battery_level, "
        "end_battery_level, energy_used_kwh, start_odometer_km, end_odometer_km, track FROM drives",
        "sessions": "SELECT started_at, ended_at, charger_type, energy_added_kwh, energy_from_wall_kwh, "
        "max_power_kw, start_battery_level, end_battery_level, curve FROM charging_sessions",
        "states": "SELECT started_at, ended_at, state FROM vehicle_states",
        "vehicle": "SELECT state, state_since FROM vehicles",
    }
    async with db.transaction() as session:
        return {
            name: [tuple(row) for row in await session.execute(text(f"{sql} ORDER BY 1"))]
            for name, sql in queries.items()
        }


async def assert_recompute_agrees(db: Database, live: Rows) -> None:
    for _ in range(2):
        await recompute(db, VIN)
        assert await derived_rows(db) == live


async def test_live_one_record_at_a_time_equals_recompute(pipeline: Pipeline, fixtures_dir: Path) -> None:
    live = live_derivation(pipeline)
    published: list[SignalUpdate] = []

    async def watch() -> None:
        async for delivery in pipeline.fanout.subscribe(VIN, ["$state", "$drive", "$charging"]):
            published.extend(delivery.updates)

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0)
    await submit(
        pipeline, records(fixtures_dir / "DCCharging1.txt") + records(fixtures_dir / "DrivingByGear.txt")
    )
    await live.tick(FAR_FUTURE)
    rows = await derived_rows(pipeline.db)
    await asyncio.sleep(0.05)  # let the subscriber take what is pending
    watcher.cancel()

    assert live.rebuilds == 1, "loaded once, then fed incrementally"
    assert len(rows["drives"]) == 1 and len(rows["sessions"]) == 1
    charger_type, energy = rows["sessions"][0][2:4]
    assert charger_type == "DC" and isinstance(energy, float) and round(energy, 2) == 36.26
    assert [state for _, _, state in rows["states"]][-3:] == ["online", "driving", "online"]
    assert rows["vehicle"] == [("online", rows["states"][-1][0])]
    topics = {update.name for update in published}
    assert topics == {"$state", "$drive", "$charging"}
    await assert_recompute_agrees(pipeline.db, rows)


async def test_a_restart_mid_drive_loses_nothing(pipeline: Pipeline, fixtures_dir: Path) -> None:
    drive = records(fixtures_dir / "DrivingByGear.txt")
    first = live_derivation(pipeline)
    await submit(pipeline, drive[: len(drive) // 2])
    second = live_derivation(pipeline)  # a new process: nothing in memory, resumes from the database
    await submit(pipeline, drive[len(drive) // 2 :])
    await second.tick(FAR_FUTURE)
    rows = await derived_rows(pipeline.db)
    assert first.rebuilds == 1 and second.rebuilds == 1
    [stored] = rows["drives"]
    assert stored[2] == "park"
    await assert_recompute_agrees(pipeline.db, rows)


async def test_late_and_out_of_order_records_are_folded_in(pipeline: Pipeline, fixtures_dir: Path) -> None:
    live = live_derivation(pipeline)
    drive = records(fixtures_dir / "DrivingByGear.txt")
    charge = records(fixtures_dir / "DCCharging1.txt")
    # the drive arrives with a hole, the days-older charge after it, then the hole's records
    hole = slice(len(drive) // 3, len(drive) // 3 + 10)
    await submit(pipeline, drive[: hole.start] + drive[hole.stop :])
    await live.tick(FAR_FUTURE)
    await submit(pipeline, charge)
    await submit(pipeline, drive[hole])
    await live.tick(FAR_FUTURE)
    rows = await derived_rows(pipeline.db)
    assert live.rebuilds >= 3, "the load, the older charge, the hole"
    assert len(rows["drives"]) == 1 and len(rows["sessions"]) == 1
    await assert_recompute_agrees(pipeline.db, rows)
