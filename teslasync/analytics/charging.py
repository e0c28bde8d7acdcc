"""Charging sessions.

When is a car charging?
- A car that sends `DetailedChargeState` (typed firmware): while it is `Starting` or `Charging`.
- Otherwise the legacy `ChargeState` words are not enough (a DC session can read `Idle` throughout, and a
  plugged-in car preconditioning from the wall reads `Enable`, draws 4-5 kW and even shows its counters and
  state of charge jump, without charging). A session is open while `FastChargerPresent` is true, or while
  `ChargeState` is `Startup` or `Enable`; it is kept only if current flowed into the pack (`PackCurrent`
  above 1 A) or, for a car that sends no pack current, the counters or charging power show energy.

Energy added is measured at the battery (`DCChargingEnergyIn`, valid for AC and DC charging); energy from
the wall by the AC charger (`ACChargingEnergyIn`, AC sessions only). Counters are summed by their rises from
the last value known before the session (0 when none is known: the car restarts them per session); a
sharp fall is a counter reset, and small wobbles are noise. After the session ends the counters get
`settle` (60 s) to report their last value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from teslasync.analytics.samples import Sample, number, position

CHARGING_STATES = frozenset({"Starting", "Charging"})
LEGACY_CHARGING_WORDS = frozenset({"Startup", "Enable"})
MIN_AC_POWER_KW = 0.5
MIN_PACK_CURRENT_A = 1.0
MIN_ENERGY_KWH = 0.01
COUNTER_FIELDS = ("DCChargingEnergyIn", "ACChargingEnergyIn")


@dataclass
class Counter:
    """Energy accumulated by one of the car's session counters."""

    last: float | None
    total: float = 0.0

    def add(self, value: float) -> None:
        if self.last is None:
            self.total += value
        elif value >= self.last:
            self.total += value - self.last
        elif value < self.last * 0.5 and self.last - value > 0.5:
            self.total += value  # reset: a new count from zero
        self.last = value  # a small fall is noise: follow it without counting


@dataclass(frozen=True)
class CurvePoint:
    ts: datetime
    battery_level: float | None
    power_kw: float


@dataclass(frozen=True)
class ChargingSession:
    started_at: datetime
    ended_at: datetime | None  # None: still charging when the data ends
    charger_type: str  # "AC" or "DC"
    fast_charger_type: str | None
    energy_added_kwh: float | None
    energy_from_wall_kwh: float | None
    max_power_kw: float | None
    start_battery_level: float | None
    end_battery_level: float | None
    start_rated_range_km: float | None
    end_rated_range_km: float | None
    position: tuple[float, float] | None
    curve: tuple[CurvePoint, ...]

    @property
    def duration_s(self) -> float | None:
        return (self.ended_at - self.started_at).total_seconds() if self.ended_at else None

    @property
    def avg_power_kw(self) -> float | None:
        if self.energy_added_kwh is None or not self.duration_s:
            return None
        return self.energy_added_kwh / (self.duration_s / 3600)


@dataclass
class _Open:
    started_at: datetime
    start: dict[str, Any]
    counters: dict[str, Counter]
    dc: bool = False
    max_power: float | None = None
    ac_power_seen: bool = False
    curve: list[CurvePoint] = field(default_factory=list)
    ending_at: datetime | None = None
    at_end: dict[str, Any] = field(default_factory=dict)
    fast_type: str | None = None
    pack_current_seen: bool = False
    pack_charged: bool = False


