"""The field catalogue: every Fleet Telemetry field with its kind, canonical unit and conversion."""

from __future__ import annotations

from functools import cache

from teslasync.telemetry.catalogue_data import ENUM_MEMBERS, ENUM_VALUES, FIELDS, FieldSpec, Kind

__all__ = ["ENUM_MEMBERS", "FIELDS", "FieldSpec", "Kind", "by_number", "enum_short", "spec"]

_BY_NAME = {field.name: field for field in FIELDS}
_BY_NUMBER = {field.number: field for field in FIELDS}


def spec(name: str) -> FieldSpec | None:
    """The field called `name`, or None for a name this catalogue does not know (kept raw, never dropped)."""
    return _BY_NAME.get(name)


def by_number(number: int) -> FieldSpec | None:
    return _BY_NUMBER.get(number)


@cache
def enum_prefix(enum_type: str) -> str:
    """The prefix every value of `enum_type` carries ("ShiftState" for ShiftStateD), cut at a word boundary
    (HvacPowerStateOn and HvacPowerStateOff share "HvacPowerStateO", but the prefix is "HvacPowerState")."""
    values = ENUM_VALUES.get(enum_type, ())
    if len(values) < 2:
        return enum_type
    prefix = values[0]
    for value in values[1:]:
        while not value.startswith(prefix):
            prefix = prefix[:-1]
    while prefix and not all(len(v) > len(prefix) and not v[len(prefix)].islower() for v in values):
        prefix = prefix[:-1]
    return prefix


def enum_short(enum_type: str | None, value: str) -> str:
    """`ShiftStateD` -> `D`; a value already short (legacy streams send `D`, `Closed`) is returned as is."""
    if enum_type is None:
        return value
    prefix = enum_prefix(enum_type)
    if prefix and value.startswith(prefix) and len(value) > len(prefix):
        return value[len(prefix) :]
    return value


def enum_by_index(enum_type: str | None, index: int) -> str | None:
    values = ENUM_VALUES.get(enum_type or "", ())
    if 0 <= index < len(values):
        return enum_short(enum_type, values[index])
    return None
