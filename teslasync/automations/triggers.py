"""What makes a rule fire: exactly one trigger per rule, told apart by `kind`.

Signal triggers (threshold, equals, geofence) are edges, not levels: each reduces a field's latest value to
a side (active or not) and fires when the side turns active, so a value that stays beyond a threshold fires
once, not on every sample. The side a vehicle is first seen on is only recorded: nothing fires on startup.
"""

from __future__ import annotations

import fnmatch
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field

from teslasync.analytics.samples import number
from teslasync.analytics.states import State
from teslasync.automations.fields import ScalarValue, display, field_problem, same, value_problem
from teslasync.automations.geofences import Place
from teslasync.automations.model import Model, Problem
from teslasync.automations.schedule import schedule_problems

COMMON_PLACEHOLDERS = frozenset({"vin", "rule", "rule_id", "at", "trigger", "value", "battery"})
LOCATION = "Location"


class ThresholdTrigger(Model):
    """`above`: fires when the value rises above `value` (strictly), re-arms once it is at or below
    `value - hysteresis`; `below` mirrors it. Values inside the hysteresis band keep the last side."""

    kind: Literal["threshold"]
    field: str
    direction: Literal["above", "below"]
    value: float
    hysteresis: float = Field(default=0, ge=0)

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"field", "threshold"})

    def problems(self, path: str) -> list[Problem]:
        problem = field_problem(self.field, numeric=True)
        return [Problem(f"{path}.field", problem)] if problem else []

    @property
    def signal(self) -> str:
        return self.field

    def side(self, value: Any, previous: bool | None) -> bool | None:
        x = number(value)
        if x is None:
            return None
        if self.direction == "above":
            if x > self.value:
                return True
            return False if x <= self.value - self.hysteresis else bool(previous)
        if x < self.value:
            return True
        return False if x >= self.value + self.hysteresis else bool(previous)

    def describe(self, value: Any) -> str:
        verb = "rose above" if self.direction == "above" else "fell below"
        return f"{self.field} {verb} {display(self.value)} ({display(value)})"


class EqualsTrigger(Model):
    """Fires when the field becomes `value` (it was something else, and it is now this)."""

    kind: Literal["equals"]
    field: str
    value: ScalarValue

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"field"})

    def problems(self, path: str) -> list[Problem]:
        if problem := field_problem(self.field):
            return [Problem(f"{path}.field", problem)]
        problem = value_problem(self.field, self.value)
        return [Problem(f"{path}.value", problem)] if problem else []

    @property
    def signal(self) -> str:
        return self.field

    def side(self, value: Any, previous: bool | None) -> bool | None:
        return None if value is None else same(value, self.value)

    def describe(self, value: Any) -> str:
        return f"{self.field} became {display(value)}"


class GeofenceTrigger(Place):
    """`enter` fires when a position inside the circle follows one outside it; `leave` the reverse."""

    kind: Literal["geofence"]
    event: Literal["enter", "leave"]

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"geofence", "latitude", "longitude"})

    def problems(self, path: str) -> list[Problem]:
        return self.place_problems(path)

    @property
    def signal(self) -> str:
        return LOCATION

    def side(self, value: Any, previous: bool | None) -> bool | None:
        inside = self.circle.contains(value) if self.circle is not None else None
        if inside is None:
            return None
        return inside if self.event == "enter" else not inside

    def describe(self, value: Any) -> str:
        return f"{'entered' if self.event == 'enter' else 'left'} {self.label()}"


class StateTrigger(Model):
    """Fires when the vehicle's state (see analytics/states.py) changes `to` a state, optionally `from` one."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    kind: Literal["state"]
    to: State | None = None
    from_: State | None = Field(default=None, alias="from")

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"state", "previous"})

    def problems(self, path: str) -> list[Problem]:
        if self.to is None and self.from_ is None:
            return [Problem(path, "give to, from or both")]
        if self.to is not None and self.to == self.from_:
            return [Problem(path, "to and from are the same state, which is never a change")]
        return []

    def matches(self, state: str, previous: str) -> bool:
        return (self.to is None or self.to.value == state) and (
            self.from_ is None or self.from_.value == previous
        )


class ChargingTrigger(Model):
    """`started`: a charging session opened; `completed`: it closed having reached its limit; `stopped`: it
    closed otherwise (stopped by hand, unplugged, interrupted)."""

    kind: Literal["charging"]
    event: Literal["started", "completed", "stopped"]

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"event"})

    def problems(self, path: str) -> list[Problem]:
        return []


class AlertTrigger(Model):
    """A vehicle alert was raised; `name` is a case-sensitive glob (`*`, `?`, `[...]`); none: any alert."""

    kind: Literal["alert"]
    name: str | None = Field(default=None, min_length=1, max_length=200)

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"alert"})

    def problems(self, path: str) -> list[Problem]:
        return []

    def matches(self, name: str) -> bool:
        return self.name is None or fnmatch.fnmatchcase(name, self.name)


class ScheduleTrigger(Model):
    """A five-field cron expression (or @hourly, @daily, ...) read in an IANA time zone."""

    kind: Literal["schedule"]
    expression: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", min_length=1)

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset()

    def problems(self, path: str) -> list[Problem]:
        return schedule_problems(self.expression, self.timezone, path)

    def describe(self, at: datetime) -> str:
        local = at.astimezone(ZoneInfo(self.timezone))
        return f"schedule '{self.expression}' at {local:%Y-%m-%d %H:%M} {self.timezone}"


Trigger = Annotated[
    ThresholdTrigger
    | EqualsTrigger
    | GeofenceTrigger
    | StateTrigger
    | ChargingTrigger
    | AlertTrigger
    | ScheduleTrigger,
    Field(discriminator="kind"),
]
SignalTrigger = ThresholdTrigger | EqualsTrigger | GeofenceTrigger
DEBOUNCED = ("threshold", "equals", "geofence")
