"""The states timeline, from real captures and from connectivity reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from teslasync.analytics.derivation import Derived, VehicleDerivation
from teslasync.analytics.samples import Sample
from teslasync.analytics.states import CONNECTIVITY, State, StateSpan
from tests.analytics.helpers import samples_from


def timeline(samples: list[Sample]) -> list[tuple[str, str, str | None]]:
    derivation, derived = VehicleDerivation(), Derived()
    for sample in samples:
        derived.add(derivation.feed(sample))
    derived.add(derivation.flush(datetime.now(UTC)))
    current = derivation.current_state()
    spans: list[StateSpan] = [*derived.spans, *([current] if current else [])]
    return [
        (
            span.state.value,
            span.started_at.strftime("%H:%M:%S.%f"),
            span.ended_at.strftime("%H:%M:%S.%f") if span.ended_at else None,
        )
        for span in spans
    ]


def test_a_drive_is_driving_from_gear_out_of_p_to_p(fixtures_dir: Path) -> None:
    assert timeline(samples_from(fixtures_dir / "DrivingByGear.txt")) == [
        ("online", "14:51:44.826082", "14:53:53.826343"),
        ("driving", "14:53:53.826343", "14:59:05.825491"),
        ("online", "14:59:05.825491", None),
    ]


def test_a_dc_session_is_charging_then_the_car_drives_off_and_goes_silent(fixtures_dir: Path) -> None:
    # a legacy car: charging once current flows into the pack; the capture ends as it drives away, so
    # the drive is closed for silence (and discarded: too short) and the car counts as offline
    assert timeline(samples_from(fixtures_dir / "DCCharging1.txt")) == [
        ("online", "09:57:32.541029", "09:57:40.033159"),
        ("charging", "09:57:40.033159", "10:13:15.032731"),
        ("online", "10:13:15.032731", "10:13:39.032638"),
        ("offline", "10:13:39.032638", None),
    ]


def test_a_typed_ac_session_is_charging_while_the_car_says_so(fixtures_dir: Path) -> None:
    assert timeline(samples_from(fixtures_dir / "ACCharging_typed.txt")) == [
        ("online", "12:51:31.968831", "12:51:40.968643"),
        ("charging", "12:51:40.968643", "13:42:16.968275"),
        ("online", "13:42:16.968275", None),
    ]


def test_preconditioning_while_plugged_in_is_not_charging(fixtures_dir: Path) -> None:
    states = timeline(samples_from(fixtures_dir / "PluggedIn-NotCharging-Precondition.txt"))
    assert [state for state, _, _ in states] == ["online"]


def test_a_software_update_is_updating_from_download_complete_to_the_version_clearing(
    fixtures_dir: Path,
) -> None:
    assert timeline(samples_from(fixtures_dir / "SWUpdate.txt")) == [
        ("online", "16:55:37.033175", "07:32:36.012413"),
        ("updating", "07:32:36.012413", "09:08:33.013184"),
        ("online", "09:08:33.013184", None),
    ]


T0 = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)


def at(minutes: float, field: str, value: object) -> Sample:
    return Sample(T0 + timedelta(minutes=minutes), field, value)


def test_a_parked_car_that_disconnects_is_asleep_until_it_speaks_again() -> None:
    derivation = VehicleDerivation()
    closed = []
    for sample in [
        at(0, "BatteryLevel", 80.0),
        at(10, CONNECTIVITY, "DISCONNECTED"),
        at(550, CONNECTIVITY, "CONNECTED"),
        at(551, "BatteryLevel", 78.0),
    ]:
        closed += derivation.feed(sample).spans
    assert [(s.state, s.started_at, s.ended_at) for s in closed] == [
        (State.ONLINE, T0, T0 + timedelta(minutes=10)),
        (State.ASLEEP, T0 + timedelta(minutes=10), T0 + timedelta(minutes=550)),
    ]
    assert derivation.current_state() == StateSpan(State.ONLINE, T0 + timedelta(minutes=550), None)


def test_a_car_that_disconnects_mid_drive_is_offline() -> None:
    derivation = VehicleDerivation()
    for sample in [at(0, "Gear", "D"), at(1, CONNECTIVITY, "DISCONNECTED")]:
        derivation.feed(sample)
    current = derivation.current_state()
    assert current is not None and current.state is State.OFFLINE
