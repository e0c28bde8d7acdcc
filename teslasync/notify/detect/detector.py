"""One vehicle's event detector: the latest value per field in, notifiable events out.

Fed in time order with the vehicle's samples (`observe`), its derived state changes (`observe_state`) and the
alerts it reports (`observe_alert`), and ticked by a clock (`tick`) for conditions that must last a while.
It keeps the latest valid value of the few fields it reads (bounded memory), never the history.

Ordering: a sample older than the newest sample seen, or no newer than the last one of its field, is
ignored (out of order or redelivered; the fields of one record share a time and may come in any order). The
clock `tick` advances is separate, so a wall clock ahead of the car's never rejects its data. A sample
without a valid value (None) changes nothing: the last valid value stands (the car reports no gear
while asleep and no tyre pressures when it sets off).

The first value seen of a field only sets the baseline, so a restart never re-announces what was already so:
an edge (charging started, Sentry Mode aware, an update offered, a tyre going low) needs a known value before
it. A car found unlocked or with a door open is different: a condition that must last is timed from when it
was first seen, so it is told once it has lasted the full time (from `seed`, the stored value's time). `seed`
feeds the latest stored values without telling anything; what falls due afterwards gets the key it would
have had before the restart, so the notifier's dedup drops what was already sent.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from teslasync.analytics.samples import Sample, number
from teslasync.notify.detect import messages
from teslasync.notify.detect.charging import CHARGE_LEVEL_FIELDS, CHARGE_STATE_FIELDS, ChargeTracker
from teslasync.notify.detect.periods import Period
from teslasync.notify.detect.readings import (
    PRESSURE_FIELDS,
    SENTRY_LEVELS,
    TPMS_WARNING_FIELDS,
    TYRE_LABELS,
    WINDOW_LABELS,
    enum_word,
    open_doors,
    parked,
    version,
    warned_tyres,
    window_open,
)
from teslasync.notify.detect.settings import DetectorSettings
from teslasync.notify.events import Event, EventKind

FIELDS = frozenset(
    {
        "FastChargerPresent",
        "Gear",
        "Locked",
        "DriverSeatOccupied",
        "DoorState",
        "SentryMode",
        "SoftwareUpdateVersion",
        "Version",
        *CHARGE_STATE_FIELDS,
        *CHARGE_LEVEL_FIELDS,
        *WINDOW_LABELS,
        *PRESSURE_FIELDS,
        *TPMS_WARNING_FIELDS,
    }
)
MAX_ALERTS_REMEMBERED = 256
MAX_VERSIONS_REMEMBERED = 8
_LOW, _OK, _BETWEEN = "low", "ok", "between"


@dataclass(slots=True)
class _Latest:
    ts: datetime  # the newest sample of the field, one without a valid value included
    value: Any  # the last valid value (None: none yet)


class VehicleDetector:
    def __init__(self, vin: str, thresholds: DetectorSettings | None = None) -> None:
        self.vin = vin
        self.settings = thresholds or DetectorSettings()
        self._latest: dict[str, _Latest] = {}
        self._clock: datetime | None = None  # the latest time known: samples, states, ticks
        self._newest: datetime | None = None  # the newest sample: an older one comes out of order
        self._state: str | None = None
        self._state_at: datetime | None = None
        self._seeding = False
        self._charging = ChargeTracker(vin, self.settings, self._value)
        self._sentry_told: datetime | None = None
        self._versions_told: deque[str] = deque(maxlen=MAX_VERSIONS_REMEMBERED)
        self._tyres_low: dict[str, bool] = {}
        self._alerts_seen: OrderedDict[str, None] = OrderedDict()
        self._unlocked, self._doors, self._windows = Period(), Period(), Period()

    # --- what comes in ---------------------------------------------------------------------------

    def observe(self, samples: Iterable[Sample]) -> list[Event]:
        """Samples of this vehicle, in time order."""
        events: list[Event] = []
        for sample in samples:
            events += self._observe_one(sample)
        return events

    def observe_state(self, state: str, at: datetime) -> list[Event]:
        """A derived state change (`analytics.states.State`): parked or driving, and for a car without
        DetailedChargeState, when it charges."""
        if self._state_at is not None and at < self._state_at:
            return []
        now = self._advance(at)
        events = self._due(now)  # what lasted long enough under the old state
        old, self._state, self._state_at = self._state, str(state), at
        if old != self._state:
            events += self._charging.on_state(old, self._state, at)
        self._update_periods(at)
        return events + self._due(now)

    def observe_alert(self, name: str, at: datetime, doc: object = None) -> list[Event]:
        """An alert the car reported (a `vehicle_events` row of kind "alert": name, start time, document).
        Told once per name and start: the MQTT history topic repeats every alert of a name."""
        key = messages.dedup_key(EventKind.VEHICLE_ALERT, self.vin, name, at)
        if key in self._alerts_seen:
            self._alerts_seen.move_to_end(key)
            return []
        self._alerts_seen[key] = None
        if len(self._alerts_seen) > MAX_ALERTS_REMEMBERED:
            self._alerts_seen.popitem(last=False)
        return [] if self._seeding else [messages.vehicle_alert(self.vin, name, at, doc)]

    def tick(self, now: datetime) -> list[Event]:
        """What has lasted long enough by `now` (a car left unlocked, a door open)."""
        return self._due(self._advance(now))

    def seed(self, samples: Iterable[Sample], state: tuple[str, datetime] | None = None) -> None:
        """What was known before this detector started, telling nothing: the latest stored values and the
        current state with its start (`analytics.states.StateSpan`'s state and started_at)."""
        ordered = sorted(samples, key=lambda item: item.ts)
        before = [sample for sample in ordered if state is None or sample.ts < state[1]]
        self._seeding = True
        try:
            self.observe(before)
            if state is not None:
                self.observe_state(*state)
            self.observe(ordered[len(before) :])
        finally:
            self._seeding = False

    # --- samples ---------------------------------------------------------------------------------

    def _observe_one(self, sample: Sample) -> list[Event]:
        if sample.field not in FIELDS:
            if self._newest is None or sample.ts > self._newest:
                self._newest = sample.ts
            return self._due(self._advance(sample.ts))
        known = self._latest.get(sample.field)
        if (self._newest is not None and sample.ts < self._newest) or (
            known is not None and sample.ts <= known.ts
        ):
            return []  # out of order, or delivered again
        self._newest = sample.ts
        now = self._advance(sample.ts)
        events = self._due(now)  # what lasted long enough before this value, even if it ends it
        if sample.value is None:
            if known is not None:
                known.ts = sample.ts
            return events
        previous = known.value if known is not None else None
        self._latest[sample.field] = _Latest(sample.ts, sample.value)
        events += self._react(sample.field, previous, sample.ts)
        self._update_periods(sample.ts)
        return events + self._due(now)

    def _react(self, field: str, previous: Any, ts: datetime) -> list[Event]:
        """The edges one field's new value may make (charging phases, Sentry Mode, updates, tyres)."""
        if field in CHARGE_STATE_FIELDS:
            return self._charging.on_charge_state(field, ts)
        if field in CHARGE_LEVEL_FIELDS:
            return self._charging.on_level(ts)
        if field == "SentryMode" and previous is not None:
            return self._sentry(previous, ts)
        if field == "SoftwareUpdateVersion":
            return self._software(first=previous is None, ts=ts)
        if field in PRESSURE_FIELDS or field in TPMS_WARNING_FIELDS:
            return self._tyres(ts)
        return []

    def _value(self, field: str) -> Any:
        known = self._latest.get(field)
        return known.value if known is not None else None

    def _advance(self, ts: datetime) -> datetime:
        if self._clock is None or ts > self._clock:
            self._clock = ts
        return self._clock

    # --- Sentry Mode, software updates, tyres ----------------------------------------------------

    def _sentry(self, previous: Any, ts: datetime) -> list[Event]:
        """Sentry Mode rises to Aware or Panic. A new Aware soon after the last one told is noise (a busy car
        park); an alarm (Panic) is always told."""
        level = enum_word(self._value("SentryMode")) or ""
        severity = SENTRY_LEVELS.get(level, 0)
        if severity <= SENTRY_LEVELS.get(enum_word(previous) or "", 0):
            return []
        told = self._sentry_told
        if (
            level == "Aware"
            and told is not None
            and (ts - told).total_seconds() < self.settings.sentry_repeat_s
        ):
            return []
        self._sentry_told = ts
        return [messages.sentry_alert(self.vin, ts, level)]

    def _software(self, *, first: bool, ts: datetime) -> list[Event]:
        """Once per version: an update is offered that is not the version installed."""
        offered = version(self._value("SoftwareUpdateVersion"))
        if offered is None or offered in self._versions_told:
            return []
        self._versions_told.append(offered)
        installed = version(self._value("Version"))
        if first or offered == installed:
            return []
        return [messages.software_update(self.vin, ts, offered, installed)]

    def _tyres(self, ts: datetime) -> list[Event]:
        """A tyre goes low (below the threshold, or flagged by the car's TPMS); told again only after it has
        recovered above the threshold plus the hysteresis, with no flag."""
        soft = warned_tyres(self._value("TpmsSoftWarnings"))
        hard = warned_tyres(self._value("TpmsHardWarnings"))
        events = []
        for tyre in TYRE_LABELS:
            pressure = number(self._value(f"TpmsPressure{tyre}"))
            warning = "hard" if hard and tyre in hard else "soft" if soft and tyre in soft else None
            status = self._tyre_status(pressure, warning, flags_known=soft is not None or hard is not None)
            was_low = self._tyres_low.get(tyre)
            if status == _LOW:
                self._tyres_low[tyre] = True
                if was_low is False:
                    threshold = self.settings.tyre_low_bar
                    events.append(messages.tyre_low(self.vin, ts, tyre, pressure, threshold, warning))
            elif status == _OK or (status == _BETWEEN and was_low is None):
                self._tyres_low[tyre] = False
        return events

    def _tyre_status(self, pressure: float | None, warning: str | None, *, flags_known: bool) -> str | None:
        low = self.settings.tyre_low_bar
        if warning is not None or (pressure is not None and pressure < low):
            return _LOW
        if pressure is None:
            return _OK if flags_known else None
        return _OK if pressure >= low + self.settings.tyre_recover_bar else _BETWEEN

    # --- conditions that must last ---------------------------------------------------------------

    def _open_windows(self) -> dict[str, str]:
        partly = self.settings.partly_open_windows
        return {
            name: enum_word(self._value(name)) or ""
            for name in WINDOW_LABELS
            if window_open(self._value(name), partly_counts=partly)
        }

    def _update_periods(self, at: datetime) -> None:
        """Unlocked / a door open / a window open, and whether that counts (parked; nobody in the driver's
        seat, for the lock: DriverSeatOccupied is the one presence field the car reports)."""
        is_parked = parked(self._value("Gear"), self._state)
        occupied = self._value("DriverSeatOccupied") is True
        self._unlocked.update(self._value("Locked") is False, is_parked and not occupied, at)
        self._doors.update(bool(open_doors(self._value("DoorState"))), is_parked, at)
        self._windows.update(bool(self._open_windows()), is_parked, at)

    def _due(self, now: datetime) -> list[Event]:
        if self._seeding:
            return []
        settings, events = self.settings, []
        if (at := self._unlocked.due(now, settings.unlocked_after_s)) is not None:
            events.append(messages.left_unlocked(self.vin, at, self._unlocked.mark_told()))
        if (at := self._doors.due(now, settings.open_after_s)) is not None:
            doors = open_doors(self._value("DoorState"))
            events.append(messages.doors_open(self.vin, at, self._doors.mark_told(), doors))
        if (at := self._windows.due(now, settings.open_after_s)) is not None:
            events.append(
                messages.windows_open(self.vin, at, self._windows.mark_told(), self._open_windows())
            )
        return events