class ChargingDetector:
    def __init__(self, *, settle: timedelta = timedelta(seconds=60)) -> None:
        self.settle = settle
        self.latest: dict[str, Any] = {}
        self.typed = False  # the car sends DetailedChargeState
        self._open: _Open | None = None

    def feed(self, sample: Sample) -> list[ChargingSession]:
        closed = self.flush(sample.ts)
        session = self._open
        if session is not None:
            self._observe(session, sample)
        self.latest[sample.field] = sample.value
        if sample.field == "DetailedChargeState" and sample.value is not None:
            self.typed = True
        charging = self._charging()
        if charging and (session is None or session.ending_at is not None):
            if session is not None:
                closed += self._close()
            self._begin(sample.ts)
        elif not charging and session is not None and session.ending_at is None:
            session.ending_at, session.at_end = sample.ts, dict(self.latest)
        return closed

    def flush(self, now: datetime) -> list[ChargingSession]:
        session = self._open
        if session is not None and session.ending_at is not None and now - session.ending_at > self.settle:
            return self._close()
        return []

    def charging_now(self) -> bool:
        """A session is open and energy is known to flow (for a legacy car: the pack current says so)."""
        session = self._open
        if session is None or session.ending_at is not None:
            return False
        return self.typed or self._flowed(session)

    def open_since(self) -> datetime | None:
        return self._open.started_at if self._open is not None else None

    def ongoing(self) -> ChargingSession | None:
        """The session still charging when the data ends, as it stands."""
        session = self._open
        if session is None or session.ending_at is not None:
            return None
        return self._session(session, ended_at=None, end=self.latest)

    def _charging(self) -> bool:
        if self.typed:
            return self.latest.get("DetailedChargeState") in CHARGING_STATES
        return (
            self.latest.get("FastChargerPresent") is True
            or self.latest.get("ChargeState") in LEGACY_CHARGING_WORDS
        )

    def _begin(self, ts: datetime) -> None:
        counters = {name: Counter(number(self.latest.get(name))) for name in COUNTER_FIELDS}
        self._open = _Open(started_at=ts, start=dict(self.latest), counters=counters)
        self._open.dc = self.latest.get("FastChargerPresent") is True
        fast_type = self.latest.get("FastChargerType")
        self._open.fast_type = fast_type if isinstance(fast_type, str) else None

    def _observe(self, session: _Open, sample: Sample) -> None:
        value = number(sample.value)
        if sample.field in COUNTER_FIELDS and value is not None:
            session.counters[sample.field].add(value)
            return
        if session.ending_at is not None:
            return  # settling: only the counters' last values still count
        if sample.field == "FastChargerPresent" and sample.value is True:
            session.dc = True
        elif sample.field == "FastChargerType" and isinstance(sample.value, str):
            session.fast_type = sample.value
        elif sample.field == "PackCurrent" and value is not None:
            session.pack_current_seen = True
            session.pack_charged = session.pack_charged or value > MIN_PACK_CURRENT_A
        elif sample.field in ("ACChargingPower", "DCChargingPower") and value is not None:
            if sample.field == "DCChargingPower" and value > 0:
                session.dc = True
            if sample.field == "ACChargingPower" and value > MIN_AC_POWER_KW:
                session.ac_power_seen = True
            session.max_power = value if session.max_power is None else max(session.max_power, value)
            level = number(self.latest.get("BatteryLevel", self.latest.get("Soc")))
            session.curve.append(CurvePoint(sample.ts, level, value))

    def _close(self) -> list[ChargingSession]:
        session, self._open = self._open, None
        assert session is not None and session.ending_at is not None
        result = self._session(session, ended_at=session.ending_at, end=session.at_end)
        return [result] if result is not None else []

    @staticmethod
    def _flowed(session: _Open) -> bool:
        if session.pack_current_seen:
            return session.pack_charged
        added = session.counters["DCChargingEnergyIn"].total
        from_wall = session.counters["ACChargingEnergyIn"].total
        return (
            session.ac_power_seen
            or from_wall >= MIN_ENERGY_KWH
            or (session.dc and (added >= MIN_ENERGY_KWH or (session.max_power or 0) > 0))
        )

    def _session(
        self, session: _Open, ended_at: datetime | None, end: dict[str, Any]
    ) -> ChargingSession | None:
        added = session.counters["DCChargingEnergyIn"].total
        from_wall = session.counters["ACChargingEnergyIn"].total
        if not self.typed and not self._flowed(session):
            return None  # plugged in (or preconditioning) without charging
        seen_dc_counter = session.counters["DCChargingEnergyIn"].last is not None
        seen_ac_counter = session.counters["ACChargingEnergyIn"].last is not None
        return ChargingSession(
            started_at=session.started_at,
            ended_at=ended_at,
            charger_type="DC" if session.dc else "AC",
            fast_charger_type=session.fast_type if session.dc else None,
            energy_added_kwh=added if seen_dc_counter else None,
            energy_from_wall_kwh=from_wall if seen_ac_counter and not session.dc else None,
            max_power_kw=session.max_power,
            start_battery_level=number(session.start.get("BatteryLevel")),
            end_battery_level=number(end.get("BatteryLevel")),
            start_rated_range_km=number(session.start.get("RatedRange")),
            end_rated_range_km=number(end.get("RatedRange")),
            position=position(session.start.get("Location")),
            curve=tuple(session.curve),
        )


def detect_charging_sessions(samples: list[Sample], **options: Any) -> list[ChargingSession]:
    """Every session in `samples` (one vehicle, time order), the one still charging at the end included."""
    detector = ChargingDetector(**options)
    sessions = [session for sample in samples for session in detector.feed(sample)]
    ongoing = detector.ongoing()
    if samples:
        sessions += detector.flush(samples[-1].ts + detector.settle + timedelta(seconds=1))
    return [*sessions, ongoing] if ongoing is not None else sessions
