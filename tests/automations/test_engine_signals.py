"""Signal triggers: thresholds, equals, geofences; debounce, cool-down and the engine's memory."""

from __future__ import annotations

from teslasync.analytics.samples import Sample
from teslasync.automations import Circle, NotifyAction, StoredRule
from tests.automations.helpers import OTHER, VIN, at, engine, feed, rule, soc_below


def test_fires_once_per_crossing() -> None:
    eng = engine(soc_below(50))
    firings = feed(eng, "Soc", [60, 55, 49, 45, 40, 52, 48, 47])
    assert [firing.at for firing in firings] == [at(120), at(360)]
    first = firings[0]
    assert (first.rule_id, first.vin) == (1, VIN)
    assert first.trigger_detail == "Soc fell below 50 (49)"
    assert first.values["field"] == "Soc" and first.values["value"] == 49 and first.values["threshold"] == 50


def test_no_firing_on_the_first_sample() -> None:
    eng = engine(soc_below(50))
    assert feed(eng, "Soc", [30, 20, 10]) == []
    assert len(feed(eng, "Soc", [60, 40], start=600)) == 1


def test_threshold_is_strict_and_the_value_itself_rearms() -> None:
    eng = engine(soc_below(50))
    assert len(feed(eng, "Soc", [50, 49.9, 50, 49.9, 50.1, 50])) == 2


def test_jitter_around_the_threshold_fires_each_time_without_hysteresis() -> None:
    eng = engine(soc_below(50))
    assert len(feed(eng, "Soc", [50.2, 49.8, 50.1, 49.9, 50.2, 49.7])) == 3


def test_hysteresis_suppresses_jitter() -> None:
    trigger = {"kind": "threshold", "field": "Soc", "direction": "below", "value": 50, "hysteresis": 2}
    eng = engine(rule(trigger))
    assert len(feed(eng, "Soc", [50.2, 49.8, 50.1, 49.9, 51.9, 49.7])) == 1
    # back up to value + hysteresis re-arms it
    assert len(feed(eng, "Soc", [52, 49], start=600)) == 1


def test_above_with_hysteresis() -> None:
    trigger = {"kind": "threshold", "field": "InsideTemp", "direction": "above", "value": 40, "hysteresis": 5}
    eng = engine(rule(trigger))
    firings = feed(eng, "InsideTemp", [30, 41, 38, 42, 35.5, 41, 35, 40.5])
    assert [firing.at for firing in firings] == [at(60), at(420)]
    assert firings[0].trigger_detail == "InsideTemp rose above 40 (41)"


def test_no_value_changes_nothing() -> None:
    eng = engine(soc_below(50))
    assert len(feed(eng, "Soc", [60, None, "bad", 40, None, 30])) == 1


def test_out_of_order_and_redelivered_samples_are_ignored() -> None:
    eng = engine(soc_below(50))
    assert eng.observe(VIN, (), [Sample(at(100), "Soc", 60)]) == []
    assert eng.observe(VIN, (), [Sample(at(50), "Soc", 40)]) == []  # older than what is known
    assert eng.observe(VIN, (), [Sample(at(100), "Soc", 40)]) == []  # same time: a redelivery
    assert len(eng.observe(VIN, (), [Sample(at(160), "Soc", 40)])) == 1
    assert eng.observe(VIN, (), [Sample(at(130), "Soc", 70), Sample(at(131), "Soc", 30)]) == []


def test_a_batch_is_taken_in_time_order() -> None:
    eng = engine(soc_below(50))
    batch = [Sample(at(3), "Soc", 70), Sample(at(1), "Soc", 60), Sample(at(2), "Soc", 40)]
    firings = eng.observe(VIN, (), batch)
    assert [firing.at for firing in firings] == [at(2)]


def test_equals_fires_when_the_value_becomes_it() -> None:
    eng = engine(rule({"kind": "equals", "field": "Gear", "value": "P"}))
    firings = feed(eng, "Gear", ["P", "D", "R", "P", None, "P", "D", "P"])
    assert [firing.at for firing in firings] == [at(180), at(420)]
    assert firings[0].trigger_detail == "Gear became P"


def test_equals_on_a_boolean_is_not_fooled_by_numbers() -> None:
    eng = engine(rule({"kind": "equals", "field": "Locked", "value": False}))
    assert len(feed(eng, "Locked", [True, 0, False, True, False])) == 2


