"""What can be notified: the kinds of event a user subscribes to, and one event as every channel sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class EventKind(StrEnum):
    CHARGE_STARTED = "charge_started"
    CHARGE_COMPLETE = "charge_complete"
    CHARGE_STOPPED_UNEXPECTEDLY = "charge_stopped_unexpectedly"
    CHARGE_LIMIT_REACHED = "charge_limit_reached"
    LEFT_UNLOCKED = "left_unlocked"
    SENTRY_ALERT = "sentry_alert"
    DOOR_OPEN_PARKED = "door_open_parked"
    WINDOW_OPEN_PARKED = "window_open_parked"
    VEHICLE_ALERT = "vehicle_alert"
    STREAM_STALE = "stream_stale"
    SOFTWARE_UPDATE_AVAILABLE = "software_update_available"
    TYRE_PRESSURE_LOW = "tyre_pressure_low"
    COMMAND_FAILED = "command_failed"
    AUTOMATION = "automation"  # a rule's notify action
    HELIX_SPEND_JUMP = "helix_spend_jump"  # for administrators: Helix spent far more today than usual
    TEST = "test"  # a channel's test send


@dataclass(frozen=True)
class Event:
    """One thing that happened. `dedup_key` is equal for events that say the same thing (the same alert of the
    same car, say), so a redelivered or re-detected event is sent once."""

    kind: EventKind
    vin: str | None
    at: datetime
    title: str
    body: str
    dedup_key: str
    data: Mapping[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "vin": self.vin,
            "at": self.at.isoformat(),
            "title": self.title,
            "body": self.body,
            "dedupKey": self.dedup_key,
            "data": dict(self.data),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, object]) -> Event:
        data = doc.get("data")
        return cls(
            kind=EventKind(str(doc["kind"])),
            vin=str(doc["vin"]) if doc.get("vin") is not None else None,
            at=datetime.fromisoformat(str(doc["at"])),
            title=str(doc["title"]),
            body=str(doc["body"]),
            dedup_key=str(doc["dedupKey"]),
            data=dict(data) if isinstance(data, Mapping) else {},
        )
