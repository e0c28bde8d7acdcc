from __future__ import annotations

import re
from pathlib import Path

import pytest

from teslasync.fleet.catalogue import (
    CATALOGUE,
    Category,
    CommandSpec,
    Param,
    ParamKind,
    ParamProblem,
    command,
    redacted,
    render_markdown,
    validate,
)

FACTS = Path(__file__).resolve().parents[3] / "shared" / "facts" / "tesla.md"

# The labels of the facts' §2.3 bullets and the category each stands for.
FACT_CATEGORIES = {
    "Charging": Category.CHARGING,
    "Climate": Category.CLIMATE,
    "Security": Category.SECURITY,
    "Alerts": Category.ALERTS,
    "Closures": Category.CLOSURES,
    "Media": Category.MEDIA,
    "Navigation": Category.NAVIGATION,
    "Software": Category.SOFTWARE,
    "Misc": Category.OTHER,
}


def facts_commands() -> tuple[dict[str, Category], set[str], set[str]]:
    """From the facts' §2.3: the commands of each category bullet, the names of its "proxy-only" sub-bullet,
    and the prefixes it names with a wildcard (`parental_controls_*`)."""
    if not FACTS.exists():
        pytest.skip(f"the facts file is not here: {FACTS}")
    text = FACTS.read_text(encoding="utf-8")
    section = text.split("### 2.3", 1)[1].split("\n### ", 1)[0]
    by_category: dict[str, Category] = {}
    proxy_only: set[str] = set()
    prefixes: set[str] = set()

    def names(line: str) -> set[str]:
        for prefix in re.findall(r"\b([a-z][a-z0-9_]*_)\*", line):
            prefixes.add(prefix)
        line = re.sub(r"\b[a-z][a-z0-9_]*_\*", " ", line)
        line = re.sub(r"\[[^\]]*\]", " ", line)  # parameters
        line = re.sub(r"\([^)]*\)", " ", line)  # remarks
        line = re.sub(r"`[^`]*`", " ", line)
        return set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", line))

    for line in section.splitlines():
        bullet = re.match(r"- \*\*(\w+)\*\*: (.*)", line)
        if bullet:
            category = FACT_CATEGORIES[bullet.group(1)]
            by_category.update(dict.fromkeys(names(bullet.group(2)), category))
        elif re.match(r"\s+- Proxy-only", line):
            proxy_only |= names(line.split(":", 1)[1])
    return by_category, proxy_only, prefixes


def spec(name: str) -> CommandSpec:
    found = command(name)
    assert found is not None, name
    return found


def fields(problems: list[ParamProblem]) -> list[str]:
    return [problem.field for problem in problems]


# --- the catalogue against the facts ---------------------------------------------------------------------


def test_every_command_of_the_facts_is_in_the_catalogue_with_its_category() -> None:
    by_category, proxy_only, prefixes = facts_commands()
    assert len(by_category) > 70  # the parser found the bullets
    missing = sorted(set(by_category) - {spec.name for spec in CATALOGUE})
    assert missing == []
    wrong = {
        name: spec(name).category for name, category in by_category.items() if spec(name).category != category
    }
    assert wrong == {}
    for name in proxy_only:
        assert spec(name).proxy_only, name
    assert prefixes == {"parental_controls_"}
    for prefix in prefixes:
        assert [s for s in CATALOGUE if s.name.startswith(prefix) and s.proxy_only]


def test_the_catalogue_holds_no_command_the_facts_do_not_name() -> None:
    by_category, proxy_only, prefixes = facts_commands()
    extra = [
        s.name
        for s in CATALOGUE
        if s.name not in by_category
        and s.name not in proxy_only
        and not any(s.name.startswith(prefix) for prefix in prefixes)
    ]
    assert extra == []


def test_rest_only_commands_are_not_signed() -> None:
    for name in (
        "navigation_request",
        "set_managed_charge_current_request",
        "set_managed_charger_location",
        "set_managed_scheduled_charging_time",
    ):
        assert not spec(name).signed
    assert spec("set_low_power_mode").proxy_only and spec("set_low_power_mode").signed
    assert spec("media_volume_up").proxy_only
    assert spec("door_unlock").signed and not spec("door_unlock").proxy_only