def test_equals_on_a_number() -> None:
    eng = engine(rule({"kind": "equals", "field": "ChargeAmps", "value": 16}))
    assert len(feed(eng, "ChargeAmps", [10, 16.0, 16, 32, 16])) == 2


HOME = {"latitude": 48.18909, "longitude": 9.90467, "radius_m": 100, "name": "Home"}
INSIDE = {"latitude": 48.18909, "longitude": 9.90467}
EDGE = {"latitude": 48.18909 + 0.0008, "longitude": 9.90467}  # ~89 m north
OUTSIDE = {"latitude": 48.18909 + 0.002, "longitude": 9.90467}  # ~222 m north


def test_geofence_enter_and_leave() -> None:
    enter = rule({"kind": "geofence", "event": "enter", "circle": HOME})
    leave = rule({"kind": "geofence", "event": "leave", "circle": HOME})
    eng = engine(enter, leave)
    firings = feed(eng, "Location", [OUTSIDE, EDGE, INSIDE, OUTSIDE, None, OUTSIDE, INSIDE])
    assert [(firing.rule_id, firing.at) for firing in firings] == [(1, at(60)), (2, at(180)), (1, at(360))]
    assert firings[0].trigger_detail == "entered Home"
    assert firings[1].trigger_detail == "left Home"
    assert firings[0].values["latitude"] == EDGE["latitude"]
    assert firings[0].values["geofence"] == "Home"


def test_geofence_by_id_is_resolved_by_the_engine() -> None:
    by_id = rule({"kind": "geofence", "event": "enter", "geofence_id": 4})
    eng = engine(by_id)
    assert eng.skipped == {1: "names a geofence, and no geofences were given to resolve it"}
    eng = engine(by_id, geofences={4: Circle(**HOME)})
    assert eng.skipped == {}
    assert len(feed(eng, "Location", [OUTSIDE, INSIDE])) == 1
    eng = engine(by_id, geofences=lambda _id: None)
    assert eng.skipped == {1: "invalid rule: trigger.geofence.geofence_id: no geofence 4"}


def test_debounce_fires_once_the_value_has_held() -> None:
    eng = engine(soc_below(50, debounce_s=300))
    assert feed(eng, "Soc", [60, 45, 44, 43], step=60) == []  # 120 s below so far
    firings = feed(eng, "Soc", [42], start=360)  # 300 s after the crossing at 60 s
    assert [firing.at for firing in firings] == [at(360)]
    assert firings[0].trigger_detail == "Soc fell below 50 (42), held for 300 s"
    assert feed(eng, "Soc", [41, 40], start=420) == []  # once per crossing


def test_debounce_does_not_fire_if_the_value_flips_back() -> None:
    eng = engine(soc_below(50, debounce_s=300))
    assert feed(eng, "Soc", [60, 45, 44, 51, 45, 44, 43, 42], step=60) == []
    # the second crossing (at 240 s) has held 300 s by 540 s
    assert len(eng.tick(at(539), {VIN: set()})) == 0
    assert [firing.at for firing in eng.tick(at(540), {VIN: set()})] == [at(540)]


def test_debounce_is_confirmed_by_any_sample_of_the_vehicle() -> None:
    eng = engine(soc_below(50, debounce_s=300))
    feed(eng, "Soc", [60, 45])
    assert feed(eng, "InsideTemp", [20], start=300) == []
    assert len(feed(eng, "InsideTemp", [21], start=360)) == 1
    assert feed(eng, "Soc", [44], start=400, vin=OTHER) == []


def test_debounce_checks_conditions_when_it_fires() -> None:
    locked = {"kind": "signal", "field": "Locked", "op": "eq", "value": True}
    eng = engine(soc_below(50, debounce_s=300, conditions=[locked]))
    feed(eng, "Locked", [True])
    feed(eng, "Soc", [60, 45], start=1)
    feed(eng, "Locked", [False], start=200)
    assert eng.tick(at(400), {VIN: set()}) == []


def test_cooldown_drops_crossings_too_close_to_the_last_firing() -> None:
    eng = engine(soc_below(50, cooldown_s=600))
    firings = feed(eng, "Soc", [60, 40, 60, 40, 60, 40, 60, 40, 60, 40, 60, 40, 60, 40], step=60)
    # crossings at 60, 180, 300, ... ; after one at 60 s the next allowed is at 660 s or later
    assert [firing.at for firing in firings] == [at(60), at(660)]


