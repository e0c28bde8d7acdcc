"""What must also hold when a trigger fires. Every condition of a rule must hold; a condition about something
not known yet (no battery level, no position, no value of the field) does not hold, so a rule never acts on a
guess. A crossing whose conditions do not hold is dropped, not postponed."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from teslasync.analytics.samples import number
from teslasync.automations.facts import Facts
from teslasync.automations.fields import ScalarValue, field_problem, same, value_problem
from teslasync.automations.geofences import Place
from teslasync.automations.model import Model, Problem
from teslasync.automations.triggers import LOCATION

Op = Literal["eq", "ne", "lt", "le", "gt", "ge"]
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def compare(op: str, value: Any, reference: Any) -> bool:
    if op == "eq":
        return same(value, reference)
    if op == "ne":
        return not same(value, reference)
    x, y = number(value), number(reference)
    return x is not None and y is not None and _ORDER[op](x, y)


class TimeWindow(Model):
    """Local time in [start, end). A window whose end is earlier than its start runs across midnight, and its
    weekdays are those of the evening it starts (fri 22:00-06:00 holds at 03:00 on Saturday)."""

    kind: Literal["time_window"]
    start: time
    end: time
    weekdays: list[Weekday] | None = Field(default=None, min_length=1)
    timezone: str = "UTC"

    def problems(self, path: str) -> list[Problem]:
        problems = []
        if self.start == self.end:
            problems.append(Problem(f"{path}.end", "start and end are equal; leave the window out instead"))
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            problems.append(Problem(path, "start and end are local times; give the zone in timezone"))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                Problem(f"{path}.timezone", f"unknown time zone '{self.timezone}' (use an IANA name)")
            )
        return problems

    def holds(self, facts: Facts, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        now = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside, day = self.start <= now < self.end, local.date()
        elif now >= self.start:
            inside, day = True, local.date()
        else:
            inside, day = now < self.end, local.date() - timedelta(days=1)
        return inside and (self.weekdays is None or _WEEKDAYS[day.weekday()] in self.weekdays)


class BatteryCondition(Model):
    """The latest battery percentage known (Soc or BatteryLevel, whichever came last) compared with `value`."""

    kind: Literal["battery"]
    op: Op
    value: float = Field(ge=0, le=100)

    def problems(self, path: str) -> list[Problem]:
        return []

    def holds(self, facts: Facts, at: datetime) -> bool:
        level = facts.battery()
        return level is not None and compare(self.op, level, self.value)


class LocationCondition(Place):
    """The latest position known is inside (or outside) the circle."""

    kind: Literal["location"]
    where: Literal["inside", "outside"] = "inside"

    def problems(self, path: str) -> list[Problem]:
        return self.place_problems(path)

    def holds(self, facts: Facts, at: datetime) -> bool:
        inside = self.circle.contains(facts.get(LOCATION)) if self.circle is not None else None
        return inside is not None and inside == (self.where == "inside")


class SignalCondition(Model):
    """The latest value of a field compared with `value`; lt, le, gt and ge need a numeric field."""

    kind: Literal["signal"]
    field: str
    op: Op
    value: ScalarValue

    def problems(self, path: str) -> list[Problem]:
        if problem := field_problem(self.field, numeric=self.op in _ORDER):
            return [Problem(f"{path}.field", problem)]
        problem = value_problem(self.field, self.value)
        return [Problem(f"{path}.value", problem)] if problem else []

    def holds(self, facts: Facts, at: datetime) -> bool:
        value = facts.get(self.field)
        return value is not None and compare(self.op, value, self.value)


Condition = Annotated[
    TimeWindow | BatteryCondition | LocationCondition | SignalCondition, Field(discriminator="kind")
]