def test_commands_that_open_drive_or_unprotect_the_car_need_step_up() -> None:
    for name in (
        "door_unlock",
        "remote_start_drive",
        "actuate_trunk",
        "open_tonneau",
        "trigger_homelink",
        "set_valet_mode",
        "reset_valet_pin",
        "set_pin_to_drive",
        "reset_pin_to_drive_pin",
        "clear_pin_to_drive_admin",
        "speed_limit_deactivate",
        "speed_limit_clear_pin",
        "speed_limit_clear_pin_admin",
        "guest_mode",
        "erase_user_data",
        "parental_controls_deactivate",
        "parental_controls_clear_pin_admin",
    ):
        assert spec(name).sensitive, name
    for name in ("door_lock", "honk_horn", "set_charge_limit", "speed_limit_activate", "close_tonneau"):
        assert not spec(name).sensitive, name


def test_remote_seat_heater_uses_the_proxys_field_names() -> None:
    heater = spec("remote_seat_heater_request")
    assert [param.name for param in heater.params] == ["seat_position", "level"]
    assert "seat_position" in heater.description and "heater" in heater.description
    _, problems = validate(heater, {"heater": 0, "level": 3})
    assert fields(problems) == ["params.heater", "params.seat_position"]


# --- the catalogue's own shape ---------------------------------------------------------------------------


def test_names_and_graphql_names_are_unique_and_sorted_by_category_then_name() -> None:
    names = [s.name for s in CATALOGUE]
    assert len(names) == len(set(names))
    graphql = [s.graphql_name for s in CATALOGUE]
    assert len(graphql) == len(set(graphql))
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in graphql)
    order = list(Category)
    assert [(order.index(s.category), s.name) for s in CATALOGUE] == sorted(
        (order.index(s.category), s.name) for s in CATALOGUE
    )
    assert {s.category for s in CATALOGUE} == set(Category)


def test_every_spec_is_described_in_one_sentence_and_secrets_are_strings() -> None:
    for s in CATALOGUE:
        assert s.description.endswith(".") and s.description[0].isupper(), s.name
        assert s.name == s.name.lower()
        for param in s.params:
            assert param.description, (s.name, param.name)
            assert not param.secret or param.kind is ParamKind.STRING
    secrets = {(s.name, p.name) for s in CATALOGUE for p in s.params if p.secret}
    assert ("set_valet_mode", "password") in secrets
    assert ("set_pin_to_drive", "password") in secrets
    assert ("speed_limit_clear_pin", "pin") in secrets


def test_inconsistent_definitions_are_refused() -> None:
    with pytest.raises(ValueError, match="choices"):
        Param("x", ParamKind.ENUM, "X.")
    with pytest.raises(ValueError, match="minimum"):
        Param("x", ParamKind.BOOL, "X.", minimum=1)
    with pytest.raises(ValueError, match="max_length"):
        Param("x", ParamKind.INT, "X.", secret=True)
    with pytest.raises(ValueError, match="unique"):
        CommandSpec("x", Category.OTHER, "X.", (Param("a", ParamKind.BOOL, "A."),) * 2)


def test_lookup_is_case_insensitive() -> None:
    assert command("SET_CHARGE_LIMIT") is command("set_charge_limit") is command("Set_Charge_Limit")
    assert spec("set_charge_limit").graphql_name == "SET_CHARGE_LIMIT"
    assert command("self_destruct") is None


# --- validation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("set_charge_limit", {"percent": 80}),
        ("set_temps", {"driver_temp": 21.5, "passenger_temp": 22}),
        ("remote_seat_heater_request", {"seat_position": 8, "level": 0}),
        ("actuate_trunk", {"which_trunk": "front"}),
        ("set_valet_mode", {"on": True, "password": "0123"}),
        ("set_valet_mode", {"on": False}),
        ("set_scheduled_charging", {"enable": True, "time": 1439}),
        ("set_scheduled_charging", {"enable": False}),
        ("window_control", {"command": "close", "lat": -33.9, "lon": 151.2}),
        ("take_drivenote", {"note": "x" * 80}),
        (
            "add_charge_schedule",
            {
                "days_of_week": "Mon, TUES,weekdays",
                "enabled": True,
                "lat": 52.1,
                "lon": 4.3,
                "start_enabled": True,
                "start_time": 120,
                "end_enabled": False,
            },
        ),
        (
            "navigation_request",
            {
                "type": "share_ext_content_raw",
                "value": {"android.intent.extra.TEXT": "1 Infinite Loop, Cupertino"},
                "locale": "en-US",
                "timestamp_ms": 1_700_000_000_000,
            },
        ),
        ("batch_remove_precondition_schedules", {"work": True}),
    ],
)
def test_a_valid_body_passes_unchanged(name: str, params: dict[str, object]) -> None:
    body, problems = validate(spec(name), params)
    assert problems == []
    assert body == params


def test_no_parameters_accepts_null_and_an_empty_object() -> None:
    assert validate(spec("honk_horn"), None) == ({}, [])
    assert validate(spec("honk_horn"), {}) == ({}, [])


