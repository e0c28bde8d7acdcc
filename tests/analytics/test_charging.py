"""Charging sessions from the real captures and from the simulator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from teslasync.analytics.charging import detect_charging_sessions
from teslasync.telemetry.model import Form, Observation
from teslasync.telemetry.normalise import normalise
from teslasync.telemetry.sources.simulator import SimulatedCar
from tests.analytics.helpers import sample, samples_from


def test_ac_session_typed(fixtures_dir: Path) -> None:
    [session] = detect_charging_sessions(samples_from(fixtures_dir / "ACCharging_typed.txt"))
    assert session.charger_type == "AC"
    assert session.started_at.strftime("%H:%M:%S") == "12:51:40"  # DetailedChargeState Charging
    assert session.ended_at is not None and session.ended_at.strftime("%H:%M:%S") == "13:42:16"  # Stopped
    # the battery-side counter's last value (sent 3 s after Stopped), counted from zero
    assert session.energy_added_kwh == pytest.approx(1.3599999696016312)
    # the charger-side counter: 0.0001 just before the start, 1.719 at its last report
    assert session.energy_from_wall_kwh == pytest.approx(1.7191666922842423 - 0.00011111111276679568)
    assert session.max_power_kw == pytest.approx(2.6000000387, abs=1e-6)


def test_ac_session_legacy_still_charging_at_the_end(fixtures_dir: Path) -> None:
    [session] = detect_charging_sessions(samples_from(fixtures_dir / "ACCharging1.txt"))
    assert session.charger_type == "AC"
    assert session.started_at.strftime("%H:%M:%S") == "18:05:00"  # ChargeState Startup
    assert session.ended_at is None
    # the capture begins mid-session: both counters are taken as they read, counted from zero
    assert session.energy_added_kwh == pytest.approx(1.6599999628961086)
    assert session.energy_from_wall_kwh == pytest.approx(0.9923333481202503)
    assert session.max_power_kw == pytest.approx(10.1000001505, abs=1e-6)


def test_dc_session_legacy_reads_idle_while_charging(fixtures_dir: Path) -> None:
    [session] = detect_charging_sessions(samples_from(fixtures_dir / "DCCharging1.txt"))
    assert session.charger_type == "DC"
    assert session.started_at.strftime("%H:%M:%S") == "09:57:35"  # FastChargerPresent true
    assert session.ended_at is not None and session.ended_at.strftime("%H:%M:%S") == "10:13:15"
    assert session.energy_added_kwh == pytest.approx(36.25999918952584)  # its last report, 17 s after
    assert session.energy_from_wall_kwh is None
    assert session.max_power_kw == pytest.approx(239.0673946564272)
    assert session.avg_power_kw == pytest.approx(36.25999918952584 / (940 / 3600), rel=1e-3)
    assert session.position == (49.993946, 9.070725)
    assert len(session.curve) == 32


def test_dc_session_typed(fixtures_dir: Path) -> None:
    [session] = detect_charging_sessions(samples_from(fixtures_dir / "DCCharging_typed.txt"))
    assert (session.charger_type, session.fast_charger_type) == ("DC", "Combo")
    assert session.started_at.strftime("%H:%M:%S") == "16:34:53"
    assert session.ended_at is not None and session.ended_at.strftime("%H:%M:%S") == "16:35:28"
    assert session.energy_added_kwh == pytest.approx(0.23999999463558197)


def test_a_car_preconditioning_while_plugged_in_is_not_charging(fixtures_dir: Path) -> None:
    # ChargeState reads Enable, but no AC counter, AC power or fast charger shows energy flowing
    assert (
        detect_charging_sessions(samples_from(fixtures_dir / "PluggedIn-NotCharging-Precondition.txt")) == []
    )


def test_simulated_sessions_match_what_the_car_gained() -> None:
    car = SimulatedCar("5YJ3E7EB2NF000001", seed=5, start=datetime(2026, 3, 1, 6, 0, tzinfo=UTC))
    samples = []
    for _ in range(1200):
        for field, value in car.step(1.0):
            samples.append(sample(normalise(Observation(car.vin, field, value, Form.MQTT, car.now))))
    sessions = detect_charging_sessions(samples)
    assert [s.charger_type for s in sessions] == ["AC", "DC"]
    for session in sessions:
        assert session.ended_at is not None
        before = [s.value for s in samples if s.field == "EnergyRemaining" and s.ts <= session.started_at]
        after = [s.value for s in samples if s.field == "EnergyRemaining" and s.ts <= session.ended_at]
        gained = after[-1] - before[-1]
        assert session.energy_added_kwh == pytest.approx(gained, abs=0.15)
        assert session.start_battery_level is not None and session.end_battery_level is not None
        assert session.end_battery_level > session.start_battery_level
    ac, dc = sessions
    assert ac.energy_from_wall_kwh is not None and ac.energy_added_kwh is not None
    assert ac.energy_from_wall_kwh > ac.energy_added_kwh  # the charger's losses
    assert dc.max_power_kw is not None and ac.max_power_kw is not None
    assert dc.max_power_kw > 50 > ac.max_power_kw  # a Supercharger, tapered at this state of charge
