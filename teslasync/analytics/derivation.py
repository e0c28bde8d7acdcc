"""One vehicle's derivation: its samples, in (time, field) order, through the drive and charging detectors
and the state tracker. Live derivation and `teslasync recompute` both run this, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from teslasync.analytics.charging import ChargingDetector, ChargingSession
from teslasync.analytics.drives import Drive, DriveDetector
from teslasync.analytics.samples import Sample
from teslasync.analytics.states import CONNECTIVITY, State, StateSpan, StateTracker

# Fields that open a drive, a session or a state by themselves: a recompute that starts mid-history
# primes the detectors with the last value of every other field only.
STATE_FIELDS = frozenset(
    {
        "Gear",
        "VehicleSpeed",
        "DetailedChargeState",
        "ChargeState",
        "FastChargerPresent",
        "PackCurrent",
        CONNECTIVITY,
    }
)


@dataclass
class Derived:
    """What one step closed (drives, sessions, state spans) and whether the open state changed."""

    drives: list[Drive] = field(default_factory=list)
    sessions: list[ChargingSession] = field(default_factory=list)
    spans: list[StateSpan] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.drives or self.sessions or self.spans)

    def add(self, other: Derived) -> None:
        self.drives += other.drives
        self.sessions += other.sessions
        self.spans += other.spans


class VehicleDerivation:
    def __init__(self) -> None:
        self.drives = DriveDetector()
        self.charging = ChargingDetector()
        self.states = StateTracker()
        self.cursor: tuple[datetime, str] | None = None
        self.final_before: datetime | None = None  # a flush closed records on what came before this

    def prime(self, sample: Sample) -> None:
        """What was known before the derivation starts (never a state-changing field)."""
        if sample.field not in STATE_FIELDS:
            self.drives.feed(sample)
            self.charging.feed(sample)
            self.states.observe(sample)

    def accepts(self, sample: Sample) -> bool:
        """Whether `sample` comes after everything fed so far (else the derivation must be rebuilt)."""
        if self.final_before is not None and sample.ts < self.final_before:
            return False
        return self.cursor is None or (sample.ts, sample.field) > self.cursor

    def feed(self, sample: Sample) -> Derived:
        derived = self.flush(sample.ts)
        if sample.field != CONNECTIVITY:
            derived.drives += self.drives.feed(sample)
            derived.sessions += self.charging.feed(sample)
        self.states.observe(sample)
        derived.spans += self._settle(sample.ts)
        self.cursor = (sample.ts, sample.field)
        return derived

    def flush(self, now: datetime) -> Derived:
        """Close what the clock says is over (a settled drive or session, a car silent mid-drive)."""
        driving, ending_at = self.drives.driving_now(), self.drives.ending_at()
        derived = Derived(self.drives.flush(now), self.charging.flush(now))
        if driving and not self.drives.driving_now():
            # closed for silence (kept or discarded as tiny): the drive ended at its last sample
            last = derived.drives[-1].ended_at if derived.drives else self.drives.last_closed_at
            self.states.connected = False  # the car went silent mid-drive: it is offline
            derived.spans += self._settle(last or ending_at or now)
        if derived and (self.final_before is None or now > self.final_before):
            self.final_before = now
        return derived

    def _settle(self, ts: datetime) -> list[StateSpan]:
        at, ending_at = ts, self.drives.ending_at()
        if self.states.state is State.DRIVING and ending_at is not None and self.states.since is not None:
            at = min(max(ending_at, self.states.since), ts)  # the drive ended when it parked, known later
        return self.states.settle(
            at, driving=self.drives.driving_now(), charging=self.charging.charging_now()
        )

    def ongoing_session(self) -> ChargingSession | None:
        return self.charging.ongoing()

    def current_state(self) -> StateSpan | None:
        return self.states.current()

    def open_since(self) -> datetime | None:
        """The start of the earliest record still open: a rebuild must begin there."""
        starts = [
            start
            for start in (self.drives.open_since(), self.charging.open_since(), self.states.since)
            if start is not None
        ]
        return min(starts) if starts else None
