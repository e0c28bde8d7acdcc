"""Fleet Telemetry's record forms: protobuf-JSON `Payload` records (Redis dispatcher, logs, replay files)
and the MQTT dispatcher's topics. Parsing only; values are normalised later."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from teslasync.telemetry.catalogue import by_number
from teslasync.telemetry.model import JSON, Form, Observation, Reason, Rejected
from teslasync.vin import is_valid_vin

MAX_MESSAGE_BYTES = 1_000_000  # fleet-telemetry's own SizeLimit
MAX_FUTURE = timedelta(hours=1)
EARLIEST = datetime(2012, 1, 1, tzinfo=UTC)
# "02.01.2025 19:04:43 : #3[:57]: *** FT: {...}": the fixtures' (TeslaLogger's) log prefix
_LOG_PREFIX = re.compile(r"^[^{]*?\*\*\* FT:\s*")


@dataclass(frozen=True, slots=True)
class Record:
    """One `Payload`: the values of several fields at one exact time."""

    vin: str
    created_at: datetime
    is_resend: bool
    observations: list[Observation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Event:
    """A connectivity change, an alert or an error reported by the car."""

    vin: str
    kind: str  # "connectivity", "alert", "error"
    name: str
    ts: datetime
    doc: JSON


def parse_time(value: JSON, now: datetime | None = None) -> datetime:
    if not isinstance(value, str):
        raise Rejected(Reason.BAD_TIMESTAMP, "a timestamp must be an RFC 3339 string")
    text = value.strip()
    # Python's fromisoformat takes at most microseconds; protobuf JSON carries up to nanoseconds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise Rejected(Reason.BAD_TIMESTAMP, f"cannot read timestamp {value[:40]!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return check_time(stamp.astimezone(UTC), now)


def check_time(stamp: datetime, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    if stamp > now + MAX_FUTURE:
        raise Rejected(Reason.FUTURE_TIMESTAMP, f"{stamp.isoformat()} is in the future")
    if stamp < EARLIEST:
        raise Rejected(Reason.BAD_TIMESTAMP, f"{stamp.isoformat()} is before Fleet Telemetry existed")
    return stamp


def check_vin(vin: JSON) -> str:
    if not isinstance(vin, str) or not is_valid_vin(vin.strip().upper()):
        raise Rejected(Reason.BAD_VIN, f"not a 17-character VIN: {str(vin)[:40]!r}")
    return vin.strip().upper()


def load_json(payload: bytes | str) -> JSON:
    if len(payload) > MAX_MESSAGE_BYTES:
        raise Rejected(Reason.TOO_LARGE, f"{len(payload)} bytes is over the 1 MB limit")
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(Reason.NOT_JSON, "not valid JSON") from None


def strip_log_prefix(line: str) -> str:
    return _LOG_PREFIX.sub("", line, count=1)


def _field_name(key: JSON) -> str:
    if isinstance(key, str) and key:
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        known = by_number(key)
        return known.name if known is not None else f"Field{key}"
    raise Rejected(Reason.BAD_SHAPE, "a datum needs a key")


def parse_payload(document: JSON, *, vin_hint: str | None = None, now: datetime | None = None) -> Record:
    """A protobuf-JSON `Payload` ({data: [{key, value}], createdAt, vin, isResend})."""
    if not isinstance(document, dict) or not isinstance(document.get("data", []), list):
        raise Rejected(Reason.BAD_SHAPE, "a record is an object with a 'data' list")
    vin = check_vin(document.get("vin") or vin_hint)
    created_at = parse_time(document.get("createdAt"), now)
    record = Record(vin=vin, created_at=created_at, is_resend=bool(document.get("isResend", False)))
    for datum in document.get("data", []):
        if not isinstance(datum, dict) or "value" not in datum:
            raise Rejected(Reason.BAD_SHAPE, "a datum is an object with 'key' and 'value'")
        record.observations.append(
            Observation(
                vin=vin,
                field=_field_name(datum.get("key")),
                raw=datum["value"],
                form=Form.TYPED,
                ts=created_at,
            )
        )
    return record


def parse_record_line(line: str, now: datetime | None = None) -> Record:
    """One line of a replay file: a JSON `Payload`, optionally behind the fixtures' log prefix."""
    return parse_payload(load_json(strip_log_prefix(line.strip())), now=now)


