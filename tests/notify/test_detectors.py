"""Notifiable events from a vehicle's telemetry: constructed sequences for every rule, and real captures."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from teslasync.analytics.derivation import VehicleDerivation
from teslasync.analytics.samples import Sample
from teslasync.analytics.states import State
from teslasync.notify.detect import (
    DetectorSettings,
    VehicleDetector,
    command_failed_event,
    stream_stale_event,
)
from teslasync.notify.detect.readings import STOP_PHASES
from teslasync.notify.events import Event, EventKind
from tests.analytics.helpers import samples_from

VIN = "XP7YGCEK9PB000000"
T0 = datetime(2025, 1, 2, 12, 0, tzinfo=UTC)
CLOSED_DOORS = dict.fromkeys(
    ("DriverFront", "DriverRear", "PassengerFront", "PassengerRear", "TrunkFront", "TrunkRear"), False
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def s(seconds: float, field: str, value: Any) -> Sample:
    return Sample(at(seconds), field, value)


def kinds(events: Iterable[Event]) -> list[EventKind]:
    return [event.kind for event in events]


def detector(**settings: Any) -> VehicleDetector:
    return VehicleDetector(VIN, DetectorSettings(**settings))


def doors(**open_: bool) -> dict[str, bool]:
    return {**CLOSED_DOORS, **open_}


# --- charging ------------------------------------------------------------------------------------


def charging_to_complete() -> list[Sample]:
    return [
        s(0, "ChargeLimitSoc", 80),
        s(0, "BatteryLevel", 50.0),
        s(0, "DetailedChargeState", "Disconnected"),
        s(10, "DetailedChargeState", "Starting"),
        s(20, "DetailedChargeState", "Charging"),
        s(600, "BatteryLevel", 70.0),
        s(1200, "BatteryLevel", 79.6),
        s(1300, "BatteryLevel", 80.0),
        s(1320, "DetailedChargeState", "Complete"),
    ]


def test_a_charge_starts_reaches_its_limit_and_completes_once_each() -> None:
    d = detector()
    events = d.observe(charging_to_complete())
    assert kinds(events) == [
        EventKind.CHARGE_STARTED,
        EventKind.CHARGE_LIMIT_REACHED,
        EventKind.CHARGE_COMPLETE,
    ]
    started, limit, complete = events
    assert started.at == at(20) and started.title == "Charging started"
    assert started.body == "Charging started at 50 % (limit 80 %)."
    assert limit.at == at(1200) and limit.body == "Battery at 80 % (limit 80 %)."
    assert complete.at == at(1320) and complete.title == "Charging complete"
    assert complete.body == "Charged to 80 % (limit 80 %) in 22 min."
    # the session's start tells the occurrence apart
    assert complete.dedup_key == f"charge_complete:{VIN}:{at(20).isoformat()}"
    assert complete.data["sessionStartedAt"] == at(20).isoformat()
    # the same values again, later: nothing new
    assert d.observe([s(1400, "DetailedChargeState", "Complete"), s(1500, "BatteryLevel", 80.0)]) == []


def test_a_new_charge_after_a_complete_one_is_a_new_session() -> None:
    d = detector()
    first = d.observe(charging_to_complete())
    again = d.observe(
        [
            s(5000, "BatteryLevel", 60.0),
            s(5000, "DetailedChargeState", "Charging"),
            s(6000, "BatteryLevel", 80.0),
        ]
    )
    assert kinds(again) == [EventKind.CHARGE_STARTED, EventKind.CHARGE_LIMIT_REACHED]
    assert {event.dedup_key for event in again}.isdisjoint(event.dedup_key for event in first)


def test_dc_fast_charging_is_named_in_the_body() -> None:
    d = detector()
    d.observe([s(0, "DetailedChargeState", "Disconnected"), s(1, "FastChargerPresent", True)])
    [started] = d.observe([s(2, "DetailedChargeState", "Charging")])
    assert started.body.startswith("DC fast charging started") and started.data["fastCharger"] is True


def test_the_first_charge_state_seen_is_only_the_baseline() -> None:
    d = detector()
    assert (
        d.observe(
            [s(0, "BatteryLevel", 80.0), s(0, "ChargeLimitSoc", 80), s(0, "DetailedChargeState", "Charging")]
        )
        == []
    )
    assert d.observe([s(10, "BatteryLevel", 80.2)]) == []  # the limit was reached before we knew
    [complete] = d.observe([s(20, "DetailedChargeState", "Complete")])
    assert complete.kind is EventKind.CHARGE_COMPLETE
    assert detector().observe([s(0, "DetailedChargeState", "Complete")]) == []


@pytest.mark.parametrize("phase", sorted(STOP_PHASES))
def test_a_charge_that_stops_below_the_limit_stopped_unexpectedly(phase: str) -> None:
    d = detector()
    d.observe(
        [s(0, "DetailedChargeState", "Stopped"), s(0, "ChargeLimitSoc", 80), s(0, "BatteryLevel", 40.0)]
    )
    d.observe([s(10, "DetailedChargeState", "Charging")])
    [stopped] = d.observe([s(20, "BatteryLevel", 45.0), s(30, "DetailedChargeState", phase)])
    assert stopped.kind is EventKind.CHARGE_STOPPED_UNEXPECTEDLY
    assert stopped.at == at(30) and stopped.data["chargeState"] == phase
    assert "45 %" in stopped.body and "80 % limit" in stopped.body
    assert stopped.dedup_key == f"charge_stopped_unexpectedly:{VIN}:{at(10).isoformat()}"


@pytest.mark.parametrize(
    ("level", "limit"),
    [(78.5, 80), (None, 80), (40.0, None)],  # within the 2 % margin; level or limit unknown
)
def test_a_stop_is_not_unexpected_near_the_limit_or_without_numbers(
    level: float | None, limit: int | None
) -> None:
    d = detector()
    known = [s(0, "BatteryLevel", level), s(0, "ChargeLimitSoc", limit)]
    d.observe([*known, s(0, "DetailedChargeState", "Disconnected"), s(10, "DetailedChargeState", "Charging")])
    assert d.observe([s(20, "DetailedChargeState", "Stopped")]) == []


def test_only_a_stop_from_charging_counts() -> None:
    d = detector()
    d.observe(
        [s(0, "BatteryLevel", 30.0), s(0, "ChargeLimitSoc", 80), s(0, "DetailedChargeState", "Disconnected")]
    )
    assert (
        d.observe([s(10, "DetailedChargeState", "Starting"), s(20, "DetailedChargeState", "NoPower")]) == []
    )


def test_charge_state_stands_in_when_the_car_sends_no_detailed_charge_state() -> None:
    d = detector()
    d.observe([s(0, "ChargeState", "ChargeStateDisconnected")])
    assert kinds(d.observe([s(10, "ChargeState", "Charging")])) == [EventKind.CHARGE_STARTED]
    assert kinds(d.observe([s(20, "ChargeState", "ChargeStateComplete")])) == [EventKind.CHARGE_COMPLETE]


def test_legacy_charge_state_words_say_nothing() -> None:
    """`Enable` is also a plugged-in car preconditioning; `Idle` is a DC session too."""
    words = ("Idle", "Startup", "Enable", "Idle", "QualifyLineConfig", "Enable", "ClearFaults")
    assert detector().observe([s(n, "ChargeState", word) for n, word in enumerate(words)]) == []


def test_detailed_charge_state_wins_over_charge_state() -> None:
    d = detector()
    d.observe([s(0, "DetailedChargeState", "Disconnected"), s(0, "ChargeState", "Idle")])
    assert kinds(d.observe([s(10, "DetailedChargeState", "Charging")])) == [EventKind.CHARGE_STARTED]
    assert d.observe([s(20, "ChargeState", "Complete")]) == []


def test_a_legacy_car_charges_while_the_derived_state_says_so() -> None:
    d = detector()
    d.observe([s(0, "ChargeState", "Idle"), s(0, "ChargeLimitSoc", 90), s(0, "Soc", 70.0)])
    assert d.observe_state(State.ONLINE, at(0)) == []
    assert kinds(d.observe_state(State.CHARGING, at(10))) == [EventKind.CHARGE_STARTED]
    d.observe([s(100, "Soc", 89.0)])
    [complete] = d.observe_state(State.ONLINE, at(200))
    assert complete.kind is EventKind.CHARGE_COMPLETE and complete.at == at(200)
    # stopped far below the limit while the car stays online
    d.observe_state(State.CHARGING, at(300))
    d.observe([s(310, "Soc", 50.0)])
    assert kinds(d.observe_state(State.ONLINE, at(320))) == [EventKind.CHARGE_STOPPED_UNEXPECTEDLY]
    # gone silent while charging: no verdict, but the next charge is a new one
    d.observe_state(State.CHARGING, at(400))
    assert d.observe_state(State.OFFLINE, at(500)) == []
    assert kinds(d.observe_state(State.CHARGING, at(600))) == [EventKind.CHARGE_STARTED]


def test_the_derived_state_is_ignored_for_a_car_with_detailed_charge_state() -> None:
    d = detector()
    d.observe([s(0, "DetailedChargeState", "Disconnected")])
    assert d.observe_state(State.CHARGING, at(10)) == []


# --- left unlocked -------------------------------------------------------------------------------


def test_a_parked_car_left_unlocked_is_told_once_after_ten_minutes() -> None:
    d = detector()
    assert d.observe([s(0, "Gear", "P"), s(0, "Locked", True), s(60, "Locked", False)]) == []
    assert d.tick(at(60 + 599)) == []
    [event] = d.tick(at(60 + 601))
    assert event.kind is EventKind.LEFT_UNLOCKED
    assert event.at == at(660)  # when it fell due, whenever the tick came
    assert event.title == "Car left unlocked"
    assert event.body == "Parked and unlocked for 10 min (unlocked since 2025-01-02 12:01 UTC)."
    assert event.dedup_key == f"left_unlocked:{VIN}:{at(60).isoformat()}"
    assert d.tick(at(5000)) == []
    # locked and unlocked again: a new period
    d.observe([s(6000, "Locked", True), s(7000, "Locked", False)])
    [again] = d.tick(at(8000))
    assert again.at == at(7600) and again.dedup_key != event.dedup_key


def test_a_later_sample_of_any_field_also_brings_it_due() -> None:
    d = detector()
    d.observe([s(0, "Gear", "P"), s(0, "Locked", False)])
    [event] = d.observe([s(900, "InsideTemp", 21.0)])
    assert event.kind is EventKind.LEFT_UNLOCKED and event.at == at(600)


def test_a_period_that_lasted_long_enough_is_told_even_when_the_value_ending_it_comes_first() -> None:
    d = detector()
    d.observe([s(0, "Gear", "P"), s(0, "Locked", False)])
    assert kinds(d.observe([s(700, "Locked", True)])) == [EventKind.LEFT_UNLOCKED]


def test_unlocked_is_not_told_while_driving_or_while_someone_sits_in_the_car() -> None:
    driving = detector()
    driving.observe([s(0, "Gear", "D"), s(0, "Locked", False)])
    assert driving.tick(at(3600)) == []
    occupied = detector()
    occupied.observe([s(0, "Gear", "P"), s(0, "DriverSeatOccupied", True), s(0, "Locked", False)])
    assert occupied.tick(at(3600)) == []
    # the driver gets out: the ten minutes start then
    occupied.observe([s(3600, "DriverSeatOccupied", False)])
    assert occupied.tick(at(3600 + 599)) == []
    [event] = occupied.tick(at(3600 + 600))
    # ... and the unlocked period is told once, however often someone gets in and out
    occupied.observe([s(5000, "DriverSeatOccupied", True), s(5100, "DriverSeatOccupied", False)])
    assert occupied.tick(at(9000)) == []
    assert event.dedup_key.endswith(at(0).isoformat())


def test_without_a_gear_the_derived_state_says_whether_the_car_is_parked() -> None:
    d = detector()
    d.observe([s(0, "Locked", False)])
    assert d.tick(at(3600)) == []  # parked? nothing says so
    d.observe_state(State.DRIVING, at(3600))
    assert d.tick(at(7200)) == []
    d.observe_state(State.ONLINE, at(7200))
    [event] = d.tick(at(7200 + 600))
    assert event.kind is EventKind.LEFT_UNLOCKED and event.at == at(7800)


def test_gear_out_of_p_wins_over_a_lagging_state() -> None:
    d = detector()
    d.observe_state(State.ONLINE, at(0))
    d.observe([s(0, "Locked", False), s(1, "Gear", "D")])
    assert d.tick(at(3600)) == []


# --- doors and windows ---------------------------------------------------------------------------


def test_a_door_open_while_parked_is_told_once_per_open_period() -> None:
    d = detector()
    d.observe([s(0, "Gear", "P"), s(0, "DoorState", doors()), s(10, "DoorState", doors(TrunkRear=True))])
    assert d.tick(at(309)) == []
    d.observe([s(200, "DoorState", doors(TrunkRear=True, DriverFront=True))])  # still the same period
    [event] = d.tick(at(311))
    assert event.kind is EventKind.DOOR_OPEN_PARKED and event.at == at(310)
    assert event.body == "A door has been open for 5 min while parked: driver front door and trunk."
    assert event.data["doors"] == ["DriverFront", "TrunkRear"]
    assert d.tick(at(2000)) == []
    d.observe([s(2000, "DoorState", doors()), s(2100, "DoorState", doors(TrunkFront=True))])
    [again] = d.tick(at(2400))
    assert again.body.endswith(": frunk.") and again.dedup_key != event.dedup_key


def test_a_door_open_while_driving_counts_from_when_the_car_parks() -> None:
    d = detector()
    d.observe([s(0, "Gear", "D"), s(0, "DoorState", doors(TrunkRear=True))])
    assert d.tick(at(1000)) == []
    d.observe([s(1000, "Gear", "P")])
    assert d.tick(at(1299)) == []
    [event] = d.tick(at(1300))
    assert event.at == at(1300)


def test_an_open_window_while_parked_names_the_window() -> None:
    d = detector()
    d.observe(
        [
            s(0, "Gear", "P"),
            *(s(0, name, "Closed") for name in ("FdWindow", "FpWindow", "RdWindow", "RpWindow")),
            s(5, "RpWindow", "PartiallyOpen"),
            s(6, "FdWindow", "Opened"),
        ]
    )
    [event] = d.tick(at(400))
    assert event.kind is EventKind.WINDOW_OPEN_PARKED and event.at == at(305)
    assert event.body == (
        "A window has been open for 5 min while parked: front driver window and rear passenger window (partly)."
    )
    assert event.data["windows"] == {"FdWindow": "Opened", "RpWindow": "PartiallyOpen"}


def test_a_vented_window_can_be_left_out() -> None:
    d = detector(partly_open_windows=False)
    d.observe([s(0, "Gear", "P"), s(0, "FdWindow", "Closed"), s(5, "FdWindow", "PartiallyOpen")])
    assert d.tick(at(4000)) == []
    d.observe([s(4000, "FdWindow", "Opened")])
    assert kinds(d.tick(at(4300))) == [EventKind.WINDOW_OPEN_PARKED]


def test_closed_doors_and_windows_say_nothing() -> None:
    d = detector(open_after_s=0)
    d.observe([s(0, "Gear", "P"), s(0, "DoorState", doors()), s(0, "FdWindow", "Closed")])
    assert d.tick(at(3600)) == []


# --- Sentry Mode, software updates, tyres, alerts ------------------------------------------------


def test_sentry_mode_aware_and_panic() -> None:
    d = detector()
    assert d.observe([s(0, "SentryMode", "Armed")]) == []
    [aware] = d.observe([s(10, "SentryMode", "Aware")])
    assert aware.kind is EventKind.SENTRY_ALERT and aware.title == "Sentry Mode alert"
    assert aware.dedup_key == f"sentry_alert:{VIN}:Aware:{at(10).isoformat()}"
    # back to Armed and Aware again soon: a busy car park, not told again
    assert d.observe([s(20, "SentryMode", "Armed"), s(30, "SentryMode", "Aware")]) == []
    [panic] = d.observe([s(40, "SentryMode", "Panic")])
    assert panic.title == "Sentry Mode alarm" and "alarm" in panic.body
    assert d.observe([s(50, "SentryMode", "Aware")]) == []  # calming down is no news
    # long after the last one, Aware is news again
    d.observe([s(5000, "SentryMode", "Armed")])
    assert kinds(d.observe([s(5010, "SentryMode", "Aware")])) == [EventKind.SENTRY_ALERT]


def test_sentry_mode_already_aware_at_start_is_the_baseline() -> None:
    d = detector()
    assert d.observe([s(0, "SentryMode", "Aware"), s(10, "SentryMode", "Aware")]) == []


def test_a_software_update_is_told_once_per_version() -> None:
    d = detector()
    d.observe([s(0, "Version", "2024.44.25 7910d26d5c64"), s(0, "SoftwareUpdateVersion", " ")])
    [event] = d.observe([s(10, "SoftwareUpdateVersion", "2025.2.6")])
    assert event.kind is EventKind.SOFTWARE_UPDATE_AVAILABLE
    assert event.body == "Version 2025.2.6 is available (installed: 2024.44.25)."
    assert event.dedup_key == f"software_update_available:{VIN}:2025.2.6"
    assert d.observe([s(20, "SoftwareUpdateVersion", " "), s(30, "SoftwareUpdateVersion", "2025.2.6")]) == []
    assert kinds(d.observe([s(40, "SoftwareUpdateVersion", "2025.2.9")])) == [
        EventKind.SOFTWARE_UPDATE_AVAILABLE
    ]


def test_an_update_that_is_the_installed_version_or_already_offered_at_start_says_nothing() -> None:
    d = detector()
    d.observe([s(0, "Version", "2025.2.6 abc"), s(0, "SoftwareUpdateVersion", "")])
    assert d.observe([s(10, "SoftwareUpdateVersion", "2025.2.6")]) == []
    assert detector().observe([s(0, "SoftwareUpdateVersion", "2025.2.6")]) == []


def test_a_tyre_going_low_is_told_once_until_it_recovers() -> None:
    d = detector()
    assert d.observe([s(0, "TpmsPressureFl", 2.9), s(0, "TpmsPressureRr", 2.85)]) == []
    [low] = d.observe([s(10, "TpmsPressureFl", 2.1)])
    assert low.kind is EventKind.TYRE_PRESSURE_LOW and low.title == "Low tyre pressure"
    assert low.body == "Front left tyre at 2.10 bar (alert below 2.20 bar)."
    assert low.dedup_key == f"tyre_pressure_low:{VIN}:Fl:{at(10).isoformat()}"
    # wobbling around the threshold is not news; recovering within the hysteresis is not recovering
    assert (
        d.observe(
            [s(20, "TpmsPressureFl", 2.3), s(30, "TpmsPressureFl", 2.15), s(40, "TpmsPressureFl", None)]
        )
        == []
    )
    d.observe([s(50, "TpmsPressureFl", 2.45)])  # above 2.2 + 0.2: recovered
    assert kinds(d.observe([s(60, "TpmsPressureFl", 2.0)])) == [EventKind.TYRE_PRESSURE_LOW]


def test_the_cars_tpms_warning_is_a_low_tyre_too() -> None:
    d = detector()
    d.observe([s(0, "TpmsPressureRl", 2.5), s(0, "TpmsSoftWarnings", {"rear_left": False})])
    [low] = d.observe([s(10, "TpmsSoftWarnings", {"rear_left": True, "front_left": False})])
    assert low.data["tyre"] == "Rl" and low.data["tpmsWarning"] == "soft"
    assert "soft TPMS warning" in low.body and "2.50 bar" in low.body
    assert d.observe([s(20, "TpmsHardWarnings", {"rearLeft": True})]) == []  # still the same low tyre


def test_a_tyre_low_at_start_is_the_baseline() -> None:
    d = detector()
    assert d.observe([s(0, "TpmsPressureFr", 1.9), s(10, "TpmsPressureFr", 1.8)]) == []


def test_a_vehicle_alert_is_told_once_per_name_and_start() -> None:
    d = detector()
    doc = {"StartedAt": at(0).isoformat(), "Audiences": ["Customer", "Service"]}
    [alert] = d.observe_alert("ChargePortFault", at(0), doc)
    assert alert.kind is EventKind.VEHICLE_ALERT and alert.title == "Vehicle alert: ChargePortFault"
    assert alert.body == "The car reported ChargePortFault at 2025-01-02 12:00 UTC (for: Customer, Service)."
    assert alert.dedup_key == f"vehicle_alert:{VIN}:ChargePortFault:{at(0).isoformat()}"
    assert d.observe_alert("ChargePortFault", at(0), {**doc, "EndedAt": at(60).isoformat()}) == []
    [later] = d.observe_alert("ChargePortFault", at(100), {"startedAt": at(100).isoformat(), "endedAt": "x"})
    assert later.dedup_key != alert.dedup_key and "ended" in later.body


# --- ordering, dedup keys, seeding ---------------------------------------------------------------


def test_out_of_order_and_redelivered_samples_are_ignored() -> None:
    d = detector()
    d.observe(
        [s(0, "ChargeLimitSoc", 80), s(0, "BatteryLevel", 40.0), s(0, "DetailedChargeState", "Disconnected")]
    )
    [started] = d.observe([s(20, "DetailedChargeState", "Charging")])
    assert d.observe([s(10, "DetailedChargeState", "Disconnected")]) == []  # older than what is known
    assert d.observe([s(20, "DetailedChargeState", "Charging")]) == []  # delivered again
    assert d.observe([s(5, "BatteryLevel", 95.0)]) == []  # a stale level does not reach the limit
    [complete] = d.observe([s(30, "DetailedChargeState", "Complete")])
    assert complete.dedup_key == f"charge_complete:{VIN}:{started.at.isoformat()}"


def scenario() -> list[Sample]:
    return [
        *charging_to_complete(),
        s(1400, "Gear", "P"),
        s(1400, "Locked", True),
        s(1500, "Locked", False),
        s(1500, "SentryMode", "Armed"),
        s(1600, "SentryMode", "Aware"),
        s(1700, "DoorState", doors()),
        s(1800, "DoorState", doors(TrunkRear=True)),
        s(1900, "TpmsPressureFl", 2.9),
        s(2000, "TpmsPressureFl", 2.0),
        s(2000, "SoftwareUpdateVersion", " "),
        s(2100, "SoftwareUpdateVersion", "2025.2.6"),
        s(4000, "InsideTemp", 20.0),
    ]


def test_dedup_keys_are_the_same_from_a_fresh_detector_however_the_data_is_batched() -> None:
    whole = detector().observe(scenario())
    assert set(kinds(whole)) == {
        EventKind.CHARGE_STARTED,
        EventKind.CHARGE_LIMIT_REACHED,
        EventKind.CHARGE_COMPLETE,
        EventKind.LEFT_UNLOCKED,
        EventKind.SENTRY_ALERT,
        EventKind.DOOR_OPEN_PARKED,
        EventKind.TYRE_PRESSURE_LOW,
        EventKind.SOFTWARE_UPDATE_AVAILABLE,
    }
    one_by_one, d = [], detector()
    for sample in scenario():
        one_by_one += d.tick(sample.ts - timedelta(seconds=1))
        one_by_one += d.observe([sample])
        one_by_one += d.observe(scenario())  # a redelivered batch
    assert [(e.kind, e.at, e.dedup_key) for e in one_by_one] == [(e.kind, e.at, e.dedup_key) for e in whole]
    assert [e.body for e in one_by_one] == [e.body for e in whole]


def test_a_seeded_detector_tells_nothing_of_the_past_but_carries_on() -> None:
    d = detector()
    stored = [
        s(0, "ChargeLimitSoc", 80),
        s(100, "BatteryLevel", 60.0),
        s(20, "DetailedChargeState", "Charging"),
        s(30, "Locked", False),
        s(30, "Gear", "P"),
        s(40, "TpmsPressureRl", 1.9),
        s(50, "SentryMode", "Aware"),
        s(60, "SoftwareUpdateVersion", "2025.2.6"),
    ]
    d.seed(stored, state=(State.CHARGING, at(20)))
    # the charge carries on: it reaches the limit and completes, keyed by the stored start
    [limit] = d.observe([s(200, "BatteryLevel", 80.0)])
    [complete] = d.observe([s(210, "DetailedChargeState", "Complete")])
    assert (limit.kind, complete.kind) == (EventKind.CHARGE_LIMIT_REACHED, EventKind.CHARGE_COMPLETE)
    assert limit.dedup_key == f"charge_limit_reached:{VIN}:{at(20).isoformat()}"
    assert complete.dedup_key == f"charge_complete:{VIN}:{at(20).isoformat()}"
    # what falls due later is told, with the key a detector running all along would have given
    [unlocked] = d.tick(at(700))
    assert unlocked.dedup_key == f"left_unlocked:{VIN}:{at(30).isoformat()}"
    # the rest was so already: not news
    assert d.observe([s(800, "TpmsPressureRl", 1.8), s(800, "SoftwareUpdateVersion", "2025.2.6")]) == []


def test_what_fell_due_before_a_restart_is_told_after_seeding_with_the_key_it_had() -> None:
    stored = [s(0, "Gear", "P"), s(0, "Locked", False), s(0, "DoorState", doors(DriverFront=True))]
    running = detector()
    told_before = running.observe(stored) + running.tick(at(3600))
    restarted = detector()
    restarted.seed(stored)  # tells nothing itself...
    told_after = restarted.tick(at(7200))  # ... the notifier's dedup drops these repeats
    assert kinds(told_after) == [EventKind.LEFT_UNLOCKED, EventKind.DOOR_OPEN_PARKED]
    assert [e.dedup_key for e in told_after] == [e.dedup_key for e in told_before]


# --- the events built elsewhere, settings --------------------------------------------------------


def test_stream_stale_and_command_failed_events() -> None:
    stale = stream_stale_event(VIN, at(0), at(2700))
    assert stale.kind is EventKind.STREAM_STALE and stale.title == "No data from the car"
    assert stale.body == "Nothing received since 2025-01-02 12:00 UTC (45 min ago)."
    assert stale.dedup_key == stream_stale_event(VIN, at(0), at(9999)).dedup_key  # one per silence
    failed = command_failed_event(VIN, "door_lock", "vehicle unavailable", at(60))
    assert failed.kind is EventKind.COMMAND_FAILED and failed.title == "Command failed: door_lock"
    assert "vehicle unavailable" in failed.body
    assert failed.dedup_key == f"command_failed:{VIN}:door_lock:{at(60).isoformat()}"
    assert Event.from_json(failed.as_json()) == failed


def test_every_event_survives_the_json_round_trip() -> None:
    events = detector().observe(scenario())
    events += detector().observe_alert("Fault", at(0), {"Audiences": ["Customer"]})
    assert events and all(Event.from_json(event.as_json()) == event for event in events)


def test_settings_are_frozen_and_checked() -> None:
    settings = DetectorSettings()
    assert (settings.unlocked_after_s, settings.open_after_s) == (600.0, 300.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.tyre_low_bar = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="open_after_s"):
        DetectorSettings(open_after_s=-1)


# --- real captures -------------------------------------------------------------------------------


def replay(samples: list[Sample], d: VehicleDetector) -> list[Event]:
    """The live wiring: each sample through the derivation, then the detector, with each state change."""
    derivation, events, last = VehicleDerivation(), [], None
    for sample in samples:
        derivation.feed(sample)
        events += d.observe([sample])
        current = derivation.current_state()
        if current is not None and (current.state, current.started_at) != last:
            last = (current.state, current.started_at)
            events += d.observe_state(current.state, current.started_at)
    return events


def values(samples: list[Sample], field: str) -> list[Sample]:
    return [sample for sample in samples if sample.field == field and sample.value is not None]


def latest_before(samples: list[Sample], field: str, ts: datetime) -> Any:
    known = [sample.value for sample in values(samples, field) if sample.ts <= ts]
    return known[-1] if known else None


def test_a_real_dc_session_starts_and_stops(fixtures_dir: Path) -> None:
    samples = samples_from(fixtures_dir / "DCCharging_typed.txt")
    events = replay(samples, detector())
    phases = values(samples, "DetailedChargeState")
    starts = [b.ts for a, b in pairwise(phases) if b.value == "Charging" != a.value]
    stops = []
    for a, b in pairwise(phases):
        level = latest_before(samples, "BatteryLevel", b.ts) or latest_before(samples, "Soc", b.ts)
        limit = latest_before(samples, "ChargeLimitSoc", b.ts)
        if a.value == "Charging" and b.value in STOP_PHASES and level is not None and limit is not None:
            stops += [b.ts] if level < limit - 2 else []
    assert starts and stops  # the capture has both: the test is not vacuous
    assert [e.at for e in events if e.kind is EventKind.CHARGE_STARTED] == starts
    assert [e.at for e in events if e.kind is EventKind.CHARGE_STOPPED_UNEXPECTEDLY] == stops
    stopped = next(e for e in events if e.kind is EventKind.CHARGE_STOPPED_UNEXPECTEDLY)
    assert (
        stopped.data["chargeState"] in STOP_PHASES
        and stopped.data["sessionStartedAt"] == starts[0].isoformat()
    )
    # replayed into a fresh detector: the same keys; delivered again: nothing
    again = detector()
    assert [e.dedup_key for e in replay(samples, again)] == [e.dedup_key for e in events]
    assert again.observe(samples) == []


def test_a_capture_that_begins_mid_charge_tells_no_start(fixtures_dir: Path) -> None:
    samples = samples_from(fixtures_dir / "ACCharging_typed.txt")
    phases = values(samples, "DetailedChargeState")
    assert phases[0].value == "Charging"  # the baseline
    events = replay(samples, detector())
    assert EventKind.CHARGE_STARTED not in kinds(events)
    # the stop at the end: no charge limit in the capture, so it cannot be called unexpected
    assert values(samples, "ChargeLimitSoc") == [] and phases[-1].value in STOP_PHASES
    assert EventKind.CHARGE_STOPPED_UNEXPECTEDLY not in kinds(events)


def test_real_door_openings_while_parked(fixtures_dir: Path) -> None:
    samples = samples_from(fixtures_dir / "DoorsTyped.txt")
    threshold = 20.0
    periods, opened = [], None
    for sample in values(samples, "DoorState"):
        is_open = any(sample.value.values())
        if is_open and opened is None:
            opened = sample.ts
        elif not is_open and opened is not None:
            periods.append((opened, sample.ts))
            opened = None
    expected = [start for start, end in periods if (end - start).total_seconds() >= threshold]
    assert expected and len(expected) < len(periods)  # some openings were long enough, some were not
    d = detector(open_after_s=threshold)
    d.observe_state(State.ONLINE, samples[0].ts)  # the capture has no gear: the car stands
    events = d.observe(samples)
    assert [e.data["openedAt"] for e in events] == [start.isoformat() for start in expected]
    assert [e.at for e in events] == [start + timedelta(seconds=threshold) for start in expected]
    assert all(e.kind is EventKind.DOOR_OPEN_PARKED for e in events)


def test_a_real_software_update_offer(fixtures_dir: Path) -> None:
    samples = samples_from(fixtures_dir / "SWUpdate.txt")
    offers = [sample.value.strip() for sample in values(samples, "SoftwareUpdateVersion")]
    expected = list(dict.fromkeys(offer for offer in offers[1:] if offer and offer != offers[0].strip()))
    assert expected
    events = replay(samples, detector())
    assert [e.data["version"] for e in events if e.kind is EventKind.SOFTWARE_UPDATE_AVAILABLE] == expected


@pytest.mark.parametrize(
    "name",
    [
        "ACCharging1.txt",
        "DCCharging1.txt",
        "DrivingByGear.txt",
        "DrivingByGear_typed.txt",
        "PluggedIn-NotCharging-Precondition.txt",
    ],
)
def test_real_legacy_streams_replay_deterministically(fixtures_dir: Path, name: str) -> None:
    samples = samples_from(fixtures_dir / name)
    first, second = replay(samples, detector()), replay(samples, detector())
    assert [(e.kind, e.at, e.dedup_key) for e in first] == [(e.kind, e.at, e.dedup_key) for e in second]
    assert len({e.dedup_key for e in first}) == len(first)
    if name.startswith("PluggedIn"):
        # plugged in and preconditioning, never charging: no charge events
        assert not {EventKind.CHARGE_STARTED, EventKind.CHARGE_COMPLETE} & set(kinds(first))
