"""Golden scenarios: a simulated car whose truth is known (its `journal`: what its physics did, exactly, not
what it reported) goes through the real pipeline with live derivation attached, and what is derived from its
telemetry must match that truth within the tolerances each test states; recompute must then give the very
same rows, twice.

The car is stepped in whole simulated seconds and every value it sends is stamped with its own clock (as
`run_in_process` does, but with simulated time instead of the wall clock), so a truth instant and the
timestamp of the report that shows it are the same second. Most tolerances come from what the car reports:
the odometer in hundredths of a mile, energy in hundredths of a kWh, power in tenths of a kW, battery level
in tenths of a percent.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from teslasync.analytics.costs import TouWindow
from teslasync.analytics.pricing import windows_json
from teslasync.db.engine import Database
from teslasync.db.models import GeofenceRow, TariffRow
from teslasync.jobs.derivation import live_derivation
from teslasync.jobs.recompute import recompute
from teslasync.telemetry.model import Form, Observation, Source
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.records import Event
from teslasync.telemetry.sources.simulator import (
    CHARGE_LIMIT,
    CYCLE,
    KM_PER_MI,
    MARK_EVERY_S,
    Durations,
    Phase,
    PhaseTruth,
    SimulatedCar,
    dc_taper_kw,
    demo_vins,
)

VIN = demo_vins(1)[0]
BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2025, 1, 15)  # a Wednesday in winter: Berlin is on UTC+1
TARIFF_BOUNDARY = time(22, 0)  # Berlin time: where a night tariff begins
FAR_FUTURE = datetime.now(UTC) + timedelta(days=1)
BATCH_OBSERVATIONS = 2000  # a batch holds many seconds of the car's reports
SECOND = timedelta(seconds=1)

Row = dict[str, Any]
Rows = dict[str, list[Row]]


def berlin(hour: int, minute: int, second: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute, second), BERLIN)


# -- the scenarios ------------------------------------------------------------------------------------------


def drive_scenario() -> SimulatedCar:
    """A morning drive of about 40 minutes (some 25 km) through Berlin, parked before and after it."""
    return SimulatedCar(VIN, 7, berlin(8, 0), durations=Durations(driving_s=2400))


def ac_scenario() -> SimulatedCar:
    """An AC session on 11 kW: plugged in at 21:30 Berlin time, stopped after about an hour (51 to 69
    minutes), so it runs past a 22:00 tariff boundary."""
    return SimulatedCar(
        VIN, 7, berlin(21, 29, 50), durations=Durations(ac_charging_s=3600), phase=Phase.AC_CHARGING
    )


def dc_night_scenario() -> SimulatedCar:
    """A Supercharger session from about 50 % to the charge limit at 20:00, then the car parks and sleeps
    through the night (7 to 9 hours), wakes and drives off."""
    return SimulatedCar(
        VIN,
        3,
        berlin(20, 0),
        durations=Durations(dc_charging_s=1500, asleep_s=8 * 3600),
        phase=Phase.DC_CHARGING,
    )


def until_phase(phase: Phase) -> Callable[[SimulatedCar], bool]:
    """Run until `phase` begins, after the phase the car started in (the step that begins it is sent)."""
    return lambda car: any(truth.phase is phase for truth in itertools.islice(car.journal, 1, None))


def truth(car: SimulatedCar, phase: Phase, nth: int = 0) -> PhaseTruth:
    """The `nth` completed phase of that kind."""
    return [entry for entry in car.journal if entry.phase is phase and entry.end is not None][nth]


@dataclass(frozen=True)
class TariffSplit:
    """What the AC scenario's session put into the pack (`added`) and drew from the wall, before and after
    the tariff boundary: the truth a cost computed across it must match."""

    boundary: datetime
    added_before_kwh: float
    added_after_kwh: float
    wall_before_kwh: float
    wall_after_kwh: float


@functools.cache
def ac_truth() -> tuple[PhaseTruth, TariffSplit]:
    """The AC scenario's session and its split at 22:00 Berlin, from the car's journal (its quarter-hour
    marks are exact: within one physics step every rate is constant)."""
    car = ac_scenario()
    while not until_phase(Phase.DRIVING)(car):
        car.step(1.0)
    session = truth(car, Phase.AC_CHARGING)
    assert session.end is not None
    boundary = datetime.combine(session.started_at.astimezone(BERLIN).date(), TARIFF_BOUNDARY, BERLIN)
    [mark] = [mark for mark in session.marks if mark.at == boundary]
    split = TariffSplit(
        boundary,
        mark.added_kwh,
        session.end.added_kwh - mark.added_kwh,
        mark.delivered_kwh,
        session.end.delivered_kwh - mark.delivered_kwh,
    )
    return session, split


# -- feeding the pipeline -----------------------------------------------------------------------------------


def _stamp(car: SimulatedCar) -> datetime:
    """The car's clock in UTC, as every source stamps its values."""
    return car.now.astimezone(UTC)


