"""The states timeline: what the car was doing, from when to when.

One state at a time, by priority:
- `offline` / `asleep`: as the Fleet API's vehicle list says of a silent car (reported by the poller).
  Otherwise the stream reported DISCONNECTED, or the car went silent mid-drive (see drives):
  during or straight after a drive or a charge that is `offline` (the car lost its connection); otherwise
  `asleep` (a parked car disconnects to sleep). Any value or a CONNECTED report ends it.
- `driving`: a drive is open (gear out of P, or moving for a car without gear data).
- `charging`: energy is flowing into the pack (see `ChargingDetector.charging_now`).
- `updating`: a software update is installing: a version is pending, its download is complete and the
  installation has begun; it ends when the version clears or the installation reaches 100 %.
- `online`: anything else the car reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from teslasync.analytics.samples import Sample, number
from teslasync.db.repositories.derived import CONNECTIVITY as CONNECTIVITY  # the connectivity field


class State(StrEnum):
    ONLINE = "online"
    ASLEEP = "asleep"
    OFFLINE = "offline"
    DRIVING = "driving"
    CHARGING = "charging"
    UPDATING = "updating"


# connectivity reports: the stream's, and the Fleet API vehicle list's for a silent car (see poller)
LISTED = {"ASLEEP": State.ASLEEP, "OFFLINE": State.OFFLINE}
SILENT = frozenset({"DISCONNECTED", *LISTED})


@dataclass(frozen=True, slots=True)
class StateSpan:
    state: State
    started_at: datetime
    ended_at: datetime | None  # None: the current state


class StateTracker:
    def __init__(self) -> None:
        self.state: State | None = None
        self.since: datetime | None = None
        self.connected = True
        self.reported: str | None = None
        self._update: dict[str, object] = {}

    def observe(self, sample: Sample) -> None:
        """Take what a sample says about connectivity and software updates."""
        if sample.field == CONNECTIVITY:
            self.connected = sample.value not in SILENT
            self.reported = sample.value if isinstance(sample.value, str) else None
        else:
            self.connected = True
            if sample.field.startswith("SoftwareUpdate"):
                self._update[sample.field] = sample.value

    def updating(self) -> bool:
        version = self._update.get("SoftwareUpdateVersion")
        download = number(self._update.get("SoftwareUpdateDownloadPercentComplete"))
        install = number(self._update.get("SoftwareUpdateInstallationPercentComplete"))
        return (
            isinstance(version, str)
            and bool(version.strip())
            and download is not None
            and download >= 100
            and install is not None
            and 1 < install < 100
        )

    def settle(self, ts: datetime, *, driving: bool, charging: bool) -> list[StateSpan]:
        """Move to the state the latest facts give, at `ts`; returns the span this closed, if any."""
        if not self.connected and self.reported in LISTED:
            target = LISTED[self.reported]  # the Fleet API's vehicle list said so
        elif not self.connected:
            busy = driving or charging or self.state in (State.DRIVING, State.CHARGING, State.OFFLINE)
            target = State.OFFLINE if busy else State.ASLEEP
        elif driving:
            target = State.DRIVING
        elif charging:
            target = State.CHARGING
        elif self.updating():
            target = State.UPDATING
        else:
            target = State.ONLINE
        if target is self.state:
            return []
        if self.state is None or self.since is None or ts <= self.since:
            # a state that lasted no time at all is replaced, not kept as an empty span
            self.state, self.since = target, ts if self.since is None else max(ts, self.since)
            return []
        closed = StateSpan(self.state, self.since, ts)
        self.state, self.since = target, ts
        return [closed]

    def current(self) -> StateSpan | None:
        if self.state is None or self.since is None:
            return None
        return StateSpan(self.state, self.since, None)
