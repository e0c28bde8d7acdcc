"""The pipeline on real PostgreSQL: every fixture replays, values and units are right, writes are
idempotent, latest values never move backwards, bad input is dead-lettered and counted."""

from __future__ import annotations

import asyncio
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from teslasync.db.engine import Database
from teslasync.observability import metrics
from teslasync.telemetry.fanout import LocalFanout
from teslasync.telemetry.model import DeadLetter, Form, Observation, Reason
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.sources.replay import replay

VIN = "5YJ3E7EB2NF000777"


async def latest(db: Database, vin: str) -> dict[str, tuple[float | None, str | None, object]]:
    async with db.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT l.field, l.num, l.txt, l.doc FROM signal_latest l JOIN vehicles v ON v.id = l.vehicle_id "
                "WHERE v.vin = :vin"
            ),
            {"vin": vin},
        )
        return {row.field: (row.num, row.txt, row.doc) for row in rows}


async def count(db: Database, sql: str, **params: object) -> int:
    async with db.transaction() as session:
        return int((await session.scalar(text(sql), params)) or 0)


async def test_every_fixture_replays_without_dead_letters(pipeline: Pipeline, fixtures_dir: Path) -> None:
    files = sorted(fixtures_dir.glob("*.txt"))
    assert len(files) >= 9
    summary = await replay(pipeline, files)
    assert summary.dead_letters == 0
    assert await count(pipeline.db, "SELECT count(*) FROM dead_letters") == 0
    stored = await count(pipeline.db, "SELECT count(*) FROM signals")
    assert 0 < stored <= summary.values
    vins = {match for f in files for match in re.findall(r'"vin":\s*"([A-Z0-9]{17})"', f.read_text())}
    assert len(vins) == 3
    async with pipeline.db.transaction() as session:
        stored_vins = set(await session.scalars(text("SELECT vin FROM vehicles")))
    assert stored_vins == vins


async def test_charging_fixtures_decode_both_charge_state_forms(
    pipeline: Pipeline, fixtures_dir: Path
) -> None:
    await replay(pipeline, [fixtures_dir / "ACCharging_typed.txt"])
    values = await latest(pipeline.db, "XP7YGCEK9PB000000")
    assert values["DetailedChargeState"][1] in {"Charging", "Stopped", "Complete", "Disconnected", "NoPower"}
    assert values["ChargeState"][1] in {"Enable", "Idle", "ClearFaults", "Startup", "QualifyLineConfig"}
    energy = values["ACChargingEnergyIn"][0]
    assert energy is not None and 0 <= energy < 100  # kWh


async def test_driving_fixture_units(pipeline: Pipeline, fixtures_dir: Path) -> None:
    await replay(pipeline, [fixtures_dir / "DrivingByGear.txt"])
    async with pipeline.db.transaction() as session:
        speeds = list(
            await session.scalars(
                text("SELECT num FROM signals WHERE field = 'VehicleSpeed' AND num IS NOT NULL")
            )
        )
        odometers = list(await session.scalars(text("SELECT num FROM signals WHERE field = 'Odometer'")))
        gears = set(
            await session.scalars(text("SELECT txt FROM signals WHERE field = 'Gear' AND txt IS NOT NULL"))
        )
    # the car sends mph that were whole km/h on its display: 6.2137119223733395 mph -> 10 km/h
    assert speeds and all(math.isclose(speed, round(speed), abs_tol=1e-6) for speed in speeds)
    assert 10.0 in {round(speed, 6) for speed in speeds}
    assert odometers and all(odometer > 1000 for odometer in odometers)  # km, not miles
    assert gears <= {"P", "R", "N", "D"} and {"D", "P"} <= gears


async def test_replaying_twice_stores_everything_once(pipeline: Pipeline, fixtures_dir: Path) -> None:
    files = [fixtures_dir / "DCCharging1.txt", fixtures_dir / "DoorsTyped.txt"]
    await replay(pipeline, files)
    signals = await count(pipeline.db, "SELECT count(*) FROM signals")
    rollup_n = await count(pipeline.db, "SELECT sum(n) FROM signal_rollups_hourly")
    await replay(pipeline, files)
    assert await count(pipeline.db, "SELECT count(*) FROM signals") == signals
    assert await count(pipeline.db, "SELECT sum(n) FROM signal_rollups_hourly") == rollup_n
    numeric = await count(pipeline.db, "SELECT count(*) FROM signals WHERE num IS NOT NULL")
    assert rollup_n == numeric


async def test_latest_value_never_moves_backwards(pipeline: Pipeline) -> None:
    now = datetime.now(UTC)
    newer = Observation(VIN, "BatteryLevel", {"doubleValue": 70}, Form.TYPED, now)
    older = Observation(VIN, "BatteryLevel", {"doubleValue": 90}, Form.TYPED, now - timedelta(minutes=5))
    await pipeline.submit(Batch("records", [newer]))
    await pipeline.submit(Batch("records", [older]))
    await pipeline.drain()
    assert (await latest(pipeline.db, VIN))["BatteryLevel"][0] == 70
    assert pipeline.latest.get(VIN)["BatteryLevel"].value == 70
    assert await count(pipeline.db, "SELECT count(*) FROM signals WHERE field = 'BatteryLevel'") == 2


