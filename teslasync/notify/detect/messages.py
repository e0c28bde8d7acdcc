"""Every event's title, body and dedup key, in one place, so wording and keys stay consistent.

A dedup key is `<kind>:<vin>:<what tells this occurrence apart>`, built only from the data (times of the
car's own samples, names, versions), never from the wall clock, so detecting the same occurrence again after
a restart or from a redelivered batch gives the same key. Bodies give numbers in metric units and times in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from teslasync.notify.detect.readings import DOOR_LABELS, STOP_REASONS, TYRE_LABELS, WINDOW_LABELS
from teslasync.notify.events import Event, EventKind


def dedup_key(kind: EventKind, vin: str, *parts: object) -> str:
    return ":".join([kind.value, vin, *(_part(part) for part in parts)])


def _part(part: object) -> str:
    return _iso(part) if isinstance(part, datetime) else str(part)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


def _when(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} %"


def _duration(seconds: float) -> str:
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _listing(labels: Iterable[str]) -> str:
    items = list(labels)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _limit(limit: float | None) -> str:
    return "" if limit is None else f" (limit {_pct(limit)})"


def charge_started(vin: str, at: datetime, level: float | None, limit: float | None, fast: bool) -> Event:
    what = "DC fast charging" if fast else "Charging"
    body = f"{what} started at {_pct(level)}{_limit(limit)}." if level is not None else f"{what} started."
    return Event(
        EventKind.CHARGE_STARTED,
        vin,
        at,
        "Charging started",
        body,
        dedup_key(EventKind.CHARGE_STARTED, vin, at),
        {"batteryLevel": level, "chargeLimit": limit, "fastCharger": fast, "sessionStartedAt": _iso(at)},
    )


def charge_complete(
    vin: str, at: datetime, session: datetime, level: float | None, limit: float | None
) -> Event:
    took = _duration((at - session).total_seconds())
    body = f"Charged to {_pct(level)}{_limit(limit)} in {took}."
    return Event(
        EventKind.CHARGE_COMPLETE,
        vin,
        at,
        "Charging complete",
        body,
        dedup_key(EventKind.CHARGE_COMPLETE, vin, session),
        {"batteryLevel": level, "chargeLimit": limit, "sessionStartedAt": _iso(session)},
    )


def charge_stopped(
    vin: str, at: datetime, session: datetime, phase: str, level: float | None, limit: float | None
) -> Event:
    reason = STOP_REASONS.get(phase, "charging stopped")
    body = f"Charging stopped at {_pct(level)}, below the {_pct(limit)} limit: {reason}."
    return Event(
        EventKind.CHARGE_STOPPED_UNEXPECTEDLY,
        vin,
        at,
        "Charging stopped",
        body,
        dedup_key(EventKind.CHARGE_STOPPED_UNEXPECTEDLY, vin, session),
        {
            "batteryLevel": level,
            "chargeLimit": limit,
            "chargeState": phase,
            "sessionStartedAt": _iso(session),
        },
    )


def charge_limit_reached(vin: str, at: datetime, session: datetime, level: float, limit: float) -> Event:
    return Event(
        EventKind.CHARGE_LIMIT_REACHED,
        vin,
        at,
        "Charge limit reached",
        f"Battery at {_pct(level)} (limit {_pct(limit)}).",
        dedup_key(EventKind.CHARGE_LIMIT_REACHED, vin, session),
        {"batteryLevel": level, "chargeLimit": limit, "sessionStartedAt": _iso(session)},
    )


def left_unlocked(vin: str, at: datetime, unlocked_at: datetime) -> Event:
    took = _duration((at - unlocked_at).total_seconds())
    return Event(
        EventKind.LEFT_UNLOCKED,
        vin,
        at,
        "Car left unlocked",
        f"Parked and unlocked for {took} (unlocked since {_when(unlocked_at)}).",
        dedup_key(EventKind.LEFT_UNLOCKED, vin, unlocked_at),
        {"unlockedAt": _iso(unlocked_at)},
    )


def sentry_alert(vin: str, at: datetime, level: str) -> Event:
    if level == "Panic":
        title, body = "Sentry Mode alarm", f"Sentry Mode sounded the alarm at {_when(at)}."
    else:
        title, body = "Sentry Mode alert", f"Sentry Mode noticed someone near the car at {_when(at)}."
    return Event(
        EventKind.SENTRY_ALERT,
        vin,
        at,
        title,
        body,
        dedup_key(EventKind.SENTRY_ALERT, vin, level, at),
        {"sentryMode": level},
    )


def doors_open(vin: str, at: datetime, opened_at: datetime, doors: tuple[str, ...]) -> Event:
    labels = [DOOR_LABELS[door] for door in doors]
    took = _duration((at - opened_at).total_seconds())
    return Event(
        EventKind.DOOR_OPEN_PARKED,
        vin,
        at,
        "Door open while parked",
        f"A door has been open for {took} while parked: {_listing(labels)}.",
        dedup_key(EventKind.DOOR_OPEN_PARKED, vin, opened_at),
        {"doors": list(doors), "openedAt": _iso(opened_at)},
    )


def windows_open(vin: str, at: datetime, opened_at: datetime, windows: Mapping[str, str]) -> Event:
    """`windows`: field name (FdWindow...) -> state (Opened, PartiallyOpen)."""
    labels = [
        WINDOW_LABELS[name] + (" (partly)" if state == "PartiallyOpen" else "")
        for name, state in windows.items()
    ]
    took = _duration((at - opened_at).total_seconds())
    return Event(
        EventKind.WINDOW_OPEN_PARKED,
        vin,
        at,
        "Window open while parked",
        f"A window has been open for {took} while parked: {_listing(labels)}.",
        dedup_key(EventKind.WINDOW_OPEN_PARKED, vin, opened_at),
        {"windows": dict(windows), "openedAt": _iso(opened_at)},
    )


def vehicle_alert(vin: str, name: str, started_at: datetime, doc: object) -> Event:
    fields = doc if isinstance(doc, Mapping) else {}
    audiences = fields.get("Audiences", fields.get("audiences"))
    audiences = [str(item) for item in audiences] if isinstance(audiences, list) else []
    ended = fields.get("EndedAt", fields.get("endedAt"))
    body = f"The car reported {name} at {_when(started_at)}"
    body += f" (for: {', '.join(audiences)})." if audiences else "."
    if isinstance(ended, str) and ended:
        body += " It has ended since."
    return Event(
        EventKind.VEHICLE_ALERT,
        vin,
        started_at,
        f"Vehicle alert: {name}",
        body,
        dedup_key(EventKind.VEHICLE_ALERT, vin, name, started_at),
        {"alert": name, "startedAt": _iso(started_at), "endedAt": ended or None, "audiences": audiences},
    )


def software_update(vin: str, at: datetime, offered: str, installed: str | None) -> Event:
    body = f"Version {offered} is available"
    body += f" (installed: {installed})." if installed else "."
    return Event(
        EventKind.SOFTWARE_UPDATE_AVAILABLE,
        vin,
        at,
        "Software update available",
        body,
        dedup_key(EventKind.SOFTWARE_UPDATE_AVAILABLE, vin, offered),
        {"version": offered, "installedVersion": installed},
    )


def tyre_low(
    vin: str, at: datetime, tyre: str, pressure: float | None, threshold: float, warning: str | None
) -> Event:
    """`warning`: "soft" or "hard" when the car itself flags the tyre, else None."""
    label = TYRE_LABELS[tyre]
    reading = f"{pressure:.2f} bar" if pressure is not None else "an unknown pressure"
    body = f"{_capital(label)} tyre at {reading} (alert below {threshold:.2f} bar)."
    if warning is not None:
        body += f" The car shows a {warning} TPMS warning."
    return Event(
        EventKind.TYRE_PRESSURE_LOW,
        vin,
        at,
        "Low tyre pressure",
        body,
        dedup_key(EventKind.TYRE_PRESSURE_LOW, vin, tyre, at),
        {"tyre": tyre, "pressureBar": pressure, "thresholdBar": threshold, "tpmsWarning": warning},
    )


def stream_stale_event(vin: str, last_seen: datetime, at: datetime) -> Event:
    """The car's stream has delivered nothing since `last_seen` (one event per silence: keyed by it)."""
    silent = _duration(max(0.0, (at - last_seen).total_seconds()))
    return Event(
        EventKind.STREAM_STALE,
        vin,
        at,
        "No data from the car",
        f"Nothing received since {_when(last_seen)} ({silent} ago).",
        dedup_key(EventKind.STREAM_STALE, vin, last_seen),
        {"lastSeenAt": _iso(last_seen)},
    )


def command_failed_event(vin: str, command: str, error: str, at: datetime) -> Event:
    """A command sent to the car failed (keyed by command and when it was sent: a retry is a new event)."""
    return Event(
        EventKind.COMMAND_FAILED,
        vin,
        at,
        f"Command failed: {command}",
        f"The car did not carry out {command} ({_when(at)}): {error}",
        dedup_key(EventKind.COMMAND_FAILED, vin, command, at),
        {"command": command, "error": error},
    )
