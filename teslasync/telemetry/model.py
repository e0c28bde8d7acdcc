"""The values that flow through the pipeline."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

JSON = Any  # a decoded JSON value


class Form(StrEnum):
    """How a source encodes a value: protobuf-JSON `Value` objects, or the MQTT dispatcher's plain JSON."""

    TYPED = "typed"
    MQTT = "mqtt"


class Source(StrEnum):
    MQTT = "mqtt"
    RECORDS = "records"
    REPLAY = "replay"
    POLL = "poll"
    SIMULATOR = "simulator"


@dataclass(frozen=True, slots=True)
class Observation:
    """One field's value as a source received it, before normalising."""

    vin: str
    field: str
    raw: JSON
    form: Form
    ts: datetime
    approx: bool = False


@dataclass(frozen=True, slots=True)
class Signal:
    """One normalised value. All of num/txt/doc None means the car reported 'no valid value'."""

    vin: str
    field: str
    ts: datetime
    num: float | None = None
    txt: str | None = None
    doc: JSON = None
    approx: bool = False

    @property
    def valid(self) -> bool:
        return self.num is not None or self.txt is not None or self.doc is not None


class Reason(StrEnum):
    """Why a message was dead-lettered. Stable: used as a metric label and stored with the message."""

    NOT_JSON = "not_json"
    TOO_LARGE = "too_large"
    BAD_SHAPE = "bad_shape"
    BAD_VIN = "bad_vin"
    VIN_NOT_ALLOWED = "vin_not_allowed"
    UNKNOWN_TOPIC = "unknown_topic"
    WRONG_TYPE = "wrong_type"
    NOT_FINITE = "not_finite"
    OUT_OF_RANGE = "out_of_range"
    BAD_TIMESTAMP = "bad_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    STORE_FAILED = "store_failed"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    source: str
    reason: Reason
    detail: str
    payload: str
    vin: str | None = None
    field: str | None = None


class Rejected(Exception):
    """A value (or a whole message) cannot be accepted; carries the dead-letter reason."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


def scrub(value: JSON) -> JSON:
    """PostgreSQL text and jsonb cannot hold NUL characters; replace them (U+FFFD) rather than fail a batch."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    return value


def finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise Rejected(Reason.NOT_FINITE, f"{what} is {value}")
    return value