def test_cooldown_is_per_vehicle() -> None:
    eng = engine(soc_below(50, cooldown_s=3600))
    assert len(feed(eng, "Soc", [60, 40])) == 1
    assert len(feed(eng, "Soc", [60, 40], vin=OTHER)) == 1


def test_cooldown_survives_a_restart_through_last_fired() -> None:
    eng = engine(soc_below(50, cooldown_s=3600))
    feed(eng, "Soc", [60, 40])
    saved = eng.last_fired
    assert saved == {(1, VIN): at(60)}
    restarted = engine(soc_below(50, cooldown_s=3600), last_fired=saved)
    assert feed(restarted, "Soc", [60, 40], start=600) == []
    assert len(feed(restarted, "Soc", [60, 40], start=3660)) == 1


def test_conditions_gate_the_crossing_and_a_gated_crossing_is_dropped() -> None:
    parked = {"kind": "signal", "field": "Gear", "op": "eq", "value": "P"}
    eng = engine(soc_below(50, conditions=[parked]))
    feed(eng, "Gear", ["D"])
    assert feed(eng, "Soc", [60, 45], start=1) == []
    feed(eng, "Gear", ["P"], start=200)
    assert feed(eng, "Soc", [44], start=300) == []  # still the same crossing
    assert len(feed(eng, "Soc", [55, 45], start=400)) == 1


def test_conditions_see_every_value_of_the_same_instant() -> None:
    parked = {"kind": "signal", "field": "Gear", "op": "eq", "value": "P"}
    eng = engine(soc_below(50, conditions=[parked]))
    feed(eng, "Soc", [60])
    assert len(eng.observe(VIN, (), [Sample(at(100), "Soc", 45), Sample(at(100), "Gear", "P")])) == 1


def test_targets_by_vin_tag_and_all() -> None:
    by_vin = soc_below(50, target={"vins": [OTHER]})
    by_tag = soc_below(50, target={"tag": "family"})
    everyone = soc_below(50)
    eng = engine(by_vin, by_tag, everyone)
    assert [firing.rule_id for firing in feed(eng, "Soc", [60, 40])] == [3]
    assert [firing.rule_id for firing in feed(eng, "Soc", [60, 40], vin=OTHER)] == [1, 3]
    third = "5YJSA1E2XJF000003"
    assert [firing.rule_id for firing in feed(eng, "Soc", [60, 40], vin=third, tags={"family"})] == [2, 3]


def test_firing_renders_the_notification() -> None:
    eng = engine(
        soc_below(50, name="Low", actions=[{"kind": "notify", "title": "{rule} {vin}", "body": "{value} %"}])
    )
    (firing,) = feed(eng, "Soc", [60, 49.456])
    (action,) = firing.actions
    assert isinstance(action, NotifyAction)
    assert (action.title, action.body) == (f"Low {VIN}", "49.46 %")
    doc = firing.as_json()
    assert doc["ruleId"] == 1 and doc["at"] == at(60).isoformat()
    assert doc["actions"] == [{"kind": "notify", "title": f"Low {VIN}", "body": "49.46 %"}]


def test_replacing_rules_keeps_the_state_of_unchanged_rules() -> None:
    low, high = soc_below(50), soc_below(30)
    eng = engine(low, high)
    feed(eng, "Soc", [60])  # both sides now known: above
    eng.replace_rules([StoredRule(1, low), StoredRule(2, soc_below(20))])
    firings = feed(eng, "Soc", [10], start=60)
    # rule 1 kept its side and sees the crossing; rule 2 changed, so its first value only sets the side
    assert [firing.rule_id for firing in firings] == [1]


def test_replacing_rules_keeps_cooldowns_of_edited_rules_and_forgets_removed_ones() -> None:
    eng = engine(soc_below(50, cooldown_s=3600), soc_below(50, cooldown_s=3600))
    feed(eng, "Soc", [60, 40])
    eng.replace_rules([StoredRule(1, soc_below(50, cooldown_s=3600, name="edited"))])
    assert set(eng.last_fired) == {(1, VIN)}
    eng.replace_rules([StoredRule(1, soc_below(50, cooldown_s=3600, name="edited", enabled=False))])
    assert eng.last_fired == {} and eng.rules == {}


def test_facts_are_bounded_to_the_latest_value_per_field() -> None:
    eng = engine(soc_below(50))
    for index in range(500):
        eng.observe(
            VIN, (), [Sample(at(index), "Soc", 60 + index % 3), Sample(at(index), "NotAField", index)]
        )
    assert len(eng._vehicles[VIN].facts) == 1
