from __future__ import annotations

import json
from typing import Any

import pytest

from teslasync.automations import Circle, NotifyAction, RuleInvalid, Target, parse_rule
from tests.automations.helpers import NOTIFY, OTHER, VIN, rule

EXAMPLE: dict[str, Any] = {
    "name": "Low battery at night",
    "enabled": True,
    "target": {"tag": "family"},
    "trigger": {"kind": "threshold", "field": "Soc", "direction": "below", "value": 20, "hysteresis": 2},
    "conditions": [
        {"kind": "time_window", "start": "20:00:00", "end": "07:00:00", "timezone": "Europe/Berlin"},
        {"kind": "location", "where": "inside", "geofence_id": 3},
        {"kind": "signal", "field": "Gear", "op": "eq", "value": "P"},
    ],
    "actions": [
        {"kind": "notify", "title": "{vin} is low", "body": "{field} is {value} %", "channel_ids": [1]},
        {"kind": "command", "name": "set_charge_limit", "params": {"percent": 80}},
        {"kind": "webhook", "url": "https://example.com/hook", "secret_id": 7},
    ],
    "debounce_s": 120.0,
    "cooldown_s": 3600.0,
}


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(RuleInvalid) as caught:
        parse_rule(doc)
    return [str(problem) for problem in caught.value.problems]


def with_trigger(trigger: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "r", "target": {"all": True}, "trigger": trigger, "actions": [NOTIFY], **extra}


def test_a_full_rule_round_trips_through_json() -> None:
    parsed = parse_rule(EXAMPLE)
    stored = json.dumps(parsed.to_json())
    assert parse_rule(stored) == parsed
    assert parsed.to_json()["trigger"]["field"] == "Soc"
    assert parsed.geofence_ids() == {3}


def test_state_trigger_uses_from_in_json() -> None:
    parsed = rule({"kind": "state", "to": "driving", "from": "charging"})
    assert parsed.to_json()["trigger"] == {"kind": "state", "to": "driving", "from": "charging"}


