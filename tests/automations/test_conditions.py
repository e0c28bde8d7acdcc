"""Each condition kind, evaluated on a vehicle's facts at a moment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter

from teslasync.analytics.samples import Sample
from teslasync.automations import Condition
from teslasync.automations.facts import Facts
from tests.automations.helpers import T0, at

CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


def holds(condition: dict[str, Any], when: datetime = T0, **latest: Any) -> bool:
    facts = Facts()
    for field, value in latest.items():
        facts.accept(Sample(T0, field, value))
    return CONDITION.validate_python(condition).holds(facts, when)


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """June 2025 in Berlin (UTC+2); 2 June is a Monday."""
    return (
        datetime(2025, 6, day, hour - 2, minute, tzinfo=UTC)
        if hour >= 2
        else datetime(2025, 6, day - 1, hour + 22, minute, tzinfo=UTC)
    )


NIGHT = {"kind": "time_window", "start": "22:00", "end": "06:00", "timezone": "Europe/Berlin"}
OFFICE = {
    "kind": "time_window",
    "start": "09:00",
    "end": "17:30",
    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
    "timezone": "Europe/Berlin",
}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (berlin(2, 21, 59), False),
        (berlin(2, 22), True),
        (berlin(3, 3), True),
        (berlin(3, 5, 59), True),
        (berlin(3, 6), False),
        (berlin(3, 12), False),
    ],
)
def test_time_window_across_midnight(when: datetime, expected: bool) -> None:
    assert holds(NIGHT, when) is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (berlin(2, 9), True),
        (berlin(6, 17, 29), True),
        (berlin(6, 17, 30), False),
        (berlin(7, 12), False),
        (berlin(2, 8, 59), False),
    ],
)
def test_time_window_on_weekdays(when: datetime, expected: bool) -> None:
    assert holds(OFFICE, when) is expected


def test_a_night_window_belongs_to_the_evening_it_starts() -> None:
    friday_night = {**NIGHT, "weekdays": ["fri"]}
    assert holds(friday_night, berlin(6, 23))  # Friday 23:00
    assert holds(friday_night, berlin(7, 3))  # Saturday 03:00, still Friday's night
    assert not holds(friday_night, berlin(6, 3))  # Friday 03:00 is Thursday's night
    assert not holds(friday_night, berlin(7, 23))


def test_time_window_follows_summer_time() -> None:
    morning = {"kind": "time_window", "start": "07:00", "end": "08:00", "timezone": "Europe/Berlin"}
    assert holds(morning, datetime(2025, 1, 15, 6, 30, tzinfo=UTC))  # 07:30 CET
    assert holds(morning, datetime(2025, 7, 15, 5, 30, tzinfo=UTC))  # 07:30 CEST
    assert not holds(morning, datetime(2025, 7, 15, 6, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("lt", 50, True),
        ("le", 45, True),
        ("gt", 45, False),
        ("ge", 45, True),
        ("eq", 45, True),
        ("ne", 45, False),
    ],
)
def test_battery(op: str, value: float, expected: bool) -> None:
    assert holds({"kind": "battery", "op": op, "value": value}, Soc=45) is expected


def test_battery_uses_whichever_level_came_last() -> None:
    facts = Facts()
    facts.accept(Sample(at(0), "BatteryLevel", 30))
    facts.accept(Sample(at(10), "Soc", 60))
    assert facts.battery() == 60
    facts.accept(Sample(at(20), "BatteryLevel", 58))
    assert facts.battery() == 58
    facts.accept(Sample(at(30), "Soc", None))
    assert facts.battery() == 58


def test_battery_unknown_does_not_hold() -> None:
    assert not holds({"kind": "battery", "op": "lt", "value": 100})
    assert not holds({"kind": "battery", "op": "ne", "value": 50})


HOME = {"latitude": 52.52, "longitude": 13.405, "radius_m": 200}


def test_location_inside_and_outside() -> None:
    inside = {"kind": "location", "circle": HOME}
    outside = {"kind": "location", "where": "outside", "circle": HOME}
    near = {"latitude": 52.521, "longitude": 13.405}  # ~111 m
    far = {"latitude": 52.53, "longitude": 13.405}  # ~1.1 km
    assert holds(inside, Location=near) and not holds(outside, Location=near)
    assert holds(outside, Location=far) and not holds(inside, Location=far)
    assert not holds(inside) and not holds(outside)  # no position known
    assert not holds(inside, Location=None)


@pytest.mark.parametrize(
    ("condition", "latest", "expected"),
    [
        ({"field": "Locked", "op": "eq", "value": False}, {"Locked": False}, True),
        ({"field": "Locked", "op": "eq", "value": False}, {"Locked": True}, False),
        ({"field": "Gear", "op": "ne", "value": "P"}, {"Gear": "D"}, True),
        ({"field": "Gear", "op": "ne", "value": "P"}, {}, False),
        ({"field": "InsideTemp", "op": "gt", "value": 30}, {"InsideTemp": 31.5}, True),
        ({"field": "InsideTemp", "op": "ge", "value": 31.5}, {"InsideTemp": 31.5}, True),
        ({"field": "InsideTemp", "op": "lt", "value": 30}, {"InsideTemp": 31.5}, False),
        ({"field": "InsideTemp", "op": "le", "value": 31.5}, {"InsideTemp": 31.5}, True),
        ({"field": "InsideTemp", "op": "lt", "value": 30}, {"InsideTemp": "31"}, False),
        ({"field": "ChargeAmps", "op": "eq", "value": 16}, {"ChargeAmps": 16.0}, True),
        ({"field": "SentryMode", "op": "eq", "value": "Armed"}, {"SentryMode": "Armed"}, True),
    ],
)
def test_signal(condition: dict[str, Any], latest: dict[str, Any], expected: bool) -> None:
    assert holds({"kind": "signal", **condition}, **latest) is expected
