"""What a rule may say about a telemetry field, checked against the field catalogue.

Rules are stored and edited as JSON, so a typo in a field name or an enum value would otherwise give a rule
that silently never fires; every check here returns a message naming the bad part instead.
"""

from __future__ import annotations

import difflib
import math
from typing import Annotated, Any

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

from teslasync.telemetry.catalogue import FIELDS, Kind, enum_short, spec
from teslasync.telemetry.catalogue_data import ENUM_VALUES

Scalar = bool | int | float | str


def _scalar(value: Any) -> Scalar:
    if isinstance(value, bool | int | str) or (isinstance(value, float) and math.isfinite(value)):
        return value
    raise PydanticCustomError("scalar", "must be true, false, a finite number or a string")


# a value a rule compares a field with, as one plain message when it is none of these
ScalarValue = Annotated[Scalar, PlainValidator(_scalar, json_schema_input_type=Scalar)]

NUMERIC = frozenset({Kind.NUMBER, Kind.INTEGER})
# kinds whose values are single JSON scalars, so they can be compared with a rule's value
SCALAR = NUMERIC | {Kind.BOOLEAN, Kind.STRING, Kind.ENUM, Kind.TIME, Kind.TIMESTAMP}
_NAMES = [field.name for field in FIELDS if field.kind is not Kind.PLACEHOLDER]


def field_problem(name: str, *, numeric: bool = False) -> str | None:
    """Why `name` cannot be used (unknown, a placeholder, not a scalar, not a number), or None."""
    field = spec(name)
    if field is None or field.kind is Kind.PLACEHOLDER:
        close = difflib.get_close_matches(name, _NAMES, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown telemetry field '{name}'{hint}"
    if numeric and field.kind not in NUMERIC:
        return f"'{name}' is not numeric ({field.kind.value}); compare it with eq or ne"
    if field.kind not in SCALAR:
        return f"'{name}' holds {field.kind.value} values, which cannot be compared; use a location instead"
    return None


def enum_values(name: str) -> tuple[str, ...]:
    """The values an enum field takes, as samples carry them (without the type prefix)."""
    field = spec(name)
    if field is None or field.enum_type is None:
        return ()
    return tuple(enum_short(field.enum_type, value) for value in ENUM_VALUES.get(field.enum_type, ()))


def value_problem(name: str, value: Scalar) -> str | None:
    """Why `value` can never be a value of the (known, scalar) field `name`, or None."""
    field = spec(name)
    if field is None:
        return None
    if field.kind in NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{name} is a number; got {_shown(value)}"
        return None if math.isfinite(value) else "must be a finite number"
    if field.kind is Kind.BOOLEAN:
        return None if isinstance(value, bool) else f"{name} is true or false; got {_shown(value)}"
    if field.kind is Kind.ENUM:
        allowed = enum_values(name)
        if isinstance(value, str) and value in allowed:
            return None
        return f"{_shown(value)} is not a {name} value (one of: {', '.join(allowed)})"
    return None if isinstance(value, str) else f"{name} is a string; got {_shown(value)}"


def same(a: object, b: object) -> bool:
    """Equality as JSON means it: true is not 1, and 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return a == b


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def display(value: object) -> str:
    """A value as a message shows it: numbers without needless decimals, booleans as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return "unknown" if value is None else str(value)