def test_unknown_field_is_named_with_its_path_and_a_suggestion() -> None:
    trigger = {"kind": "threshold", "field": "Sooc", "direction": "below", "value": 20}
    assert problems(with_trigger(trigger)) == [
        "trigger.threshold.field: unknown telemetry field 'Sooc' (did you mean 'Soc'?)"
    ]


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        (
            {"kind": "threshold", "field": "Gear", "direction": "above", "value": 1},
            "trigger.threshold.field: 'Gear' is not numeric (enum); compare it with eq or ne",
        ),
        (
            {"kind": "equals", "field": "Gear", "value": "Park"},
            "trigger.equals.value: 'Park' is not a Gear value (one of: Unknown, Invalid, P, R, N, D, SNA)",
        ),
        (
            {"kind": "equals", "field": "Locked", "value": 0},
            "trigger.equals.value: Locked is true or false; got 0",
        ),
        (
            {"kind": "equals", "field": "Location", "value": "x"},
            "trigger.equals.field: 'Location' holds location values, which cannot be compared; "
            "use a location instead",
        ),
        (
            {"kind": "equals", "field": "Deprecated_1", "value": 1},
            "trigger.equals.field: unknown telemetry field",
        ),
        ({"kind": "thresh"}, "trigger.kind: unknown kind 'thresh'"),
        ({"field": "Soc"}, "trigger.kind: required"),
        (
            {"kind": "threshold", "field": "Soc", "direction": "down", "value": 1},
            "trigger.threshold.direction:",
        ),
        ({"kind": "threshold", "field": "Soc", "direction": "above"}, "trigger.threshold.value: required"),
        (
            {"kind": "threshold", "field": "Soc", "direction": "above", "value": 1, "hysterisis": 1},
            "trigger.threshold.hysterisis: unknown key",
        ),
        ({"kind": "state"}, "trigger.state: give to, from or both"),
        ({"kind": "state", "to": "parked"}, "trigger.state.to: input should be 'online'"),
        ({"kind": "geofence", "event": "enter"}, "trigger.geofence: give a circle or a geofence_id"),
        (
            {
                "kind": "geofence",
                "event": "enter",
                "circle": {"latitude": 91, "longitude": 0, "radius_m": 10},
            },
            "trigger.geofence.circle.latitude: input should be less than or equal to 90",
        ),
        ({"kind": "charging", "event": "finished"}, "trigger.charging.event:"),
        (
            {"kind": "schedule", "expression": "0 7 * *"},
            "trigger.schedule.expression: '0 7 * *' is not a five-field cron expression",
        ),
        (
            {"kind": "schedule", "expression": "0 0 7 * * *"},
            "trigger.schedule.expression: '0 0 7 * * *' is not a five-field cron expression",
        ),
        (
            {"kind": "schedule", "expression": "0 7 * * *", "timezone": "Europe/Brln"},
            "trigger.schedule.timezone: unknown time zone 'Europe/Brln'",
        ),
    ],
)
def test_trigger_problems_name_the_bad_part(trigger: dict[str, Any], expected: str) -> None:
    found = problems(with_trigger(trigger))
    assert len(found) == 1
    assert found[0].startswith(expected)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            {"kind": "signal", "field": "Gear", "op": "lt", "value": "P"},
            "conditions[0].signal.field: 'Gear' is not numeric (enum); compare it with eq or ne",
        ),
        ({"kind": "signal", "field": "Locked", "op": "eq", "value": "yes"}, "conditions[0].signal.value:"),
        ({"kind": "signal", "field": "Soc", "op": "approx", "value": 1}, "conditions[0].signal.op:"),
        ({"kind": "battery", "op": "lt", "value": 120}, "conditions[0].battery.value:"),
        (
            {"kind": "time_window", "start": "22:00", "end": "22:00"},
            "conditions[0].time_window.end: start and end are equal",
        ),
        (
            {"kind": "time_window", "start": "22:00", "end": "06:00", "weekdays": ["mon", "fry"]},
            "conditions[0].time_window.weekdays[1]:",
        ),
        ({"kind": "location", "where": "inside"}, "conditions[0].location: give a circle or a geofence_id"),
    ],
)
def test_condition_problems_name_the_bad_part(condition: dict[str, Any], expected: str) -> None:
    trigger = {"kind": "charging", "event": "started"}
    found = problems(with_trigger(trigger, conditions=[condition]))
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_templates_are_checked_against_the_triggers_placeholders() -> None:
    trigger = {"kind": "schedule", "expression": "0 7 * * *"}
    actions = [
        {"kind": "notify", "title": "{vin}: {feild}", "body": "{value} {field}"},
        {"kind": "notify", "title": "{vin.__class__}", "body": "{value:.1f} {value!r}"},
        {"kind": "notify", "title": "100 { %", "body": "{}"},
    ]
    found = problems({**with_trigger(trigger), "actions": actions})
    available = "at, battery, rule, rule_id, trigger, value, vin"
    assert found == [
        f"actions[0].notify.title: placeholder {{feild}} is not available to schedule triggers (available: {available})",
        f"actions[0].notify.body: placeholder {{field}} is not available to schedule triggers (available: {available})",
        "actions[1].notify.title: placeholder {vin.__class__}: only plain names like {vin} are allowed",
        "actions[1].notify.body: placeholder {value}: format specs and conversions are not supported",
        "actions[1].notify.body: placeholder {value}: format specs and conversions are not supported",
        "actions[2].notify.title: bad template: expected '}' before end of string "
        "(write {{ or }} for a literal brace)",
        "actions[2].notify.body: placeholder {}: only plain names like {vin} are allowed",
    ]


def test_signal_placeholders_are_available_to_signal_triggers() -> None:
    parsed = rule(
        {"kind": "threshold", "field": "Soc", "direction": "below", "value": 20},
        actions=[{"kind": "notify", "title": "{field} below {threshold}: {value} {{literal}}"}],
    )
    action = parsed.actions[0]
    assert isinstance(action, NotifyAction)
    assert action.rendered({"field": "Soc", "threshold": 20.0, "value": 19.25}).title == (
        "Soc below 20: 19.25 {literal}"
    )


