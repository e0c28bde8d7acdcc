"""Drives from the real driving fixtures, from the simulator (where the truth is known), and edge cases."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from teslasync.analytics.daily import drive_energy
from teslasync.analytics.drives import detect_drives
from teslasync.analytics.samples import Sample
from teslasync.telemetry.model import Form, Observation
from teslasync.telemetry.normalise import normalise
from teslasync.telemetry.sources.simulator import SimulatedCar
from tests.analytics.helpers import sample, samples_from

MI = 1.609344


def test_the_driving_fixture_gives_one_drive_from_d_to_p(fixtures_dir: Path) -> None:
    [drive] = detect_drives(samples_from(fixtures_dir / "DrivingByGear.txt"))
    assert drive.started_at.strftime("%H:%M:%S") == "14:53:53"
    assert drive.ended_at.strftime("%H:%M:%S") == "14:59:05"
    assert drive.closed_by == "park"
    # the odometer the car sent just before D and just after P (on its own 15 s interval)
    assert drive.distance_km == pytest.approx((46884.57879971265 - 46882.72276387328) * MI, abs=1e-6)
    assert drive.max_speed_kmh == pytest.approx(36.0, abs=1e-6)  # 22.369 mph
    assert drive.start_rated_range_km == pytest.approx(178.4474845958627 * MI)
    assert drive.end_rated_range_km == pytest.approx(175.43378603308713 * MI)
    assert drive.start_position == (48.189087, 9.904667)
    assert drive.end_position == (48.189076, 9.904644)
    assert len(drive.track) >= 6
    assert drive.avg_speed_kmh == pytest.approx(drive.distance_km / (312 / 3600), rel=0.01)


def test_a_five_metre_move_is_not_a_drive(fixtures_dir: Path) -> None:
    # DrivingByGear_typed: D then P 5 s later after rolling about 5 m (the GPS track and speed agree)
    samples = samples_from(fixtures_dir / "DrivingByGear_typed.txt")
    gears = [s.value for s in samples if s.field == "Gear"]
    assert gears == ["D", "P"]
    assert detect_drives(samples) == []


def at(seconds: float) -> datetime:
    return datetime(2026, 3, 1, 8, 0, tzinfo=UTC) + timedelta(seconds=seconds)


def moving(start_s: float, points: int, *, gear: bool = True) -> list[Sample]:
    samples = [Sample(at(start_s), "Gear", "D")] if gear else []
    for i in range(points):
        samples.append(Sample(at(start_s + i * 10), "VehicleSpeed", 50.0))
        samples.append(
            Sample(at(start_s + i * 10), "Location", {"latitude": 52.5 + i * 0.001, "longitude": 13.4})
        )
    return samples


def test_a_car_that_goes_silent_mid_drive_closes_after_the_grace_period() -> None:
    samples = moving(0, 6)
    held = detect_drives([*samples, *moving(600, 2)[1:]])  # back after 9 minutes: the same drive
    assert len(held) == 1 and held[0].closed_by == "offline"
    assert held[0].ended_at == at(610)
    gone = detect_drives([*samples, Sample(at(50 + 16 * 60), "Gear", "P")])
    assert len(gone) == 1
    assert gone[0].closed_by == "offline" and gone[0].ended_at == at(50)


def test_reverse_and_neutral_stay_inside_the_drive_and_p_then_d_starts_another() -> None:
    samples = [
        *moving(0, 3),
        Sample(at(30), "Gear", "R"),
        Sample(at(35), "Gear", "N"),
        Sample(at(40), "Gear", "P"),
        *moving(45, 3),
        Sample(at(80), "Gear", "P"),
    ]
    drives = detect_drives(samples)
    assert [(d.started_at, d.ended_at) for d in drives] == [(at(0), at(40)), (at(45), at(80))]


def test_without_gear_data_speed_starts_and_a_long_stop_ends_a_drive() -> None:
    samples = [
        *moving(0, 4, gear=False),
        Sample(at(40), "VehicleSpeed", 0.0),
        Sample(at(100), "VehicleSpeed", 0.0),
        Sample(at(170), "VehicleSpeed", 0.0),
    ]
    [drive] = detect_drives(samples)
    assert (drive.started_at, drive.ended_at, drive.closed_by) == (at(0), at(40), "stop")


def test_energy_from_energy_remaining_else_from_rated_range_and_efficiency() -> None:
    base = [
        Sample(at(-5), "EnergyRemaining", 50.0),
        Sample(at(-5), "RatedRange", 300.0),
        *moving(0, 4),
        Sample(at(35), "EnergyRemaining", 49.2),
        Sample(at(35), "RatedRange", 295.0),
        Sample(at(40), "Gear", "P"),
    ]
    [drive] = detect_drives(base)
    assert drive.energy_used_kwh == pytest.approx(0.8)
    assert drive.consumption_wh_per_km == pytest.approx(800 / drive.distance_km)
    no_energy = [s for s in base if s.field != "EnergyRemaining"]
    [unknown] = detect_drives(no_energy)
    assert unknown.energy_used_kwh is None  # stored unknown: the efficiency estimate is made when asked
    estimated = drive_energy(None, unknown.start_rated_range_km, unknown.end_rated_range_km, 150.0)
    assert estimated == pytest.approx(5 * 0.150)


def simulated(seconds: float) -> list[Sample]:
    car = SimulatedCar("5YJ3E7EB2NF000001", seed=3, start=datetime(2026, 3, 1, 6, 0, tzinfo=UTC))
    samples: list[Sample] = []
    for _ in range(int(seconds)):
        for field, value in car.step(1.0):
            samples.append(sample(normalise(Observation(car.vin, field, value, Form.MQTT, car.now))))
    return samples


def test_simulated_drives_match_the_known_truth() -> None:
    samples = simulated(1200)  # one cycle: two drives (to the AC charger, then to the Supercharger)
    drives = detect_drives(samples)
    assert len(drives) == 2
    for drive in drives:
        inside = [s for s in samples if drive.started_at <= s.ts <= drive.ended_at + timedelta(seconds=60)]
        odometers = [s.value for s in inside if s.field == "Odometer"]
        assert drive.distance_km == pytest.approx(max(odometers) - drive.start_odometer_km, rel=1e-6)
        speeds = [
            (s.ts, s.value)
            for s in samples
            if s.field == "VehicleSpeed" and drive.started_at <= s.ts <= drive.ended_at
        ]
        integral = sum((b[0] - a[0]).total_seconds() / 3600 * (a[1] or 0.0) for a, b in pairwise(speeds))
        assert drive.distance_km == pytest.approx(integral, rel=0.03)
        consumption = drive.consumption_wh_per_km
        assert consumption is not None and 110 <= consumption <= 220, consumption
        assert drive.start_battery_level is not None and drive.end_battery_level is not None
        assert drive.start_battery_level > drive.end_battery_level
        assert math.isclose(drive.max_speed_kmh or 0, max(v or 0 for _, v in speeds))
