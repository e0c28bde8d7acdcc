"""Dry runs over a realistic day and over real captured streams."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from teslasync.analytics.samples import Sample, number
from teslasync.automations import AlertRaised, ChargingChange, Rule, StateChange, dry_run
from tests.analytics.helpers import samples_from
from tests.automations.helpers import OTHER, VIN, at, rule, soc_below


def below(value: float, hysteresis: float) -> Rule:
    return rule(
        {"kind": "threshold", "field": "Soc", "direction": "below", "value": value, "hysteresis": hysteresis}
    )


def a_day() -> list[Sample]:
    """Parked and locked at home; unlocked, driven away (the car locks itself), a drive that drains the pack
    with jittery readings, parked and left unlocked for ten minutes, then locked; later unlocked for two
    minutes."""
    samples = [Sample(at(0), "Gear", "P"), Sample(at(0), "Locked", True), Sample(at(0), "Soc", 62.0)]
    samples += [
        Sample(at(600), "Locked", False),
        Sample(at(660), "Gear", "D"),
        Sample(at(700), "Locked", True),
    ]
    soc = 62.0
    for minute in range(1, 61):
        soc -= 0.5
        jitter = 0.8 if minute % 2 else -0.8
        samples.append(Sample(at(660 + minute * 60), "Soc", round(soc + jitter, 2)))
    samples += [
        Sample(at(4320), "Gear", "P"),
        Sample(at(4380), "Locked", False),
        Sample(at(4980), "Locked", True),
    ]
    samples += [Sample(at(7200), "Locked", False), Sample(at(7320), "Locked", True)]
    return samples


def test_a_realistic_day() -> None:
    history = {VIN: a_day()}
    assert dry_run(soc_below(20), history) == []  # the pack never gets below 20
    (firing,) = dry_run(below(35, hysteresis=1), history)
    assert firing.values["value"] < 35
    assert firing.at == at(660 + 54 * 60)
    # without hysteresis the jitter around 35 fires it again (34.2, 35.3, 33.2)
    assert [f.at for f in dry_run(soc_below(35), history)] == [at(660 + 54 * 60), at(660 + 56 * 60)]

    parked = {"kind": "signal", "field": "Gear", "op": "eq", "value": "P"}
    unlocked = rule(
        {"kind": "equals", "field": "Locked", "value": False}, debounce_s=300, conditions=[parked]
    )
    # unlocked at 600 s, but driving 300 s later; unlocked at 4380 s and still parked and unlocked at the
    # tick 300 s later; unlocked at 7200 s for only two minutes
    (left,) = dry_run(unlocked, history)
    assert left.at == at(4680)
    assert left.trigger_detail == "Locked became false, held for 300 s"


def test_a_disabled_rule_still_runs_dry() -> None:
    off = soc_below(35, enabled=False)
    assert dry_run(off, {VIN: a_day()}) != []


def test_since_and_until_bound_the_run() -> None:
    history = {VIN: a_day()}
    hourly = rule({"kind": "schedule", "expression": "0 * * * *"})
    firings = dry_run(hourly, history, since=at(0), until=at(3 * 3600))
    assert [f.at for f in firings] == [at(3600 * hour) for hour in range(4)]  # 08:00 (since itself) .. 11:00
    assert dry_run(hourly, history, since=at(1), until=at(3599)) == []
    assert [f.at for f in dry_run(hourly, history)] == [at(0), at(3600), at(7200)]  # the span of the history


def test_schedules_run_for_tagged_vehicles_without_history() -> None:
    daily = rule({"kind": "schedule", "expression": "0 12 * * *"}, target={"tag": "fleet"})
    firings = dry_run(daily, {}, tags_by_vin={VIN: {"fleet"}, OTHER: set()}, since=at(0), until=at(2 * 86400))
    assert [(f.vin, f.at) for f in firings] == [(VIN, at(4 * 3600)), (VIN, at(86400 + 4 * 3600))]


def test_announcements_are_replayed_in_order() -> None:
    history = {VIN: [Sample(at(0), "Soc", 50.0)]}
    states = {
        VIN: [
            StateChange(at(100), "online"),
            StateChange(at(200), "charging"),
            StateChange(at(900), "online"),
        ]
    }
    charging = {VIN: [ChargingChange(at(200), "open", at(200)), ChargingChange(at(900), "closed", at(200))]}
    alerts = {VIN: [AlertRaised(at(300), "BMS_a1"), AlertRaised(at(300), "BMS_a1")]}
    kinds = [
        rule({"kind": "state", "from": "charging"}),
        rule({"kind": "charging", "event": "started"}),
        rule({"kind": "charging", "event": "stopped"}),
        rule({"kind": "alert", "name": "BMS_*"}),
    ]
    got = [
        [f.at for f in dry_run(r, history, states=states, charging=charging, alerts=alerts)] for r in kinds
    ]
    assert got == [[at(900)], [at(200)], [at(900)], [at(300)]]


def test_ticks_must_move() -> None:
    with pytest.raises(ValueError, match="tick_every"):
        dry_run(soc_below(50), {}, tick_every=timedelta(0))


# --- real captured streams -----------------------------------------------------------------------------


def series(samples: list[Sample], field: str) -> list[Any]:
    """The field's values as the engine takes them: in time order, one per instant, without null values."""
    seen: dict[Any, Any] = {}
    for sample in samples:
        if sample.field == field:
            seen.setdefault(sample.ts, sample.value)
    return [value for _, value in sorted(seen.items()) if value is not None]


def crossings_above(values: list[Any], threshold: float) -> int:
    numbers = [x for value in values if (x := number(value)) is not None]
    return sum(1 for before, now in pairwise(numbers) if before <= threshold < now)


def becomes(values: list[Any], target: Any) -> int:
    return sum(1 for before, now in pairwise(values) if before != target and now == target)


@pytest.mark.parametrize("threshold", [10, 25, 50])
def test_soc_above_over_a_real_dc_charge(fixtures_dir: Path, threshold: float) -> None:
    samples = samples_from(fixtures_dir / "DCCharging1.txt")
    expected = crossings_above(series(samples, "Soc"), threshold)
    assert expected >= 1  # the session charges from about 2 % to 52 %
    trigger = {"kind": "threshold", "field": "Soc", "direction": "above", "value": threshold}
    firings = dry_run(rule(trigger), {VIN: samples})
    assert len(firings) == expected
    assert all(number(f.values["value"]) > threshold for f in firings)  # type: ignore[operator]


def test_gear_becomes_p_over_a_real_drive(fixtures_dir: Path) -> None:
    samples = samples_from(fixtures_dir / "DrivingByGear.txt")
    gears = series(samples, "Gear")
    firings = dry_run(rule({"kind": "equals", "field": "Gear", "value": "P"}), {VIN: samples})
    assert len(firings) == becomes(gears, "P") == 1


def test_unlocked_over_a_real_drive(fixtures_dir: Path) -> None:
    samples = samples_from(fixtures_dir / "DrivingByGear.txt")
    firings = dry_run(rule({"kind": "equals", "field": "Locked", "value": False}), {VIN: samples})
    assert len(firings) == becomes(series(samples, "Locked"), False) == 2