def test_commands_are_checked_against_the_catalogue() -> None:
    trigger = {"kind": "charging", "event": "completed"}
    actions = [
        {"kind": "command", "name": "fly_away"},
        {"kind": "command", "name": "set_charge_limit", "params": {"percent": 10, "speed": 1}},
        {"kind": "command", "name": "door_unlock"},
        {"kind": "webhook", "url": "ftp://example.com"},
        {"kind": "notify", "title": ""},
    ]
    found = problems({**with_trigger(trigger), "actions": actions})
    assert "actions[4].notify.title: string should have at least 1 character" in found
    found = problems({**with_trigger(trigger), "actions": actions[:4]})
    assert found == [
        "actions[0].command.name: unknown vehicle command 'fly_away'",
        "actions[1].command.params.speed: set_charge_limit has no such parameter (allowed: percent)",
        "actions[1].command.params.percent: must be between 50 and 100 (%), got 10",
        "actions[2].command.name: 'door_unlock' needs two-factor step-up, so a rule cannot send it",
        "actions[3].webhook.url: 'ftp://example.com' is not an http or https URL",
    ]


def test_rule_level_problems() -> None:
    doc = with_trigger({"kind": "alert"}, debounce_s=10, cooldown_s=-1, actions=[])
    found = problems(doc)
    assert "actions: list should have at least 1 item after validation, not 0" in found
    assert "cooldown_s: input should be greater than or equal to 0" in found
    assert problems(with_trigger({"kind": "alert"}, debounce_s=10)) == [
        "debounce_s: alert triggers cannot be debounced (only threshold, equals, geofence)"
    ]


def test_every_problem_is_reported_at_once_with_extensions() -> None:
    doc = with_trigger({"kind": "equals", "field": "Sooc", "value": 1}, target={"vins": ["nope"]})
    with pytest.raises(RuleInvalid) as caught:
        parse_rule(doc)
    assert caught.value.code == "BAD_ARGUMENT"
    assert caught.value.extensions["problems"] == [
        {"path": "target.vins[0]", "message": "'nope' is not a VIN (17 characters, no I, O or Q)"},
        {"path": "trigger.equals.field", "message": "unknown telemetry field 'Sooc' (did you mean 'Soc'?)"},
    ]
    assert caught.value.message.startswith("invalid rule: target.vins[0]: 'nope' is not a VIN")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({}, "target: give exactly one of vins, tag or all"),
        ({"vins": [VIN], "tag": "x"}, "target: give exactly one of vins, tag or all"),
        ({"vins": []}, "target.vins: list should have at least 1 item"),
        ({"all": False}, "target.all: input should be True"),
    ],
)
def test_target_needs_exactly_one_choice(target: dict[str, Any], expected: str) -> None:
    found = problems(with_trigger({"kind": "alert"}, target=target))
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_target_matches() -> None:
    assert Target(vins=[VIN]).matches(VIN, set())
    assert not Target(vins=[VIN]).matches(OTHER, {"family"})
    assert Target(vins=[VIN, OTHER]).matches(OTHER, set())
    assert Target(tag="family").matches(OTHER, {"family", "work"})
    assert not Target(tag="family").matches(VIN, {"work"})
    assert Target(all=True).matches(VIN, set())


def test_geofence_ids_resolve_through_the_hook() -> None:
    parsed = parse_rule(EXAMPLE)
    home = Circle(latitude=48.1, longitude=11.5, radius_m=150, name="Home")
    resolved = parsed.with_geofences({3: home})
    assert not resolved.unresolved() and parsed.unresolved()
    assert resolved.conditions[1].circle == home  # type: ignore[union-attr]
    with pytest.raises(RuleInvalid, match=r"conditions\[1\].location.geofence_id: no geofence 3"):
        parsed.with_geofences(lambda _id: None)