async def test_acknowledged_only_after_commit(pipeline: Pipeline) -> None:
    seen: list[int] = []

    async def ack() -> None:
        seen.append(await count(pipeline.db, "SELECT count(*) FROM signals WHERE field = 'Odometer'"))

    await pipeline.submit(
        Batch("mqtt", [Observation(VIN, "Odometer", 1000.0, Form.MQTT, datetime.now(UTC))], ack=ack)
    )
    await pipeline.drain()
    assert seen == [1]


async def test_vehicle_registered_and_named(pipeline: Pipeline) -> None:
    now = datetime.now(UTC)
    await pipeline.submit(Batch("mqtt", [Observation(VIN, "VehicleName", "Blue Thunder", Form.MQTT, now)]))
    await pipeline.drain()
    async with pipeline.db.transaction() as session:
        row = (
            await session.execute(text("SELECT display_name, model FROM vehicles WHERE vin = :v"), {"v": VIN})
        ).one()
    assert tuple(row) == ("Blue Thunder", "Model 3")


async def test_bad_input_is_dead_lettered_counted_and_the_rest_kept(pipeline: Pipeline) -> None:
    now = datetime.now(UTC)
    before = metrics.DEAD_LETTERS.labels(reason="not_finite")._value.get()
    batch = Batch(
        "mqtt",
        [
            Observation(VIN, "VehicleSpeed", float("nan"), Form.MQTT, now),
            Observation(VIN, "VehicleSpeed", "fast", Form.MQTT, now + timedelta(seconds=1)),
            Observation(VIN, "Soc", 55.5, Form.MQTT, now),
            Observation(VIN, "BrandNewField", {"x": 1}, Form.MQTT, now),
        ],
        dead=[DeadLetter("mqtt", Reason.NOT_JSON, "not valid JSON", "\x00garbage")],
    )
    await pipeline.submit(batch)
    await pipeline.drain()
    async with pipeline.db.transaction() as session:
        reasons = sorted(await session.scalars(text("SELECT reason FROM dead_letters")))
    assert reasons == ["not_finite", "not_json", "wrong_type"]
    assert metrics.DEAD_LETTERS.labels(reason="not_finite")._value.get() == before + 1
    values = await latest(pipeline.db, VIN)
    assert values["Soc"][0] == 55.5
    assert values["BrandNewField"][2] == {"x": 1}


async def test_allowed_vins(fresh_db: Database) -> None:
    pipe = Pipeline(fresh_db, LocalFanout(), allowed_vins=frozenset({VIN}))
    await pipe.start()
    try:
        now = datetime.now(UTC)
        await pipe.submit(
            Batch(
                "mqtt",
                [
                    Observation(VIN, "Soc", 50.0, Form.MQTT, now),
                    Observation("5YJ3E7EB2NF000999", "Soc", 60.0, Form.MQTT, now),
                ],
            )
        )
        await pipe.drain()
    finally:
        await pipe.stop()
    assert await count(fresh_db, "SELECT count(*) FROM vehicles") == 1
    assert await count(fresh_db, "SELECT count(*) FROM dead_letters WHERE reason = 'vin_not_allowed'") == 1


async def test_subscribers_get_stored_values(pipeline: Pipeline) -> None:
    assert isinstance(pipeline.fanout, LocalFanout)
    stream = pipeline.fanout.subscribe(VIN, ["Soc"])
    task = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0)
    now = datetime.now(UTC)
    await pipeline.submit(
        Batch(
            "mqtt",
            [
                Observation(VIN, "Soc", 42.0, Form.MQTT, now),
                Observation(VIN, "Odometer", 1.0, Form.MQTT, now),
            ],
        )
    )
    delivery = await asyncio.wait_for(task, 5)
    assert [(u.name, u.value, u.unit) for u in delivery.updates] == [("Soc", 42.0, "%")]
    await stream.aclose()


async def test_stop_gives_up_when_the_database_is_gone(tmp_path: Path) -> None:
    """A stop while PostgreSQL is down must not hang: unwritten batches were never acknowledged."""
    from teslasync.config import StorageMode
    from teslasync.db import migrate
    from teslasync.db.embedded import EmbeddedPostgres
    from teslasync.db.engine import make_engine

    server = EmbeddedPostgres(tmp_path / "pg", port=55466)
    server.start()
    db = Database.from_engine(make_engine(server.url(), connect_timeout_s=1))
    try:
        await migrate.upgrade(db.engine, StorageMode.PLAIN)
        pipe = Pipeline(db, LocalFanout())
        await pipe.start()
        server.stop()
        acked: list[bool] = []
        await pipe.submit(
            Batch(
                "mqtt",
                [Observation(VIN, "Soc", 1.0, Form.MQTT, datetime.now(UTC))],
                ack=lambda: acked.append(True),
            )
        )
        started = asyncio.get_running_loop().time()
        await pipe.stop(grace_s=1.0)
        assert asyncio.get_running_loop().time() - started < 5
        assert acked == []
    finally:
        await db.dispose()
        server.stop()