def test_optional_parameters_left_out_or_null_stay_out_of_the_body() -> None:
    body, problems = validate(spec("set_cabin_overheat_protection"), {"on": True, "fan_only": None})
    assert problems == []
    assert body == {"on": True}


def test_out_of_range_names_the_field_and_the_range() -> None:
    _, problems = validate(spec("set_charge_limit"), {"percent": 30})
    assert problems == [
        ParamProblem("params.percent", "params.percent: must be between 50 and 100 (%), got 30")
    ]
    _, problems = validate(spec("set_temps"), {"driver_temp": 28.5, "passenger_temp": 14})
    assert fields(problems) == ["params.driver_temp", "params.passenger_temp"]
    assert "between 15 and 28 (°C), got 28.5" in problems[0].message
    _, problems = validate(spec("schedule_software_update"), {"offset_sec": -1})
    assert "between 0 and 86400 (s)" in problems[0].message


def test_unknown_keys_are_refused_and_the_allowed_ones_named() -> None:
    _, problems = validate(spec("set_charge_limit"), {"percent": 80, "percnt": 80})
    assert fields(problems) == ["params.percnt"]
    assert "allowed: percent" in problems[0].message
    _, problems = validate(spec("honk_horn"), {"loud": True})
    assert fields(problems) == ["params.loud"]
    assert "allowed: none" in problems[0].message


def test_missing_required_parameters_are_reported() -> None:
    _, problems = validate(spec("set_temps"), {"driver_temp": 21})
    assert problems == [ParamProblem("params.passenger_temp", "params.passenger_temp: required")]
    _, problems = validate(spec("set_charge_limit"), {"percent": None})
    assert fields(problems) == ["params.percent"]


@pytest.mark.parametrize(
    ("name", "params", "field", "expected"),
    [
        ("set_charge_limit", {"percent": True}, "params.percent", "must be an integer, got boolean"),
        ("set_charge_limit", {"percent": 80.0}, "params.percent", "must be an integer, got number"),
        ("set_charge_limit", {"percent": "80"}, "params.percent", "must be an integer, got string"),
        ("set_temps", {"driver_temp": True, "passenger_temp": 20}, "params.driver_temp", "must be a number"),
        ("set_temps", {"driver_temp": float("nan"), "passenger_temp": 20}, "params.driver_temp", "finite"),
        ("set_sentry_mode", {"on": 1}, "params.on", "must be true or false, got integer"),
        ("set_vehicle_name", {"vehicle_name": 7}, "params.vehicle_name", "must be a string, got integer"),
        ("set_vehicle_name", {"vehicle_name": "  "}, "params.vehicle_name", "must not be empty"),
        (
            "set_climate_keeper_mode",
            {"climate_keeper_mode": True},
            "params.climate_keeper_mode",
            "one of 0, 1",
        ),
        ("set_cop_temp", {"cop_temp": 1.0}, "params.cop_temp", "must be one of 1, 2, 3, got 1.0"),
        ("navigation_request", {"type": "share_ext_content_raw", "value": "x"}, "params.value", "object"),
    ],
)
def test_wrong_types_are_refused(name: str, params: dict[str, object], field: str, expected: str) -> None:
    _, problems = validate(spec(name), params)
    assert fields(problems) == [field]
    assert expected in problems[0].message
    assert problems[0].message.startswith(field + ": ")


def test_a_value_not_among_the_choices_names_the_choices() -> None:
    _, problems = validate(spec("actuate_trunk"), {"which_trunk": "side"})
    assert problems == [
        ParamProblem("params.which_trunk", 'params.which_trunk: must be one of front, rear, got "side"')
    ]
    _, problems = validate(spec("remote_seat_heater_request"), {"seat_position": 9, "level": 4})
    assert fields(problems) == ["params.seat_position", "params.level"]
    assert "one of 0, 1, 2, 3, 4, 5, 6, 7, 8, got 9" in problems[0].message


def test_too_long_strings_are_refused() -> None:
    _, problems = validate(spec("take_drivenote"), {"note": "x" * 81})
    assert problems == [ParamProblem("params.note", "params.note: must be at most 80 characters, got 81")]


