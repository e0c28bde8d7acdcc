"""The simulator: a physically consistent car whose every value the ingest accepts, deterministic for a seed,
fed into a real pipeline in-process and published to a real Mosquitto like Tesla's MQTT dispatcher."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiomqtt
import pytest
from sqlalchemy import text

from teslasync.db.engine import Database
from teslasync.demo import DEMO_VIN
from teslasync.telemetry.catalogue import ENUM_VALUES, Kind, spec
from teslasync.telemetry.fanout import LocalFanout
from teslasync.telemetry.model import Form, Observation
from teslasync.telemetry.normalise import normalise
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.records import mqtt_event, parse_topic
from teslasync.telemetry.sources.simulator import (
    BUFFER_KWH,
    CHARGE_LIMIT,
    CYCLE,
    RATED_WH_PER_MI,
    USABLE_KWH,
    Durations,
    Phase,
    SimulatedCar,
    dc_taper_kw,
    demo_vins,
    run_in_process,
    run_over_mqtt,
)
from teslasync.vin import is_valid_vin
from tests.telemetry.helpers import wait_until

KM_PER_MI = 1.609344
START = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)
VIN = DEMO_VIN
STANDING = (Phase.PARKED, Phase.AC_CHARGING, Phase.DC_CHARGING, Phase.ASLEEP)


@dataclass(frozen=True)
class Step:
    clock: float
    phase: Phase
    asleep: bool
    changes: list[tuple[str, object]]
    state: dict[str, object]  # every field's latest value after this step


def run(car: SimulatedCar, seconds: float, dt: float = 1.0) -> list[Step]:
    state: dict[str, object] = {}
    steps = []
    for index in range(round(seconds / dt)):
        changes = car.step(dt)
        state.update(changes)
        steps.append(Step((index + 1) * dt, car.phase, car.asleep, changes, dict(state)))
    return steps


@functools.cache
def hour(seed: int = 7) -> tuple[Step, ...]:
    return tuple(run(SimulatedCar(VIN, seed, START), 3600))


def stretches(steps: Sequence[Step], *phases: Phase) -> Iterator[tuple[Step, list[Step]]]:
    """Each completed run of consecutive steps in one of `phases`, with the step before it (the state it
    began from). A run still going on at the end of `steps` is left out."""
    current: list[Step] = []
    before = steps[0]
    for index, step in enumerate(steps):
        if current and step.phase is not current[0].phase:
            yield before, current
            current = []
        if step.phase in phases:
            if not current:
                before = steps[index - 1] if index else step
            current.append(step)


def kmh(value: object) -> float:
    return 0.0 if value is None else float(value) * KM_PER_MI  # type: ignore[arg-type]


def num(value: object) -> float:
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return float(value)


# -- the model ----------------------------------------------------------------------------------------------


def test_the_first_step_reports_the_whole_car() -> None:
    changes = dict(SimulatedCar(VIN, 1, START, name="Roadrunner").step(1.0))
    assert changes["VehicleName"] == "Roadrunner"
    assert changes["Gear"] == "ShiftStateP"
    assert changes["VehicleSpeed"] is None  # in park the car reports no valid speed
    assert changes["ChargeLimitSoc"] == CHARGE_LIMIT
    assert changes["DetailedChargeState"] == "DetailedChargeStateDisconnected"
    assert set(changes["DoorState"]) == {  # type: ignore[arg-type]
        "DriverFront",
        "DriverRear",
        "PassengerFront",
        "PassengerRear",
        "TrunkFront",
        "TrunkRear",
    }
    assert isinstance(changes["Version"], str)
    for field in (
        "Soc",
        "BatteryLevel",
        "EnergyRemaining",
        "RatedRange",
        "Odometer",
        "Location",
        "InsideTemp",
    ):
        assert field in changes
    assert {f"TpmsPressure{tyre}" for tyre in ("Fl", "Fr", "Rl", "Rr")} <= changes.keys()


def test_every_value_is_accepted_by_the_ingest() -> None:
    stamp = datetime.now(UTC)
    seen: set[str] = set()
    for step in hour():
        for field, value in step.changes:
            field_spec = spec(field)
            assert field_spec is not None, field
            assert json.loads(json.dumps(value)) == value  # plain JSON, as the dispatcher sends it
            signal = normalise(Observation(VIN, field, value, Form.MQTT, stamp))  # raises Rejected if not
            assert signal.valid == (value is not None), (field, value)
            if field_spec.kind is Kind.ENUM and value is not None:
                assert value in ENUM_VALUES[field_spec.enum_type or ""], (field, value)
            if field_spec.kind is Kind.BOOLEAN:
                assert isinstance(value, bool), (field, value)
            seen.add(field)
    assert {"Gear", "DCChargingPower", "ACChargingPower", "FastChargerType", "ChargingCableType"} <= seen


def test_units_are_what_the_car_sends() -> None:
    """Odometer and ranges in miles, speed in mph (whole km/h on the display), stored in km and km/h."""
    steps = hour()
    speeds = [kmh(step.state["VehicleSpeed"]) for step in steps if step.state["VehicleSpeed"]]
    assert speeds and all(math.isclose(speed, round(speed), abs_tol=1e-9) for speed in speeds)
    assert 40 <= max(speeds) <= 70  # city driving, in km/h once converted
    last = steps[-1].state
    rated_km = normalise(Observation(VIN, "RatedRange", last["RatedRange"], Form.MQTT, START)).num
    assert rated_km == pytest.approx(num(last["RatedRange"]) * KM_PER_MI)


def test_odometer_is_the_integral_of_speed() -> None:
    steps = hour()
    odometer = [num(step.state["Odometer"]) for step in steps]
    assert all(later >= earlier for earlier, later in itertools.pairwise(odometer))
    driven_km = (odometer[-1] - odometer[0]) * KM_PER_MI
    integral_km = sum(kmh(step.state["VehicleSpeed"]) / 3600 for step in steps)  # 1 s steps
    assert driven_km > 5
    assert integral_km == pytest.approx(driven_km, rel=0.01)


def test_driving_uses_energy_in_proportion_to_distance() -> None:
    drives = list(stretches(hour(), Phase.DRIVING))
    assert len(drives) >= 4
    for before, drive in drives:
        start, end = before.state, drive[-1].state
        km = (num(end["Odometer"]) - num(start["Odometer"])) * KM_PER_MI
        used_kwh = num(start["EnergyRemaining"]) - num(end["EnergyRemaining"])
        assert km > 0.5
        assert 0.11 <= used_kwh / km <= 0.22  # ~150 Wh/km in town, HVAC included
        assert num(end["Soc"]) < num(start["Soc"])
        assert num(end["RatedRange"]) < num(start["RatedRange"])


def test_charging_adds_what_the_charger_delivered_less_losses() -> None:
    steps = hour()
    for phase, counter, efficiency in (
        (Phase.AC_CHARGING, "ACChargingEnergyIn", (0.85, 0.95)),
        (Phase.DC_CHARGING, "DCChargingEnergyIn", (0.94, 1.0)),
    ):
        sessions = list(stretches(steps, phase))
        assert len(sessions) >= 2
        for before, session in sessions:
            start, end = before.state, session[-1].state
            delivered = num(end[counter])
            added = num(end["EnergyRemaining"]) - num(start["EnergyRemaining"])
            assert delivered > 0.2
            assert efficiency[0] <= added / delivered <= efficiency[1] + 0.02
            assert num(end["Soc"]) > num(start["Soc"])
            assert num(end["BatteryLevel"]) > num(start["BatteryLevel"])


def test_soc_energy_and_range_move_together() -> None:
    for step in hour():
        if step.asleep:
            continue
        state = step.state
        usable = num(state["EnergyRemaining"]) - BUFFER_KWH
        assert num(state["Soc"]) / 100 * USABLE_KWH == pytest.approx(usable, abs=0.06)
        assert num(state["RatedRange"]) * RATED_WH_PER_MI / 1000 == pytest.approx(usable, abs=0.03)
        assert num(state["BatteryLevel"]) == pytest.approx(
            (usable + BUFFER_KWH) / (USABLE_KWH + BUFFER_KWH) * 100, abs=0.06
        )
        # stop-and-go in town uses more than the rated consumption
        assert num(state["EstBatteryRange"]) < num(state["RatedRange"])


def test_the_car_moves_only_while_driving() -> None:
    steps = hour()
    for _, standing in stretches(steps, *STANDING):
        assert len({json.dumps(step.state["Location"]) for step in standing}) == 1
        assert all(step.state["Gear"] == "ShiftStateP" for step in standing)
    for before, drive in stretches(steps, Phase.DRIVING):
        places = {json.dumps(step.state["Location"]) for step in drive}
        assert len(places) > 30
        assert drive[-1].state["Location"] != before.state["Location"]
        assert "ShiftStateD" in {step.state["Gear"] for step in drive}


def test_values_stay_realistic() -> None:
    for step in hour():
        state = step.state
        location = state["Location"]
        assert isinstance(location, dict)
        assert 52.45 < location["latitude"] < 52.56 and 13.3 < location["longitude"] < 13.5  # Berlin
        assert 0 <= kmh(state["VehicleSpeed"]) <= 80
        assert 0 <= num(state["Soc"]) <= num(state["BatteryLevel"]) <= 100
        assert 0 < num(state["EnergyRemaining"]) <= USABLE_KWH + BUFFER_KWH
        assert 0 <= num(state["GpsHeading"]) < 360
        assert -20 <= num(state["OutsideTemp"]) <= 40 and -20 <= num(state["InsideTemp"]) <= 45
        assert all(2.6 <= num(state[f"TpmsPressure{tyre}"]) <= 3.3 for tyre in ("Fl", "Fr", "Rl", "Rr"))
        assert 300 <= num(state["PackVoltage"]) <= 430
        assert 0 <= num(state["ACChargingPower"]) <= 11.5 and 0 <= num(state["DCChargingPower"]) <= 175
        assert num(state["ChargerVoltage"]) == 0 or 220 <= num(state["ChargerVoltage"]) <= 240
        assert num(state["TimeToFullCharge"]) >= 0


def test_charging_sessions_look_like_real_ones() -> None:
    steps = hour()
    for _, session in stretches(steps, Phase.AC_CHARGING):
        charging = [
            s.state for s in session if s.state["DetailedChargeState"] == "DetailedChargeStateCharging"
        ]
        assert charging and all(state["ChargeState"] == "Enable" for state in charging)
        full = [state for state in charging if state["ChargeAmps"] == 16]
        assert full and all(state["ChargerPhases"] == 3 for state in full)
        assert all(10.5 <= num(state["ACChargingPower"]) <= 11.4 for state in full)
        assert all(226 <= num(state["ChargerVoltage"]) <= 234 for state in full)
        assert all(state["ChargingCableType"] == "CableTypeIEC" for state in charging)
        assert session[-1].state["DetailedChargeState"] == "DetailedChargeStateStopped"  # unplugged early
    for _, session in stretches(steps, Phase.DC_CHARGING):
        states = [step.state for step in session if step.state["FastChargerPresent"]]
        assert states and all(state["FastChargerType"] == "FastChargerSupercharger" for state in states)
        assert max(num(state["DCChargingPower"]) for state in states) > 80
    after = [step.state for _, drive in stretches(steps, Phase.DRIVING) for step in drive]
    assert all(state["DetailedChargeState"] == "DetailedChargeStateDisconnected" for state in after)
    assert all(state["FastChargerPresent"] is False for state in after)


def test_ac_charging_stops_at_the_limit() -> None:
    car = SimulatedCar(VIN, 7, START, durations=Durations(ac_charging_s=6 * 3600))
    steps = run(car, 7 * 3600, dt=5.0)
    (_, session), *_ = stretches(steps, Phase.AC_CHARGING)
    states = [step.state["DetailedChargeState"] for step in session]
    assert states.index("DetailedChargeStateStarting") < states.index("DetailedChargeStateCharging")
    complete = states.index("DetailedChargeStateComplete")
    assert all(state == "DetailedChargeStateComplete" for state in states[complete:])
    level = num(session[complete].state["BatteryLevel"])
    assert CHARGE_LIMIT <= level <= CHARGE_LIMIT + 0.2
    assert all(step.state["ACChargingPower"] == 0 for step in session[complete + 1 :])
    assert all(num(step.state["BatteryLevel"]) <= CHARGE_LIMIT + 0.2 for step in session)
    remaining = [num(step.state["TimeToFullCharge"]) for step in session[:complete] if step.changes]
    assert max(remaining) > 1.0  # hours, from ~40 %


def test_dc_charging_tapers() -> None:
    assert dc_taper_kw(10) == pytest.approx(170)
    assert dc_taper_kw(80) == pytest.approx(40)
    curve = [dc_taper_kw(level) for level in range(101)]
    assert all(later <= earlier for earlier, later in itertools.pairwise(curve))
    car = SimulatedCar(VIN, 7, START, durations=Durations(dc_charging_s=3600))
    (_, session), *_ = stretches(run(car, 2 * 3600), Phase.DC_CHARGING)
    charging = [s.state for s in session if s.state["DetailedChargeState"] == "DetailedChargeStateCharging"]
    ramped = charging[10:]  # after the first seconds' ramp-up
    power = [num(state["DCChargingPower"]) for state in ramped]
    assert max(power) > 100 and power[-1] < 45
    assert all(later <= earlier + 0.1 for earlier, later in itertools.pairwise(power))
    for state in ramped:
        assert num(state["DCChargingPower"]) == pytest.approx(dc_taper_kw(num(state["BatteryLevel"])), abs=3)
    assert session[-1].state["DetailedChargeState"] == "DetailedChargeStateComplete"


def test_an_asleep_car_sends_nothing_and_sends_again_when_it_wakes() -> None:
    steps = hour()
    naps = list(stretches(steps, Phase.ASLEEP))
    assert len(naps) >= 2
    for _, nap in naps:
        assert all(step.asleep and not step.changes for step in nap)
        assert nap[-1].state["SentryMode"] == "SentryModeStateOff"  # sentry would keep it awake
        assert nap[-1].state["Locked"] is True
    woken = [step for step in steps if not step.asleep]
    assert all(step.phase is not Phase.ASLEEP for step in woken)
    assert len(woken) > 3000


def test_a_field_is_sent_on_change_and_at_most_once_a_second() -> None:
    car = SimulatedCar(VIN, 3, START)
    last: dict[str, tuple[float, object]] = {}
    clock = 0.0
    for _ in range(6000):
        clock += 0.1
        for field, value in car.step(0.1):
            if field in last:
                at, previous = last[field]
                assert clock - at >= 0.999, field
                assert value != previous, field
            last[field] = (clock, value)
    assert {"Location", "VehicleSpeed", "Odometer"} <= last.keys()


def test_phases_follow_the_cycle() -> None:
    assert 10 * 60 <= Durations().cycle_s() <= 20 * 60
    order = [CYCLE[0]]
    for step in hour():
        if step.phase is not order[-1]:
            order.append(step.phase)
    cycles = len(order) // len(CYCLE)
    assert cycles >= 2
    assert order[: cycles * len(CYCLE)] == list(CYCLE) * cycles


def test_speedup_shortens_the_phases() -> None:
    steps = run(SimulatedCar(VIN, 7, START, speedup=10), 1800)
    wakes = sum(1 for a, b in itertools.pairwise(steps) if a.asleep and not b.asleep)
    assert wakes >= 8  # a cycle in about 2.5 simulated minutes instead of 20
    with pytest.raises(ValueError):
        SimulatedCar(VIN, 7, START, speedup=0)


def test_the_same_seed_gives_the_same_car() -> None:
    def changes(seed: int) -> list[list[tuple[str, object]]]:
        car = SimulatedCar(VIN, seed, START)
        return [car.step(1.0) for _ in range(1500)]

    assert changes(11) == changes(11)
    assert changes(11) != changes(12)


def test_step_wants_a_sensible_duration() -> None:
    car = SimulatedCar(VIN, 1, START)
    with pytest.raises(ValueError):
        car.step(-1.0)
    with pytest.raises(ValueError):
        car.step(math.nan)
    assert car.step(0.0) != []  # the first report, without time passing
    assert car.now == START


def test_demo_vins() -> None:
    vins = demo_vins(25)
    assert vins[0] == DEMO_VIN == "5YJ3E7EB2NF000001"
    assert len(set(vins)) == 25
    assert all(len(vin) == 17 and is_valid_vin(vin) for vin in vins)
    assert demo_vins(0) == []


# -- in-process driver ---------------------------------------------------------------------------------------


async def rows(db: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    async with db.transaction() as session:
        return [tuple(row) for row in await session.execute(text(sql), params)]


async def run_for(seconds: float, driver: asyncio.Future[Any], stop: asyncio.Event) -> Any:
    await asyncio.sleep(seconds)
    stop.set()
    return await asyncio.wait_for(driver, 10)


async def test_in_process_driver_feeds_the_pipeline(fresh_db: Database) -> None:
    pipeline = Pipeline(fresh_db, LocalFanout())
    await pipeline.start()
    try:
        cars = [SimulatedCar(vin, seed, datetime.now(UTC)) for seed, vin in enumerate(demo_vins(2))]
        stop = asyncio.Event()
        driver = asyncio.ensure_future(run_in_process(pipeline, cars, tick_s=0.05, stop=stop))
        await run_for(0.6, driver, stop)
        await pipeline.drain()
        for car in cars:
            latest = {
                row[0]: row[1:]
                for row in await rows(
                    fresh_db,
                    "SELECT l.field, l.num, l.txt, l.doc FROM signal_latest l "
                    "JOIN vehicles v ON v.id = l.vehicle_id WHERE v.vin = :vin",
                    vin=car.vin,
                )
            }
            assert len(latest) >= 40
            assert latest["Gear"][1] == "P"
            assert latest["DetailedChargeState"][1] == "Disconnected"
            assert latest["Location"][2]["latitude"] == pytest.approx(52.5, abs=0.05)  # type: ignore[index]
            assert 3000 * KM_PER_MI < num(latest["Odometer"][0]) < 40_000 * KM_PER_MI  # stored in km
            events = await rows(
                fresh_db,
                "SELECT e.name, e.doc FROM vehicle_events e JOIN vehicles v ON v.id = e.vehicle_id "
                "WHERE v.vin = :vin AND e.kind = 'connectivity' ORDER BY e.ts",
                vin=car.vin,
            )
            assert [name for name, _ in events] == ["CONNECTED", "DISCONNECTED"]
            assert events[0][1]["ConnectionId"] == events[1][1]["ConnectionId"]  # type: ignore[index]
            names = await rows(fresh_db, "SELECT display_name FROM vehicles WHERE vin = :vin", vin=car.vin)
            assert names == [(car.name,)]
        assert await rows(fresh_db, "SELECT count(*) FROM dead_letters") == [(0,)]
    finally:
        await pipeline.stop()


async def test_in_process_driver_reports_sleep_and_wake(fresh_db: Database) -> None:
    car = SimulatedCar(DEMO_VIN, 5, datetime.now(UTC), speedup=100)
    previous = car.phase
    while not (previous is Phase.DC_CHARGING and car.phase is Phase.PARKED):  # sleep comes next
        previous = car.phase
        car.step(0.05)
    pipeline = Pipeline(fresh_db, LocalFanout())
    await pipeline.start()
    sql = "SELECT name FROM vehicle_events WHERE kind = 'connectivity' ORDER BY ts"
    try:
        stop = asyncio.Event()
        driver = asyncio.ensure_future(run_in_process(pipeline, [car], tick_s=0.05, stop=stop))
        await wait_until(lambda: _count_at_least(fresh_db, sql, 3), what="asleep and awake again")
        await run_for(0, driver, stop)
        await pipeline.drain()
        events = [name for (name,) in await rows(fresh_db, sql)]
        assert events == ["CONNECTED", "DISCONNECTED", "CONNECTED", "DISCONNECTED"]
        assert await rows(fresh_db, "SELECT count(*) FROM dead_letters") == [(0,)]
    finally:
        await pipeline.stop()


async def _count_at_least(db: Database, sql: str, count: int) -> bool:
    return len(await rows(db, sql)) >= count


# -- MQTT driver ---------------------------------------------------------------------------------------------


async def test_mqtt_driver_publishes_like_the_dispatcher(mqtt_port: int) -> None:
    vins = demo_vins(2)
    cars = [SimulatedCar(vin, seed, datetime.now(UTC)) for seed, vin in enumerate(vins)]
    received: list[aiomqtt.Message] = []
    async with aiomqtt.Client("127.0.0.1", mqtt_port, identifier="simulator-test-subscriber") as subscriber:
        await subscriber.subscribe("telemetry/#", qos=1)
        stop = asyncio.Event()
        url = f"mqtt://127.0.0.1:{mqtt_port}"
        driver = asyncio.ensure_future(run_over_mqtt(url, "telemetry", cars, tick_s=0.05, stop=stop))
        published = await run_for(0.6, driver, stop)
        assert isinstance(published, int) and published > 80

        async def collect() -> None:
            async for message in subscriber.messages:
                if str(message.topic).split("/")[1] in vins:
                    received.append(message)
                if len(received) == published:
                    return

        await asyncio.wait_for(collect(), 10)
    now = datetime.now(UTC)
    for vin in vins:
        mine = [message for message in received if str(message.topic).split("/")[1] == vin]
        topics = [parse_topic(str(message.topic), "telemetry") for message in mine]
        assert {topic.kind for topic in topics} == {"v", "connectivity"}
        assert topics[0].kind == "connectivity" and topics[-1].kind == "connectivity"  # first and last
        docs = [json.loads(message.payload) for message in mine]  # type: ignore[arg-type]
        assert docs[0]["Status"] == "CONNECTED" and docs[-1]["Status"] == "DISCONNECTED"
        assert docs[0]["ConnectionId"] == docs[-1]["ConnectionId"]
        assert mqtt_event(topics[0], docs[0], now)[0].name == "CONNECTED"
        for topic, doc, message in zip(topics, docs, mine, strict=True):
            assert message.qos == 1
            if topic.kind == "v":
                assert spec(topic.name) is not None
                normalise(Observation(vin, topic.name, doc, Form.MQTT, now))
        values = {topic.name: doc for topic, doc in zip(topics, docs, strict=True) if topic.kind == "v"}
        assert values["Gear"] == "ShiftStateP"
        assert set(values["Location"]) == {"latitude", "longitude"}
        assert isinstance(values["Locked"], bool)
        assert values["VehicleName"] == next(car.name for car in cars if car.vin == vin)


async def test_mqtt_driver_can_fast_forward(mqtt_port: int) -> None:
    car = SimulatedCar(DEMO_VIN, 2, START)
    stop = asyncio.Event()
    url = f"mqtt://127.0.0.1:{mqtt_port}"
    driver = asyncio.ensure_future(
        run_over_mqtt(url, "telemetry/", [car], tick_s=0.05, rate_multiplier=60, stop=stop)
    )
    await run_for(0.5, driver, stop)
    assert (car.now - START).total_seconds() >= 20  # 60 simulated seconds per real second
    with pytest.raises(ValueError):
        await run_over_mqtt("http://127.0.0.1:1", "telemetry", [car], stop=stop)
