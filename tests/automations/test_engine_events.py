"""Announcements (state changes, charging sessions, alerts) and the clock (cron schedules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from teslasync.analytics.samples import Sample
from teslasync.analytics.states import State
from teslasync.automations import Firing, RuleEngine
from tests.automations.helpers import OTHER, VIN, at, engine, feed, rule


def test_state_change_to() -> None:
    eng = engine(rule({"kind": "state", "to": "driving"}))
    assert eng.observe_state(VIN, (), State.ONLINE, None, at(0)) == []  # first news: only recorded
    (firing,) = eng.observe_state(VIN, (), "driving", None, at(60))
    assert firing.trigger_detail == "state changed from online to driving"
    assert firing.values["state"] == "driving" and firing.values["previous"] == "online"
    assert eng.observe_state(VIN, (), "driving", "online", at(60)) == []  # redelivered
    assert eng.observe_state(VIN, (), "online", None, at(120)) == []
    assert len(eng.observe_state(VIN, (), "driving", None, at(180))) == 1


def test_state_change_from_and_to() -> None:
    eng = engine(rule({"kind": "state", "to": "online", "from": "charging"}))
    assert eng.observe_state(VIN, (), "online", "driving", at(0)) == []
    assert eng.observe_state(VIN, (), "charging", None, at(60)) == []
    assert len(eng.observe_state(VIN, (), "online", None, at(120))) == 1


def test_state_change_from_any() -> None:
    eng = engine(rule({"kind": "state", "from": "driving"}))
    eng.observe_state(VIN, (), "driving", None, at(0))
    assert len(eng.observe_state(VIN, (), "asleep", None, at(60))) == 1


def test_the_caller_may_give_the_previous_state() -> None:
    eng = engine(rule({"kind": "state", "to": "driving"}))
    assert len(eng.observe_state(VIN, (), "driving", "online", at(0))) == 1


def test_an_older_state_announcement_is_ignored() -> None:
    eng = engine(rule({"kind": "state", "to": "driving"}))
    eng.observe_state(VIN, (), "online", None, at(100))
    assert eng.observe_state(VIN, (), "driving", None, at(50)) == []


def test_charging_events() -> None:
    started = rule({"kind": "charging", "event": "started"})
    completed = rule({"kind": "charging", "event": "completed"})
    stopped = rule({"kind": "charging", "event": "stopped"})
    eng = engine(started, completed, stopped)
    assert [f.rule_id for f in eng.observe_charging(VIN, (), "started", at(0))] == [1]
    assert [f.rule_id for f in eng.observe_charging(VIN, (), "completed", at(60))] == [2]
    assert [f.rule_id for f in eng.observe_charging(VIN, (), "stopped", at(120))] == [3]
    with pytest.raises(ValueError, match="unknown charging phase 'ended'"):
        eng.observe_charging(VIN, (), "ended", at(0))


def test_charging_status_announcements_fire_once_per_session() -> None:
    eng = engine(
        rule({"kind": "charging", "event": "started"}), rule({"kind": "charging", "event": "completed"})
    )
    eng.observe(VIN, (), [Sample(at(0), "Soc", 40)])
    session = at(10)
    opened = [eng.observe_charging(VIN, (), "open", at(s), started_at=session) for s in (10, 70, 130)]
    assert [[f.rule_id for f in batch] for batch in opened] == [[1], [], []]
    eng.observe(VIN, (), [Sample(at(200), "DetailedChargeState", "Complete")])
    eng.observe(VIN, (), [Sample(at(300), "DetailedChargeState", "Disconnected")])
    (firing,) = eng.observe_charging(VIN, (), "closed", at(300), started_at=session)
    assert firing.rule_id == 2 and firing.values["event"] == "completed"
    assert eng.observe_charging(VIN, (), "closed", at(300), started_at=session) == []


def test_a_closed_session_that_did_not_complete_is_stopped() -> None:
    eng = engine(rule({"kind": "charging", "event": "stopped"}))
    eng.observe(VIN, (), [Sample(at(0), "DetailedChargeState", "Charging")])
    assert len(eng.observe_charging(VIN, (), "closed", at(100), started_at=at(0))) == 1


def test_without_charge_states_the_charge_limit_decides() -> None:
    eng = engine(rule({"kind": "charging", "event": "completed"}))
    eng.observe(VIN, (), [Sample(at(0), "ChargeLimitSoc", 80), Sample(at(0), "BatteryLevel", 79.5)])
    assert len(eng.observe_charging(VIN, (), "closed", at(100), started_at=at(0))) == 1


def test_a_session_running_before_the_engine_started_is_not_started() -> None:
    eng = engine(rule({"kind": "charging", "event": "started"}))
    assert eng.observe_charging(VIN, (), "open", at(0), started_at=at(0)) == []  # nothing seen of the car yet
    eng = engine(rule({"kind": "charging", "event": "started"}))
    eng.observe(VIN, (), [Sample(at(3600), "Soc", 40)])
    assert eng.observe_charging(VIN, (), "open", at(3600), started_at=at(0)) == []
    assert len(eng.observe_charging(VIN, (), "open", at(7200), started_at=at(7000))) == 1


def test_alert_glob() -> None:
    eng = engine(rule({"kind": "alert", "name": "BMS_*"}), rule({"kind": "alert"}))
    fired = eng.observe_alert(VIN, (), "BMS_w035_Low_Voltage", at(0))
    assert [f.rule_id for f in fired] == [1, 2]
    assert (
        fired[0].trigger_detail == "alert BMS_w035_Low_Voltage"
        and fired[0].values["alert"] == fired[0].values["value"]
    )
    assert [f.rule_id for f in eng.observe_alert(VIN, (), "VCFRONT_a192", at(10))] == [2]
    assert [f.rule_id for f in eng.observe_alert(VIN, (), "bms_lower", at(20))] == [2]  # case-sensitive


def test_the_same_alert_again_is_ignored() -> None:
    eng = engine(rule({"kind": "alert", "name": "BMS_*"}))
    assert len(eng.observe_alert(VIN, (), "BMS_a1", at(100))) == 1
    assert eng.observe_alert(VIN, (), "BMS_a1", at(100)) == []
    assert eng.observe_alert(VIN, (), "BMS_a1", at(50)) == []
    assert len(eng.observe_alert(VIN, (), "BMS_a1", at(200))) == 1
    assert len(eng.observe_alert(OTHER, (), "BMS_a1", at(100))) == 1


def ticks(
    eng: RuleEngine, start: datetime, end: datetime, step: timedelta, vehicles: dict[str, set[str]]
) -> list[Firing]:
    firings: list[Firing] = []
    now = start
    while now <= end:
        firings.extend(eng.tick(now, vehicles))
        now += step
    return firings


def schedule(expression: str, timezone: str = "UTC", **extra: object) -> RuleEngine:
    return engine(rule({"kind": "schedule", "expression": expression, "timezone": timezone}, **extra))


BERLIN = ZoneInfo("Europe/Berlin")


def test_cron_fires_in_its_time_zone_for_each_targeted_vehicle() -> None:
    eng = schedule("0 7 * * 1-5", "Europe/Berlin", target={"tag": "fleet"})
    vehicles = {VIN: {"fleet"}, OTHER: set()}
    start = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)  # Monday
    firings = ticks(eng, start, start + timedelta(days=7), timedelta(minutes=1), vehicles)
    assert {f.vin for f in firings} == {VIN}
    assert [f.at.astimezone(BERLIN).strftime("%a %H:%M") for f in firings] == [
        "Mon 07:00",
        "Tue 07:00",
        "Wed 07:00",
        "Thu 07:00",
        "Fri 07:00",
    ]
    assert firings[0].at == datetime(2025, 6, 2, 5, 0, tzinfo=UTC)
    assert firings[0].trigger_detail == "schedule '0 7 * * 1-5' at 2025-06-02 07:00 Europe/Berlin"


def test_the_first_tick_only_starts_the_clock() -> None:
    eng = schedule("* * * * *")
    assert eng.tick(at(0), {VIN: set()}) == []
    assert len(eng.tick(at(60), {VIN: set()})) == 1


def test_missed_occurrences_fire_once() -> None:
    eng = schedule("*/5 * * * *")
    eng.tick(at(0), {VIN: set()})
    (firing,) = eng.tick(at(3600), {VIN: set()})
    assert firing.at == at(3600)
    assert eng.tick(at(3600), {VIN: set()}) == []


def wall_times(expression: str, day: datetime) -> list[str]:
    eng = schedule(expression, "Europe/Berlin")
    firings = ticks(
        eng, day - timedelta(hours=2), day + timedelta(hours=26), timedelta(minutes=1), {VIN: set()}
    )
    return [f.at.astimezone(BERLIN).strftime("%H:%M%z") for f in firings]


def test_cron_on_the_spring_forward_day() -> None:
    day = datetime(2025, 3, 30, tzinfo=BERLIN)  # 02:00 CET -> 03:00 CEST
    assert wall_times("30 2 * * *", day) == ["03:00+0200"]
    assert wall_times("0 9 * * *", day) == ["09:00+0200"]
    assert wall_times("0 * * * *", day)[:5] == [
        "23:00+0100",
        "00:00+0100",
        "01:00+0100",
        "03:00+0200",
        "04:00+0200",
    ]


def test_cron_on_the_fall_back_day() -> None:
    day = datetime(2025, 10, 26, tzinfo=BERLIN)  # 03:00 CEST -> 02:00 CET
    assert wall_times("30 2 * * *", day) == ["02:30+0200"]
    assert wall_times("0 9 * * *", day) == ["09:00+0100"]
    assert wall_times("0 * * * *", day)[:6] == [
        "23:00+0200",
        "00:00+0200",
        "01:00+0200",
        "02:00+0200",
        "03:00+0100",
        "04:00+0100",
    ]


def test_cron_respects_conditions_and_cooldown() -> None:
    low = {"kind": "battery", "op": "lt", "value": 50}
    eng = schedule("0 * * * *", conditions=[low], cooldown_s=3 * 3600)
    vehicles: dict[str, set[str]] = {VIN: set(), OTHER: set()}
    eng.observe(VIN, (), [Sample(at(0), "Soc", 40)])
    eng.observe(OTHER, (), [Sample(at(0), "Soc", 80)])
    firings = ticks(eng, at(0), at(6 * 3600), timedelta(minutes=10), vehicles)
    assert [(f.vin, f.at) for f in firings] == [(VIN, at(3600)), (VIN, at(4 * 3600))]
    assert firings[0].values["battery"] == 40


def test_ticks_confirm_debounces_for_every_vehicle() -> None:
    eng = engine(rule({"kind": "equals", "field": "Locked", "value": False}, debounce_s=600))
    feed(eng, "Locked", [True, False])
    feed(eng, "Locked", [True, False], vin=OTHER)
    assert eng.tick(at(600), {}) == []
    assert {f.vin for f in eng.tick(at(660), {})} == {VIN, OTHER}