def test_formats_pins_and_days() -> None:
    for pin in ("123", "12345", "12a4", "١٢٣٤"):
        _, problems = validate(spec("speed_limit_clear_pin"), {"pin": pin})
        assert fields(problems) == ["params.pin"], pin
        assert "exactly 4 digits" in problems[0].message
        assert pin not in problems[0].message  # never echo a secret
    _, problems = validate(spec("set_pin_to_drive"), {"on": True, "password": 1234})
    assert fields(problems) == ["params.password"]
    _, problems = validate(
        spec("add_precondition_schedule"),
        {"days_of_week": "Mon,Tue", "enabled": True, "lat": 0, "lon": 0, "precondition_time": 400},
    )
    assert fields(problems) == ["params.days_of_week"]
    assert "TUES" in problems[0].message


def test_a_body_that_is_not_an_object_is_refused() -> None:
    for params in ([1], "percent=80", 80, True):
        body, problems = validate(spec("set_charge_limit"), params)
        assert body == {}
        assert fields(problems) == ["params"]
        assert problems[0].message.startswith("params: must be an object, got ")


def test_every_problem_is_reported_at_once() -> None:
    _, problems = validate(
        spec("add_charge_schedule"),
        {
            "days_of_week": "ALL",
            "enabled": "yes",
            "lat": 91,
            "start_enabled": True,
            "end_enabled": True,
            "end_time": 1440,
            "colour": "red",
        },
    )
    assert fields(problems) == [
        "params.colour",
        "params.enabled",
        "params.lat",
        "params.lon",
        "params.end_time",
        "params.start_time",
    ]
    assert "required when start_enabled is true" in problems[-1].message


@pytest.mark.parametrize(
    ("name", "params", "field", "expected"),
    [
        ("set_scheduled_charging", {"enable": True}, "params.time", "required when enable is true"),
        ("set_scheduled_departure", {"enable": True}, "params.departure_time", "required when enable"),
        (
            "set_scheduled_departure",
            {"enable": True, "departure_time": 450, "off_peak_charging_weekdays_only": True},
            "params.end_off_peak_time",
            "required when off_peak_charging_weekdays_only is true",
        ),
        ("set_pin_to_drive", {"on": True}, "params.password", "required when on is true"),
        (
            "window_control",
            {"command": "vent", "lon": 3.0},
            "params.lat",
            "lat and lon must be given together",
        ),
        ("batch_remove_charge_schedules", {"home": False}, "params", "at least one of home, work, other"),
        (
            "add_charge_schedule",
            {
                "days_of_week": "ALL",
                "enabled": True,
                "lat": 0,
                "lon": 0,
                "start_enabled": False,
                "end_enabled": False,
            },
            "params",
            "at least one of start_enabled, end_enabled must be true",
        ),
        (
            "navigation_request",
            {"type": "share_ext_content_raw", "value": {"android.intent.extra.TEXT": ""}},
            "params.value",
            "android.intent.extra.TEXT",
        ),
    ],
)
def test_cross_field_rules(name: str, params: dict[str, object], field: str, expected: str) -> None:
    _, problems = validate(spec(name), params)
    assert fields(problems) == [field]
    assert expected in problems[0].message


def test_a_rule_does_not_repeat_a_problem_already_reported() -> None:
    _, problems = validate(spec("set_scheduled_charging"), {"enable": True, "time": 2000})
    assert fields(problems) == ["params.time"]
    assert "between 0 and 1439" in problems[0].message


# --- redaction and documentation -------------------------------------------------------------------------


def test_redaction_hides_secret_parameters() -> None:
    valet = spec("set_valet_mode")
    body, problems = validate(valet, {"on": True, "password": "4321"})
    assert problems == []
    assert redacted(valet, body) == {"on": True, "password": "***"}
    assert body["password"] == "4321"  # the body to send is untouched
    assert redacted(spec("speed_limit_deactivate"), {"pin": "1111"}) == {"pin": "***"}
    assert redacted(spec("set_charge_limit"), {"percent": 80}) == {"percent": 80}


def test_markdown_mentions_every_command_and_category() -> None:
    markdown = render_markdown()
    for category in Category:
        assert f"\n## {category.value.capitalize()}\n" in markdown
    for s in CATALOGUE:
        row = next(line for line in markdown.splitlines() if f"`{s.name}`" in line)
        assert f"`{s.graphql_name}`" in row
        assert row.count(" | ") == 4  # five cells: no stray pipe
    charge_limit = next(line for line in markdown.splitlines() if "`set_charge_limit`" in line)
    assert "`percent` (int; 50 to 100 %; required)" in charge_limit
    unlock = next(line for line in markdown.splitlines() if "`door_unlock`" in line)
    assert unlock.endswith("| yes | yes |")
    assert "| no (REST) |" in next(line for line in markdown.splitlines() if "`navigation_request`" in line)
    assert "4 digits" in next(line for line in markdown.splitlines() if "`speed_limit_clear_pin`" in line)
