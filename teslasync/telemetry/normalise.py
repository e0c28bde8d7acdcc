"""Observation -> Signal: decode either encoding, check the type, convert to metric, decode enums.

Storage is metric and canonical: numbers (and booleans as 1/0) in `num`, strings and enum values (without
their type prefix: `D`, `Charging`) in `txt`, structured values (Location, Doors, tyre flags) in `doc`.
A field the catalogue does not know is stored raw in `doc`. "No valid value" (`invalid`, `{}`, MQTT `null`)
is stored as all three empty, never as zero.
"""

from __future__ import annotations

import re
from typing import Any

from teslasync.telemetry.catalogue import ENUM_MEMBERS, FieldSpec, Kind, enum_by_index, enum_short, spec
from teslasync.telemetry.model import JSON, Form, Observation, Reason, Rejected, Signal, finite, scrub

DOOR_NAMES = ("DriverFront", "DriverRear", "PassengerFront", "PassengerRear", "TrunkFront", "TrunkRear")
_LEGACY_LOCATION = re.compile(
    r"^\(?\s*(?P<lat>[-+]?\d+(?:\.\d+)?)\s*(?P<ns>[NS])?\s*,\s*(?P<lon>[-+]?\d+(?:\.\d+)?)\s*(?P<ew>[EW])?\s*\)?$"
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})$")
_INVALID = object()


def _unwrap_typed(raw: JSON) -> tuple[str | None, JSON]:
    """A protobuf-JSON `Value`: (member name, value); `{}` and `{"invalid": true}` are invalid."""
    if not isinstance(raw, dict):
        raise Rejected(Reason.BAD_SHAPE, "a typed value must be an object")
    if not raw or raw.get("invalid") is True:
        return None, _INVALID
    if len(raw) != 1:
        raise Rejected(Reason.BAD_SHAPE, f"a typed value has one member, got {sorted(raw)}")
    member, value = next(iter(raw.items()))
    return str(member), value


def _number(value: JSON, field: FieldSpec) -> float | object:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants a number, got {type(value).__name__}")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return _INVALID
        try:
            number = float(text)
        except ValueError:
            raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants a number, got {value[:40]!r}") from None
    else:
        number = float(value)
    return finite(number, field.name) * field.factor


def _boolean(value: JSON, field: FieldSpec) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return 1.0 if value.strip().lower() in ("true", "1") else 0.0
    if isinstance(value, int) and value in (0, 1):
        return float(value)
    raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants a boolean, got {str(value)[:40]!r}")


def _enum(value: JSON, field: FieldSpec, member: str | None) -> str:
    enum_type = ENUM_MEMBERS.get(member or "", field.enum_type)
    if isinstance(value, int) and not isinstance(value, bool):
        decoded = enum_by_index(enum_type, value)
        if decoded is None:
            raise Rejected(Reason.OUT_OF_RANGE, f"{field.name}: no value number {value}")
        return decoded
    if not isinstance(value, str) or not value.strip():
        raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants an enum name, got {str(value)[:40]!r}")
    return enum_short(enum_type, value.strip())