def _connectivity(car: SimulatedCar, status: str) -> Event:
    doc = {"Status": status, "CreatedAt": _stamp(car).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return Event(car.vin, "connectivity", status, _stamp(car), doc)


def _batches(car: SimulatedCar, until: Callable[[SimulatedCar], bool]) -> Iterator[Batch]:
    """What the in-process driver sends, a second at a time, stamped with the car's clock: CONNECTED first,
    DISCONNECTED when it falls asleep and CONNECTED when it wakes."""
    source = Source.SIMULATOR.value
    batch = Batch(source, events=[_connectivity(car, "CONNECTED")])
    while not until(car):
        was_asleep = car.asleep
        changes = car.step(1.0)
        if car.asleep != was_asleep:
            batch.events.append(_connectivity(car, "DISCONNECTED" if car.asleep else "CONNECTED"))
        batch.observations += [
            Observation(car.vin, name, value, Form.MQTT, _stamp(car)) for name, value in changes
        ]
        if len(batch.observations) >= BATCH_OBSERVATIONS:
            yield batch
            batch = Batch(source)
    yield batch


async def run(pipeline: Pipeline, car: SimulatedCar, until: Callable[[SimulatedCar], bool]) -> Rows:
    """Feed the car through the pipeline with live derivation until `until(car)`; the rows derived live
    (after the clock has closed whatever was still settling)."""
    live = live_derivation(pipeline)
    for batch in _batches(car, until):
        await pipeline.submit(batch)
    await pipeline.drain()
    await live.tick(FAR_FUTURE)
    assert await _rows(pipeline.db, "SELECT count(*) AS n FROM dead_letters") == [{"n": 0}]
    return await derived_rows(pipeline.db)


async def _rows(db: Database, sql: str, **params: object) -> list[Row]:
    async with db.transaction() as session:
        return [dict(row) for row in (await session.execute(text(sql), params)).mappings()]


async def derived_rows(db: Database) -> Rows:
    """Every derived row, every column but the id (recompute renumbers), in time order; and the vehicle's
    current state."""
    rows = {
        table: await _rows(db, f"SELECT * FROM {table} ORDER BY started_at")
        for table in ("drives", "charging_sessions", "vehicle_states")
    }
    rows["vehicles"] = await _rows(db, "SELECT state, state_since FROM vehicles")
    return {
        table: [{k: v for k, v in row.items() if k != "id"} for row in found] for table, found in rows.items()
    }


async def assert_recompute_agrees(db: Database, live: Rows) -> None:
    """Recompute from the stored signals gives exactly the live rows, and again when run a second time."""
    for _ in range(2):
        await recompute(db, VIN)
        recomputed = await derived_rows(db)
        assert differences(live, recomputed) == []
        assert recomputed == live


def differences(live: Rows, recomputed: Rows) -> list[tuple[str, int, str, object, object]]:
    """(table, row, column, live value, recomputed value) wherever the two differ."""
    found: list[tuple[str, int, str, object, object]] = []
    for table, rows in live.items():
        if len(rows) != len(recomputed[table]):
            found.append((table, -1, "count", len(rows), len(recomputed[table])))
            continue
        for index, (mine, theirs) in enumerate(zip(rows, recomputed[table], strict=True)):
            found += [
                (table, index, column, mine.get(column), theirs.get(column))
                for column in sorted(mine.keys() | theirs.keys())
                if mine.get(column) != theirs.get(column)
            ]
    return found


async def counter_around(db: Database, name: str, at: datetime) -> tuple[float, float]:
    """A stored counter's last value at or before `at` and its first value after it."""
    sql = (
        "SELECT s.ts, s.num FROM signals s JOIN vehicles v ON v.id = s.vehicle_id "
        "WHERE v.vin = :vin AND s.field = :name ORDER BY s.ts"
    )
    values = [(row["ts"], row["num"]) for row in await _rows(db, sql, vin=VIN, name=name)]
    return (
        next(num for ts, num in reversed(values) if ts <= at),
        next(num for ts, num in values if ts > at),
    )


def near(derived: datetime | None, true: datetime, within: timedelta = SECOND) -> bool:
    return derived is not None and abs(derived - true) <= within


def overlaps(row: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    return bool(row["started_at"] < end and (row["ended_at"] is None or row["ended_at"] > start))


# -- the truth itself ---------------------------------------------------------------------------------------


def test_the_journal_is_a_contiguous_record_of_the_cycle() -> None:
    """The journal's phases follow the cycle without gaps; quarter-hour marks fall on quarter hours inside
    their phase, and what a charge added is what the pack gained (energy is conserved exactly)."""
    car = dc_night_scenario()
    assert car.phase is Phase.DC_CHARGING
    while not until_phase(Phase.AC_CHARGING)(car):
        car.step(1.0)
    journal = list(car.journal)
    start = CYCLE.index(Phase.DC_CHARGING)
    assert [entry.phase for entry in journal] == [
        CYCLE[(start + i) % len(CYCLE)] for i in range(len(journal))
    ]
    for earlier, later in itertools.pairwise(journal):
        assert earlier.end is not None and earlier.end.at == later.start.at
        assert earlier.end.energy_kwh == later.start.energy_kwh
        assert later.start.added_kwh == later.start.delivered_kwh == 0.0
        for mark in earlier.marks:
            assert earlier.start.at < mark.at <= earlier.end.at
            assert mark.at.timestamp() % MARK_EVERY_S == 0
    night = truth(car, Phase.ASLEEP)
    assert night.end is not None
    quarters = int(night.end.at.timestamp() // MARK_EVERY_S - night.start.at.timestamp() // MARK_EVERY_S)
    assert len(night.marks) == quarters > 20
    dc = truth(car, Phase.DC_CHARGING)
    assert dc.end is not None and dc.active_from is not None
    # plugged in, the car draws nothing from the pack: it gains exactly what the charger put in
    assert dc.end.energy_kwh - dc.active_from.energy_kwh == pytest.approx(
        dc.end.added_kwh - dc.active_from.added_kwh
    )
    assert dc.end.delivered_kwh > dc.end.added_kwh > 10


# -- the scenarios through the pipeline --------------------------------------------------------------------


async def test_a_drive_of_known_distance_and_energy(pipeline: Pipeline) -> None:
    """One drive, not split, from the gear leaving P to P again (within 1 s of the true gear changes);
    distance within 0.1 % of the true odometer change, or 10 m if more (the car reports hundredths of a mile,
    up to 8 m off at each end: the drive is long enough for that to be within 0.1 %); start and end odometer
    within that resolution; energy used (from EnergyRemaining, in hundredths of a kWh) within 1 % of the
    true fall of the pack's energy between the gear changes; battery levels within 0.1 percentage point; the
    states timeline shows `driving` for exactly that time."""
    car = drive_scenario()
    rows = await run(pipeline, car, until_phase(Phase.AC_CHARGING))  # parked long enough to settle
    drive = truth(car, Phase.DRIVING)
    assert drive.end is not None and drive.active_from is not None and drive.active_until is not None
    true_km = drive.end.odometer_km - drive.start.odometer_km
    true_kwh = drive.active_from.energy_kwh - drive.active_until.energy_kwh
    # long enough that 0.1 % covers the odometer's resolution (two readings, each up to 0.005 mi off)
    assert 0.001 * true_km > 0.01 * KM_PER_MI and true_kwh > 2

    [derived] = rows["drives"]
    assert derived["closed_by"] == "park"
    assert near(derived["started_at"], drive.active_from.at)
    assert near(derived["ended_at"], drive.active_until.at)
    assert derived["distance_km"] == pytest.approx(true_km, rel=0.001, abs=0.010)
    assert derived["start_odometer_km"] == pytest.approx(
        drive.start.odometer_km, abs=0.005 * KM_PER_MI + 1e-9
    )
    assert derived["end_odometer_km"] == pytest.approx(drive.end.odometer_km, abs=0.005 * KM_PER_MI + 1e-9)
    assert derived["energy_used_kwh"] == pytest.approx(true_kwh, rel=0.01)
    assert derived["start_battery_level"] == pytest.approx(drive.active_from.battery_level, abs=0.1)
    assert derived["end_battery_level"] == pytest.approx(drive.active_until.battery_level, abs=0.1)
    assert rows["charging_sessions"] == []
    [driving] = [span for span in rows["vehicle_states"] if span["state"] == "driving"]
    assert near(driving["started_at"], drive.active_from.at) and near(
        driving["ended_at"], drive.active_until.at
    )
    await assert_recompute_agrees(pipeline.db, rows)


async def test_an_ac_session_across_a_tariff_boundary(pipeline: Pipeline) -> None:
    """One AC session from plugging in (21:30 Berlin) to the charge stopping (within 1 s of each); energy
    added (DCChargingEnergyIn, at the battery) and from the wall (ACChargingEnergyIn) each within 1 % of the
    truth, or 0.05 kWh if more; peak power within 0.1 kW (the car reports tenths); `charging` in the states
    timeline for the same time. The truth's split at 22:00 (`ac_truth`, for pricing across the boundary) is
    bracketed by the counters stored either side of it (the car reports them in hundredths of a kWh)."""
    car = ac_scenario()
    async with pipeline.db.transaction() as db_session:  # the route is in Berlin: one big geofence prices it
        tariff = TariffRow(
            name="night rate from 22:00",
            currency="EUR",
            timezone="Europe/Berlin",
            price_per_kwh=Decimal("0.30"),
            windows=windows_json([TouWindow(frozenset(range(7)), TARIFF_BOUNDARY, time(6), Decimal("0.10"))]),
        )
        db_session.add(tariff)
        await db_session.flush()
        db_session.add(
            GeofenceRow(name="Berlin", latitude=52.52, longitude=13.40, radius_m=30_000, tariff_id=tariff.id)
        )
    rows = await run(pipeline, car, until_phase(Phase.DRIVING))  # unplugged, not yet driving off
    session, split = ac_truth()
    assert truth(car, Phase.AC_CHARGING) == session  # the same car, deterministic
    assert session.end is not None and session.active_from is not None and session.active_until is not None
    assert session.active_from.at == berlin(21, 30)
    assert session.active_from.at < split.boundary < session.active_until.at

    [derived] = rows["charging_sessions"]
    assert derived["charger_type"] == "AC" and derived["fast_charger_type"] is None
    assert near(derived["started_at"], session.active_from.at)
    assert near(derived["ended_at"], session.active_until.at)
    assert derived["energy_added_kwh"] == pytest.approx(session.end.added_kwh, rel=0.01, abs=0.05)
    assert derived["energy_from_wall_kwh"] == pytest.approx(session.end.delivered_kwh, rel=0.01, abs=0.05)
    assert derived["max_power_kw"] == pytest.approx(session.max_power_kw, abs=0.1)
    assert derived["start_battery_level"] == pytest.approx(session.active_from.battery_level, abs=0.1)
    assert derived["end_battery_level"] == pytest.approx(session.active_until.battery_level, abs=0.1)
    assert rows["drives"] == []
    [charging] = [span for span in rows["vehicle_states"] if span["state"] == "charging"]
    assert near(charging["started_at"], session.active_from.at)
    assert near(charging["ended_at"], session.active_until.at)

    # priced along the session's power curve: the wall energy before 22:00 at 0.30, after at 0.10 (the
    # meter bills the larger of battery and wall energy), within 1 % or a cent of the truth
    true_cost = split.wall_before_kwh * 0.30 + split.wall_after_kwh * 0.10
    assert derived["cost_currency"] == "EUR"
    assert float(derived["cost_amount"]) == pytest.approx(true_cost, rel=0.01, abs=0.01)

    assert split.added_before_kwh + split.added_after_kwh == pytest.approx(session.end.added_kwh)
    assert split.added_before_kwh > 4 and split.added_after_kwh > 2
    assert split.wall_before_kwh > split.added_before_kwh and split.wall_after_kwh > split.added_after_kwh
    for name, before in (
        ("DCChargingEnergyIn", split.added_before_kwh),
        ("ACChargingEnergyIn", split.wall_before_kwh),
    ):
        # a stored value is the true counter rounded to 0.01 kWh at its time; the counter only rises
        at_or_before, after = await counter_around(pipeline.db, name, split.boundary)
        assert at_or_before - 0.005 <= before <= after + 0.005, name
    await assert_recompute_agrees(pipeline.db, rows)


async def test_a_dc_session(pipeline: Pipeline) -> None:
    """One DC session from plugging in to the charge limit (within 1 s of each); energy added within 1 %
    of the truth; no energy from the wall; peak power within 0.1 kW of the truth, which is the taper's power
    at the level the session began at (within 1 kW: the level rises a little during the ramp-up); `charging`
    in the states timeline for the same time."""
    car = dc_night_scenario()
    rows = await run(pipeline, car, until_phase(Phase.PARKED))  # unplugged
    session = truth(car, Phase.DC_CHARGING)
    assert session.end is not None and session.active_from is not None and session.active_until is not None
    assert session.active_until.battery_level == pytest.approx(CHARGE_LIMIT, abs=0.1)  # stopped at the limit
    assert session.max_power_kw == pytest.approx(dc_taper_kw(session.active_from.battery_level), abs=1.0)

    [derived] = rows["charging_sessions"]
    assert derived["charger_type"] == "DC"
    assert derived["energy_from_wall_kwh"] is None
    assert near(derived["started_at"], session.active_from.at)
    assert near(derived["ended_at"], session.active_until.at)
    assert derived["energy_added_kwh"] == pytest.approx(session.end.added_kwh, rel=0.01)
    assert derived["max_power_kw"] == pytest.approx(session.max_power_kw, abs=0.1)
    assert derived["start_battery_level"] == pytest.approx(session.active_from.battery_level, abs=0.1)
    assert derived["end_battery_level"] == pytest.approx(session.active_until.battery_level, abs=0.1)
    assert rows["drives"] == []
    [charging] = [span for span in rows["vehicle_states"] if span["state"] == "charging"]
    assert near(charging["started_at"], session.active_from.at)
    assert near(charging["ended_at"], session.active_until.at)
    await assert_recompute_agrees(pipeline.db, rows)


async def test_a_night_asleep(pipeline: Pipeline) -> None:
    """After a DC session the car parks, reports DISCONNECTED and sleeps; in the morning it wakes and drives.
    The states timeline shows `asleep` from the DISCONNECTED report to the wake (within 1 s of the truth),
    online either side of it, and no drive or session overlaps the night; the morning drive starts within
    1 s of the gear leaving P."""
    car = dc_night_scenario()
    rows = await run(pipeline, car, until_phase(Phase.AC_CHARGING))  # the morning drive has settled
    night, morning = truth(car, Phase.ASLEEP), truth(car, Phase.DRIVING)
    assert night.end is not None and morning.active_from is not None
    assert night.end.at - night.start.at > timedelta(hours=6)

    events = await _rows(
        pipeline.db, "SELECT ts, name FROM vehicle_events WHERE kind = 'connectivity' ORDER BY ts"
    )
    assert [event["name"] for event in events] == ["CONNECTED", "DISCONNECTED", "CONNECTED"]
    assert events[1]["ts"] == night.start.at and events[2]["ts"] == night.end.at
    states = rows["vehicle_states"]
    [asleep] = [span for span in states if span["state"] == "asleep"]
    assert near(asleep["started_at"], night.start.at) and near(asleep["ended_at"], night.end.at)
    position = states.index(asleep)
    assert (
        states[position - 1]["state"] == "online" and states[position - 1]["ended_at"] == asleep["started_at"]
    )
    assert (
        states[position + 1]["state"] == "online" and states[position + 1]["started_at"] == asleep["ended_at"]
    )
    assert not [state for state in states if state["state"] == "offline"]

    assert len(rows["charging_sessions"]) == 1 and len(rows["drives"]) == 1
    for row in [*rows["charging_sessions"], *rows["drives"]]:
        assert not overlaps(row, night.start.at, night.end.at), row
    assert near(rows["drives"][0]["started_at"], morning.active_from.at)
    await assert_recompute_agrees(pipeline.db, rows)
