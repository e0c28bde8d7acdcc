"""Drives: from the gear leaving P (or, for a car that sends no gear, speed above zero) to P.

- A drive stays open through R and N (manoeuvring is part of the drive).
- A car that goes silent mid-drive holds the drive open for `offline_grace` (15 minutes); then it is closed
  at its last sample.
- After P, the drive waits `settle` (60 s) of the car's time for the odometer and position the car sends a
  moment later (on their own intervals), or until the next drive starts. Battery, range and energy end
  values are those known at P: a car that starts charging right after parking must not lend the drive
  the energy it gains.
- Start values are the latest known when the drive started, those sent at that same instant included.
- Tiny drives (fewer than 2 positions, or under 10 m) are discarded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from teslasync.analytics.samples import Sample, distance_km, number, position

MOVING_GEARS = frozenset({"D", "R", "N"})
SETTLING_FIELDS = frozenset({"Odometer", "Location"})
MIN_DISTANCE_KM = 0.010
# Without gear data a stop ends the drive once the speed has stayed at zero this long.
STOPPED_FOR = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class TrackPoint:
    ts: datetime
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Drive:
    started_at: datetime
    ended_at: datetime
    closed_by: str  # "park", "stop" (no gear data) or "offline"
    start_position: tuple[float, float] | None
    end_position: tuple[float, float] | None
    start_odometer_km: float | None
    end_odometer_km: float | None
    distance_km: float
    max_speed_kmh: float | None
    start_battery_level: float | None
    end_battery_level: float | None
    start_rated_range_km: float | None
    end_rated_range_km: float | None
    energy_used_kwh: float | None
    outside_temp_avg_c: float | None
    track: tuple[TrackPoint, ...]

    @property
    def duration_s(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def avg_speed_kmh(self) -> float | None:
        hours = self.duration_s / 3600
        return self.distance_km / hours if hours > 0 else None

    @property
    def consumption_wh_per_km(self) -> float | None:
        if self.energy_used_kwh is None or self.distance_km <= 0:
            return None
        return self.energy_used_kwh * 1000 / self.distance_km


@dataclass
class _Open:
    started_at: datetime
    start: dict[str, Any]
    last_at: datetime
    track: list[TrackPoint] = field(default_factory=list)
    max_speed: float | None = None
    temps: list[float] = field(default_factory=list)
    ending_at: datetime | None = None
    at_end: dict[str, Any] = field(default_factory=dict)
    closed_by: str = "park"
    stopped_since: datetime | None = None


class DriveDetector:
    def __init__(
        self,
        *,
        offline_grace: timedelta = timedelta(minutes=15),
        settle: timedelta = timedelta(seconds=60),
    ) -> None:
        self.offline_grace = offline_grace
        self.settle = settle
        self.latest: dict[str, Any] = {}
        self.has_gear = False
        self._open: _Open | None = None
        self.last_closed_at: datetime | None = None  # the end of the last drive closed, kept or not

    def feed(self, sample: Sample) -> list[Drive]:
        """Take the next sample (in time order); returns the drives this sample closed."""
        closed = self.flush(sample.ts)
        drive = self._open
        if drive is not None and drive.ending_at is None:
            self._track(drive, sample)
        elif drive is not None and sample.field in (
            "Odometer",
            "Location",
            "BatteryLevel",
            "RatedRange",
            "EnergyRemaining",
        ):
            self._track(drive, sample)  # an end value arriving while the drive settles
        self.latest[sample.field] = sample.value
        if drive is not None and sample.ts == drive.started_at:
            drive.start[sample.field] = sample.value  # sent with the gear change: a start value too
        if sample.field == "Gear" and sample.value is not None:
            self.has_gear = True
            closed += self._gear(sample.ts, sample.value)
        elif sample.field == "VehicleSpeed" and not self.has_gear:
            closed += self._speed(sample.ts, number(sample.value))
        return closed

    def driving_now(self) -> bool:
        return self._open is not None and self._open.ending_at is None

    def open_since(self) -> datetime | None:
        return self._open.started_at if self._open is not None else None

    def ending_at(self) -> datetime | None:
        return self._open.ending_at if self._open is not None else None

    def flush(self, now: datetime) -> list[Drive]:
        """Close what the clock says is over: a settled drive, or one whose car went silent."""
        drive = self._open
        if drive is None:
            return []
        if drive.ending_at is not None and now - drive.ending_at > self.settle:
            return self._close()
        if drive.ending_at is None and now - drive.last_at > self.offline_grace:
            self._end(drive, drive.last_at, "offline")
            return self._close()
        return []

    def _gear(self, ts: datetime, gear: Any) -> list[Drive]:
        closed: list[Drive] = []
        if gear in MOVING_GEARS:
            if self._open is not None and self._open.ending_at is not None:
                closed = self._close()  # a new drive begins before the last one settled
            if self._open is None:
                self._begin(ts)
        elif gear == "P" and self._open is not None and self._open.ending_at is None:
            self._end(self._open, ts, "park")
        return closed

    def _speed(self, ts: datetime, speed: float | None) -> list[Drive]:
        closed: list[Drive] = []
        drive = self._open
        if speed is not None and speed > 0:
            if drive is not None and drive.ending_at is not None:
                closed = self._close()
                drive = None
            if drive is None:
                self._begin(ts)
            else:
                drive.stopped_since = None
        elif drive is not None and drive.ending_at is None:
            drive.stopped_since = drive.stopped_since or ts
            if ts - drive.stopped_since >= STOPPED_FOR:
                self._end(drive, drive.stopped_since, "stop")
        return closed

    def _end(self, drive: _Open, ts: datetime, why: str) -> None:
        drive.ending_at, drive.closed_by, drive.at_end = ts, why, dict(self.latest)

    def _begin(self, ts: datetime) -> None:
        self._open = _Open(started_at=ts, start=dict(self.latest), last_at=ts)

    @staticmethod
    def _track(drive: _Open, sample: Sample) -> None:
        drive.last_at = sample.ts
        if sample.field == "Location" and (point := position(sample.value)) is not None:
            drive.track.append(TrackPoint(sample.ts, *point))
        elif sample.field == "VehicleSpeed" and (speed := number(sample.value)) is not None:
            drive.max_speed = speed if drive.max_speed is None else max(drive.max_speed, speed)
        elif sample.field == "OutsideTemp" and (temp := number(sample.value)) is not None:
            drive.temps.append(temp)

    def _close(self) -> list[Drive]:
        drive, self._open = self._open, None
        assert drive is not None and drive.ending_at is not None
        self.last_closed_at = drive.ending_at
        end = {**drive.at_end, **{name: self.latest.get(name) for name in SETTLING_FIELDS}}
        start_position = position(drive.start.get("Location"))
        positions = [p for p in [start_position, *((t.latitude, t.longitude) for t in drive.track)] if p]
        start_odometer, end_odometer = number(drive.start.get("Odometer")), number(end.get("Odometer"))
        if start_odometer is not None and end_odometer is not None and end_odometer >= start_odometer:
            distance = end_odometer - start_odometer
        else:
            distance = sum(distance_km(a, b) for a, b in pairwise(positions))
        if len(positions) < 2 or distance < MIN_DISTANCE_KM:
            return []
        return [
            Drive(
                started_at=drive.started_at,
                ended_at=drive.ending_at,
                closed_by=drive.closed_by,
                start_position=start_position or (positions[0] if positions else None),
                end_position=positions[-1] if positions else None,
                start_odometer_km=start_odometer,
                end_odometer_km=end_odometer,
                distance_km=distance,
                max_speed_kmh=drive.max_speed,
                start_battery_level=number(drive.start.get("BatteryLevel")),
                end_battery_level=number(end.get("BatteryLevel")),
                start_rated_range_km=number(drive.start.get("RatedRange")),
                end_rated_range_km=number(end.get("RatedRange")),
                energy_used_kwh=self._energy(drive.start, end),
                outside_temp_avg_c=sum(drive.temps) / len(drive.temps) if drive.temps else None,
                track=tuple(drive.track),
            )
        ]

    @staticmethod
    def _energy(start: dict[str, Any], end: dict[str, Any]) -> float | None:
        """From EnergyRemaining when the car sends it. Without it, energy is rated range lost times the
        car's efficiency factor as known when asked (`daily.drive_energy`), not fixed here."""
        before, after = number(start.get("EnergyRemaining")), number(end.get("EnergyRemaining"))
        if before is not None and after is not None:
            return before - after
        return None


def detect_drives(samples: list[Sample], **options: Any) -> list[Drive]:
    """Every drive in `samples` (one vehicle, time order), including one still settling at the end."""
    detector = DriveDetector(**options)
    drives = [drive for sample in samples for drive in detector.feed(sample)]
    if samples:
        drives += detector.flush(
            samples[-1].ts + max(detector.settle, detector.offline_grace) + timedelta(seconds=1)
        )
    return drives
