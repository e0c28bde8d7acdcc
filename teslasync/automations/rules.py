"""A rule: which vehicles, what triggers it, what must also hold, and what it asks for.

Rules are stored as JSONB and edited through GraphQL as JSON, so `parse_rule` is the way in: it checks the
shape and then the meaning (field names against the telemetry catalogue, enum values, cron expressions, time
zones, template placeholders, commands and their parameters) and reports every problem with the path of the
part at fault, e.g. `trigger.threshold.field: unknown telemetry field 'Sooc' (did you mean 'Soc'?)`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from teslasync.automations.actions import Action
from teslasync.automations.conditions import Condition, LocationCondition
from teslasync.automations.geofences import Circle
from teslasync.automations.model import Model, Problem
from teslasync.automations.triggers import COMMON_PLACEHOLDERS, DEBOUNCED, GeofenceTrigger, Trigger
from teslasync.errors import TeslaSyncError
from teslasync.vin import is_valid_vin

_INVALID = "rule_invalid"


class RuleInvalid(TeslaSyncError):
    """A rule that cannot be saved; `problems` lists each bad part (also in the GraphQL error extensions)."""

    code = "BAD_ARGUMENT"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "invalid rule: " + "; ".join(str(problem) for problem in problems),
            problems=[{"path": problem.path, "message": problem.message} for problem in problems],
        )
        self.problems = problems


class Target(Model):
    """Exactly one of: the listed vehicles, every vehicle carrying a tag, or all vehicles."""

    vins: list[str] | None = Field(default=None, min_length=1, max_length=1000)
    tag: str | None = Field(default=None, min_length=1, max_length=100)
    all: Literal[True] | None = None

    def problems(self, path: str) -> list[Problem]:
        given = [self.vins is not None, self.tag is not None, self.all is not None]
        if sum(given) != 1:
            return [Problem(path, "give exactly one of vins, tag or all")]
        return [
            Problem(f"{path}.vins[{index}]", f"'{vin}' is not a VIN (17 characters, no I, O or Q)")
            for index, vin in enumerate(self.vins or ())
            if not is_valid_vin(vin)
        ]

    def matches(self, vin: str, tags: Collection[str]) -> bool:
        if self.vins is not None:
            return vin in self.vins
        if self.tag is not None:
            return self.tag in tags
        return True


class Rule(Model):
    """A whole rule; `parse_rule` builds one from JSON, `to_json` gives the JSON to store."""

    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    target: Target
    trigger: Trigger
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    actions: list[Action] = Field(min_length=1, max_length=10)
    debounce_s: float = Field(default=0, ge=0, le=7 * 86400)
    cooldown_s: float = Field(default=0, ge=0, le=365 * 86400)

    @model_validator(mode="after")
    def _meaning(self) -> Rule:
        problems = self.problems()
        if problems:
            summary = "; ".join(str(problem) for problem in problems)
            raise PydanticCustomError(_INVALID, "{summary}", {"summary": summary, "problems": problems})
        return self

    def problems(self) -> list[Problem]:
        kind = self.trigger.kind
        problems = [*self.target.problems("target"), *self.trigger.problems(f"trigger.{kind}")]
        for index, condition in enumerate(self.conditions):
            problems.extend(condition.problems(f"conditions[{index}].{condition.kind}"))
        available = COMMON_PLACEHOLDERS | type(self.trigger).PLACEHOLDERS
        for index, action in enumerate(self.actions):
            problems.extend(action.problems(f"actions[{index}].{action.kind}", available, kind))
        if self.debounce_s and kind not in DEBOUNCED:
            problems.append(
                Problem("debounce_s", f"{kind} triggers cannot be debounced (only {', '.join(DEBOUNCED)})")
            )
        return problems

    def to_json(self) -> dict[str, Any]:
        """The JSON document to store (the shape `parse_rule` reads)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def geofence_ids(self) -> set[int]:
        """The stored geofences this rule names, for the caller to load before `with_geofences`."""
        places = [self.trigger, *self.conditions]
        return {
            place.geofence_id
            for place in places
            if isinstance(place, GeofenceTrigger | LocationCondition) and place.geofence_id is not None
        }

    def with_geofences(self, lookup: Callable[[int], Circle | None] | Mapping[int, Circle]) -> Rule:
        """This rule with every `geofence_id` resolved into its circle (the engine only reads circles). Store
        the rule as written, not this copy, so an edited geofence takes effect."""
        find = lookup.get if isinstance(lookup, Mapping) else lookup
        problems: list[Problem] = []

        def resolve(place: Any, path: str) -> Any:
            if not isinstance(place, GeofenceTrigger | LocationCondition) or place.geofence_id is None:
                return place
            circle = find(place.geofence_id)
            if circle is None:
                problems.append(Problem(f"{path}.geofence_id", f"no geofence {place.geofence_id}"))
                return place
            return place.model_copy(update={"circle": circle})

        trigger = resolve(self.trigger, f"trigger.{self.trigger.kind}")
        conditions = [
            resolve(condition, f"conditions[{index}].{condition.kind}")
            for index, condition in enumerate(self.conditions)
        ]
        if problems:
            raise RuleInvalid(problems)
        return self.model_copy(update={"trigger": trigger, "conditions": conditions})

    def unresolved(self) -> bool:
        """Whether some place still lacks its circle (a geofence_id not resolved yet)."""
        places = [self.trigger, *self.conditions]
        return any(
            isinstance(place, GeofenceTrigger | LocationCondition) and place.circle is None
            for place in places
        )


@dataclass(frozen=True, slots=True)
class StoredRule:
    id: int
    rule: Rule


def parse_rule(document: Mapping[str, Any] | str | bytes) -> Rule:
    """A rule from its JSON (a parsed document or the text); raises `RuleInvalid` naming every bad part."""
    try:
        if isinstance(document, str | bytes):
            return Rule.model_validate_json(document)
        return Rule.model_validate(document)
    except ValidationError as error:
        raise RuleInvalid([problem for detail in error.errors() for problem in _problems(detail)]) from None


def _problems(detail: ErrorDetails) -> list[Problem]:
    context = detail.get("ctx") or {}
    if detail["type"] == _INVALID:
        return list(context["problems"])
    path = _path(detail["loc"])
    kind = detail["type"]
    if kind == "missing":
        message = "required"
    elif kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "union_tag_invalid":
        message = f"unknown kind '{context.get('tag')}' (one of: {_tags(context)})"
        path = f"{path}.kind" if path else "kind"
    elif kind == "union_tag_not_found":
        message = "required"
        path = f"{path}.kind" if path else "kind"
    else:
        message = detail["msg"][:1].lower() + detail["msg"][1:]
    return [Problem(path, message)]


def _tags(context: Mapping[str, Any]) -> str:
    return str(context.get("expected_tags", "")).replace("'", "")


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path