def _coordinate(value: JSON, name: str, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Rejected(Reason.WRONG_TYPE, f"{name} must be a number")
    try:
        number = finite(float(value), name)
    except ValueError:
        raise Rejected(Reason.WRONG_TYPE, f"{name} must be a number") from None
    if not -limit <= number <= limit:
        raise Rejected(Reason.OUT_OF_RANGE, f"{name} {number} is outside ±{limit:g}")
    return number


def _location(value: JSON, field: FieldSpec) -> dict[str, float]:
    if isinstance(value, str):
        match = _LEGACY_LOCATION.match(value.strip())
        if match is None:
            raise Rejected(Reason.WRONG_TYPE, f"{field.name}: cannot read location {value[:60]!r}")
        lat, lon = float(match["lat"]), float(match["lon"])
        value = {
            "latitude": -lat if match["ns"] == "S" else lat,
            "longitude": -lon if match["ew"] == "W" else lon,
        }
    if not isinstance(value, dict) or "latitude" not in value or "longitude" not in value:
        raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants {{latitude, longitude}}")
    return {
        "latitude": _coordinate(value["latitude"], "latitude", 90),
        "longitude": _coordinate(value["longitude"], "longitude", 180),
    }


def _doors(value: JSON, field: FieldSpec) -> dict[str, bool]:
    if isinstance(value, str):
        names = [name for name in re.split(r"[^A-Za-z]+", value) if name]
        unknown = [name for name in names if name not in DOOR_NAMES]
        if unknown:
            raise Rejected(Reason.WRONG_TYPE, f"{field.name}: unknown doors {unknown}")
        return {door: door in names for door in DOOR_NAMES}
    if not isinstance(value, dict) or not all(isinstance(flag, bool) for flag in value.values()):
        raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants an object of door flags")
    unknown = [name for name in value if name not in DOOR_NAMES]
    if unknown:
        raise Rejected(Reason.WRONG_TYPE, f"{field.name}: unknown doors {unknown}")
    return {door: bool(value.get(door, False)) for door in DOOR_NAMES}


def _flags(value: JSON, field: FieldSpec) -> dict[str, bool]:
    if not isinstance(value, dict) or not all(isinstance(flag, bool) for flag in value.values()):
        raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants an object of flags")
    return {str(key): flag for key, flag in value.items()}


def _time(value: JSON, field: FieldSpec) -> str:
    if isinstance(value, dict):
        try:
            hour, minute, second = (int(value.get(part, 0)) for part in ("hour", "minute", "second"))
        except (TypeError, ValueError):
            raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants a time of day") from None
    elif isinstance(value, str) and (match := _TIME.match(value.strip())):
        hour, minute, second = (int(part) for part in match.groups())
    else:
        raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants a time of day")
    if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
        raise Rejected(Reason.OUT_OF_RANGE, f"{field.name}: {hour}:{minute}:{second} is not a time of day")
    return f"{hour:02d}:{minute:02d}:{second:02d}"


def _scalar_text(value: JSON, field: FieldSpec) -> str:
    if isinstance(value, dict | list) or value is None:
        raise Rejected(Reason.WRONG_TYPE, f"{field.name} wants a string")
    return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def decode(field: FieldSpec, value: JSON, member: str | None) -> tuple[float | None, str | None, Any]:
    """(num, txt, doc) for a value that is not 'invalid'."""
    kind = field.kind
    if kind in (Kind.NUMBER, Kind.INTEGER):
        number = _number(value, field)
        return (None, None, None) if number is _INVALID else (number, None, None)  # type: ignore[return-value]
    if kind is Kind.BOOLEAN:
        return _boolean(value, field), None, None
    if kind is Kind.ENUM:
        return None, _enum(value, field, member), None
    if kind is Kind.LOCATION:
        return None, None, _location(value, field)
    if kind is Kind.DOORS:
        return None, None, _doors(value, field)
    if kind is Kind.TIRE_LOCATION:
        return None, None, _flags(value, field)
    if kind is Kind.TIME:
        return None, _time(value, field), None
    return None, _scalar_text(value, field), None  # STRING, TIMESTAMP


def normalise(observation: Observation) -> Signal:
    """Raises `Rejected` with the dead-letter reason when the value cannot be accepted."""
    field = spec(observation.field)
    member: str | None = None
    if observation.form is Form.TYPED:
        member, value = _unwrap_typed(observation.raw)
    else:
        value = _INVALID if observation.raw is None else observation.raw
    num: float | None = None
    txt: str | None = None
    doc: JSON = None
    if field is None or field.kind is Kind.PLACEHOLDER:
        doc = None if value is _INVALID else observation.raw
    elif value is not _INVALID:
        num, txt, doc = decode(field, value, member)
    return Signal(
        observation.vin, observation.field, observation.ts, num, scrub(txt), scrub(doc), observation.approx
    )


def render(field_name: str, num: float | None, txt: str | None, doc: JSON) -> JSON:
    """The stored value as the API shows it: a number, a boolean, a string or an object; None if invalid."""
    field = spec(field_name)
    if num is not None:
        if field is not None and field.kind is Kind.BOOLEAN:
            return num != 0
        if field is not None and field.kind is Kind.INTEGER and num.is_integer():
            return int(num)
        return num
    if txt is not None:
        return txt
    return doc