@dataclass(frozen=True, slots=True)
class Topic:
    vin: str
    kind: str  # "v", "alerts", "errors", "connectivity"
    name: str  # field, alert or error name ("" for connectivity)
    variant: str = ""  # "current" or "history" for alerts


def parse_topic(topic: str, base: str) -> Topic:
    """`<base>/<VIN>/v/<Field>`, `<base>/<VIN>/alerts/<name>/current|history`, `<base>/<VIN>/errors/<name>`,
    `<base>/<VIN>/connectivity`."""
    prefix = base.rstrip("/") + "/"
    if not topic.startswith(prefix):
        raise Rejected(Reason.UNKNOWN_TOPIC, f"topic outside {prefix!r}")
    parts = topic[len(prefix) :].split("/")
    if len(parts) < 2:
        raise Rejected(Reason.UNKNOWN_TOPIC, f"cannot read topic {topic[:120]!r}")
    vin = check_vin(parts[0])
    kind, rest = parts[1], parts[2:]
    if kind == "v" and len(rest) == 1 and rest[0]:
        return Topic(vin, "v", rest[0])
    if kind == "alerts" and len(rest) == 2 and rest[0] and rest[1] in ("current", "history"):
        return Topic(vin, "alerts", rest[0], rest[1])
    if kind == "errors" and len(rest) == 1 and rest[0]:
        return Topic(vin, "errors", rest[0])
    if kind == "connectivity" and not rest:
        return Topic(vin, "connectivity", "")
    raise Rejected(Reason.UNKNOWN_TOPIC, f"cannot read topic {topic[:120]!r}")


def _event_time(document: JSON, key: str, fallback: datetime) -> datetime:
    if isinstance(document, dict) and document.get(key):
        return parse_time(document[key])
    return fallback


def mqtt_event(topic: Topic, document: JSON, received: datetime) -> list[Event]:
    """Alerts, errors and connectivity from the MQTT dispatcher's JSON (names come from the topic)."""
    if topic.kind == "connectivity":
        if not isinstance(document, dict) or document.get("Status") not in (
            "CONNECTED",
            "DISCONNECTED",
            "UNKNOWN",
        ):
            raise Rejected(Reason.BAD_SHAPE, "connectivity wants {Status: CONNECTED|DISCONNECTED}")
        return [
            Event(
                topic.vin,
                "connectivity",
                str(document["Status"]),
                _event_time(document, "CreatedAt", received),
                document,
            )
        ]
    if topic.kind == "alerts":
        alerts = document if topic.variant == "history" else [document]
        if not isinstance(alerts, list) or not all(isinstance(alert, dict) for alert in alerts):
            raise Rejected(Reason.BAD_SHAPE, "an alert is an object (history: a list of them)")
        return [
            Event(topic.vin, "alert", topic.name, _event_time(alert, "StartedAt", received), alert)
            for alert in alerts
        ]
    if not isinstance(document, dict):
        raise Rejected(Reason.BAD_SHAPE, "an error is an object")
    return [Event(topic.vin, "error", topic.name, _event_time(document, "CreatedAt", received), document)]


def record_events(kind: str, document: JSON, vin_hint: str | None = None) -> list[Event]:
    """Alerts, errors and connectivity records in protobuf-JSON form (Redis dispatcher)."""
    if not isinstance(document, dict):
        raise Rejected(Reason.BAD_SHAPE, f"a {kind} record is an object")
    vin = check_vin(document.get("vin") or vin_hint)
    if kind == "connectivity":
        status = document.get("status")
        if status not in ("CONNECTED", "DISCONNECTED", "UNKNOWN"):
            raise Rejected(Reason.BAD_SHAPE, "connectivity wants status CONNECTED|DISCONNECTED")
        return [Event(vin, "connectivity", str(status), parse_time(document.get("createdAt")), document)]
    items = document.get("alerts" if kind == "alerts" else "errors")
    if not isinstance(items, list):
        raise Rejected(Reason.BAD_SHAPE, f"a {kind} record has a list of {kind}")
    events = []
    for item in items:
        if not isinstance(item, dict) or not item.get("name"):
            raise Rejected(Reason.BAD_SHAPE, f"each of {kind} needs a name")
        stamp_key = "startedAt" if kind == "alerts" else "createdAt"
        stamp = parse_time(item.get(stamp_key) or document.get("createdAt"))
        events.append(Event(vin, "alert" if kind == "alerts" else "error", str(item["name"]), stamp, item))
    return events
