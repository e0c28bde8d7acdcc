"""Battery: the car's efficiency factor, usable capacity and degradation, and vampire drain.

Efficiency factor (TeslaMate's `recalculate_efficiency`): the energy the battery takes per km of rated range.
- Only charges lasting over 10 minutes, ending at <= 95 %, with energy added > 0 and rated range gained > 0
  count. Each gives energy added / range gained in kWh/km, rounded half-up in decimal arithmetic (as
  PostgreSQL's `round(numeric, n)`), so float noise does not split equal values.
- The modal value is accepted at 5 decimals when at least 8 charges confirm it, else at 4 decimals and 5
  charges, 3 and 3, 2 and 2; otherwise the factor is unknown. No median or other fallback.
- A tie for the mode goes to the value of the latest charge (TeslaMate leaves it to the database).

Capacity: per reading, range at 100 % = rated range / battery level * 100, and usable capacity = that range
* efficiency. Readings under 5 % are skipped: there one percent step moves the estimate by a fifth.

Health: usable capacity "new" is the largest estimate (or the nominal figure given), "now" the mean of the
latest 10 estimates (TeslaMate takes 100 charge samples; ours are one per charge or drive). Degradation =
100 - now / new * 100, never below 0. A nominal range alone implies a nominal capacity (and the other way
round) through the efficiency the estimates were made with. The trend averages the estimates per calendar
month (UTC), so a chart stays small over years.

Vampire drain: drives and charges are activities, overlapping ones merged; the parked periods are the gaps
between consecutive activities longer than `min_duration`.
- A period runs from the end values of the activity before to the start values of the one after; one where
  either side lacks battery level or rated range is skipped.
- One whose level or range rose (a charge that was not recorded) is flagged `gained` and left out of the
  summary.
- Energy lost = range lost * efficiency, when the efficiency is known.
- The asleep share is the part of the period covered by "asleep" or "offline" states; time without a known
  state counts as awake.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from statistics import fmean

MIN_CHARGE_DURATION = timedelta(minutes=10)
MAX_END_LEVEL = 95.0
# (decimals, confirmations): the factor's precision tried first, and how many charges must agree on it.
EFFICIENCY_STEPS = ((5, 8), (4, 5), (3, 3), (2, 2))
MIN_CAPACITY_LEVEL = 5.0
RECENT_ESTIMATES = 10
ASLEEP_STATES = frozenset({"asleep", "offline"})


@dataclass(frozen=True, slots=True)
class ChargeFacts:
    started_at: datetime
    ended_at: datetime | None  # None: still charging
    energy_added_kwh: float | None  # measured at the battery
    start_battery_level: float | None
    end_battery_level: float | None
    start_rated_range_km: float | None
    end_rated_range_km: float | None
    odometer_km: float | None = None


@dataclass(frozen=True, slots=True)
class DriveFacts:
    started_at: datetime
    ended_at: datetime | None  # None: still driving
    start_battery_level: float | None
    end_battery_level: float | None
    start_rated_range_km: float | None
    end_rated_range_km: float | None


@dataclass(frozen=True, slots=True)
class StateSpan:
    state: str  # "online", "asleep", "offline", "driving", "charging" or "updating"
    started_at: datetime
    ended_at: datetime | None  # None: still open


@dataclass(frozen=True, slots=True)
class Reading:
    """A moment when both battery level and rated range are known (the end of a charge or a drive)."""

    ts: datetime
    odometer_km: float | None
    battery_level: float
    rated_range_km: float


@dataclass(frozen=True, slots=True)
class Efficiency:
    wh_per_km: float
    confirmations: int  # charges that gave this value
    decimals: int  # the precision (of the factor in kWh/km) at which they agreed


@dataclass(frozen=True, slots=True)
class CapacityPoint:
    ts: datetime
    odometer_km: float | None
    range_at_100_km: float
    capacity_kwh: float


@dataclass(frozen=True, slots=True)
class TrendPoint:
    month: datetime  # the first instant of the calendar month, UTC
    odometer_km: float | None  # the mean of the estimates that carry one
    range_at_100_km: float
    capacity_kwh: float
    samples: int


@dataclass(frozen=True, slots=True)
class BatteryHealth:
    capacity_new_kwh: float
    capacity_now_kwh: float
    degradation_pct: float
    range_at_100_new_km: float
    range_at_100_now_km: float
    trend: tuple[TrendPoint, ...]


@dataclass(frozen=True, slots=True)
class ParkedPeriod:
    started_at: datetime
    ended_at: datetime
    hours: float
    start_battery_level: float
    end_battery_level: float
    start_rated_range_km: float
    end_rated_range_km: float
    battery_level_lost: float  # percentage points; negative when gained
    rated_range_km_lost: float
    battery_level_per_hour: float
    rated_range_km_per_hour: float
    energy_lost_kwh: float | None  # None without an efficiency factor
    avg_power_w: float | None
    asleep_share: float  # 0..1
    gained: bool  # level or range rose: a charge was not seen


@dataclass(frozen=True, slots=True)
class DrainSummary:
    periods: int  # periods counted
    excluded: int  # periods flagged `gained`
    hours: float
    battery_level_per_hour: float  # weighted by duration: total lost / total hours
    rated_range_km_per_hour: float
    avg_power_w: float | None  # None unless every counted period has an energy figure
    asleep_share: float  # weighted by duration: total asleep / total parked


# --- efficiency factor ---------------------------------------------------------------------------------


def efficiency_factor(charges: Iterable[ChargeFacts]) -> Efficiency | None:
    """The car's energy per km of rated range, learned from its charges (see the module docstring)."""
    factors = [f for f in map(_charge_factor, sorted(charges, key=_charge_order)) if f is not None]
    for decimals, needed in EFFICIENCY_STEPS:
        value, count = _mode([_round_half_up(f, decimals) for f in factors])
        if value is not None and count >= needed:
            return Efficiency(wh_per_km=float(value * 1000), confirmations=count, decimals=decimals)
    return None


def _charge_order(charge: ChargeFacts) -> datetime:
    return charge.ended_at or charge.started_at


def _charge_factor(charge: ChargeFacts) -> Decimal | None:
    """kWh per km of range gained, exact in decimal, or None for a charge that does not qualify."""
    energy, start, end = charge.energy_added_kwh, charge.start_rated_range_km, charge.end_rated_range_km
    level = charge.end_battery_level
    if charge.ended_at is None or charge.ended_at - charge.started_at <= MIN_CHARGE_DURATION:
        return None
    if level is None or level > MAX_END_LEVEL or energy is None or energy <= 0:
        return None
    if start is None or end is None:
        return None
    # str(): the shortest decimal that round-trips, i.e. the figure as stored and shown
    gained = Decimal(str(end)) - Decimal(str(start))
    return Decimal(str(energy)) / gained if gained > 0 else None


def _round_half_up(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _mode(values: Sequence[Decimal]) -> tuple[Decimal | None, int]:
    """The most frequent value and its count; a tie goes to the value seen last."""
    if not values:
        return None, 0
    counts = Counter(values)
    last_seen = {value: index for index, value in enumerate(values)}
    best = max(counts, key=lambda value: (counts[value], last_seen[value]))
    return best, counts[best]


# --- capacity and health -------------------------------------------------------------------------------


def charge_readings(charges: Iterable[ChargeFacts]) -> list[Reading]:
    """The end of each finished charge with both level and range known, as a reading."""
    return [
        Reading(c.ended_at, c.odometer_km, c.end_battery_level, c.end_rated_range_km)
        for c in charges
        if c.ended_at is not None and c.end_battery_level is not None and c.end_rated_range_km is not None
    ]


def capacity_estimates(readings: Iterable[Reading], efficiency_wh_per_km: float) -> list[CapacityPoint]:
    """Usable capacity per reading, in time order; readings under 5 % (or without range) are skipped."""
    if efficiency_wh_per_km <= 0:
        raise ValueError("efficiency_wh_per_km must be positive")
    points = []
    for reading in sorted(readings, key=lambda r: r.ts):
        if reading.battery_level < MIN_CAPACITY_LEVEL or reading.rated_range_km <= 0:
            continue
        full_range = reading.rated_range_km / reading.battery_level * 100
        capacity = full_range * efficiency_wh_per_km / 1000
        points.append(CapacityPoint(reading.ts, reading.odometer_km, full_range, capacity))
    return points


def battery_health(
    points: Iterable[CapacityPoint],
    *,
    nominal_capacity_kwh: float | None = None,
    nominal_range_km: float | None = None,
    recent: int = RECENT_ESTIMATES,
) -> BatteryHealth | None:
    """Capacity new and now, degradation and the monthly trend; None without estimates."""
    if recent < 1:
        raise ValueError("recent must be at least 1")
    if any(n is not None and n <= 0 for n in (nominal_capacity_kwh, nominal_range_km)):
        raise ValueError("nominal figures must be positive")
    ordered = sorted(points, key=lambda p: p.ts)
    if not ordered:
        return None
    latest = ordered[-recent:]
    now_kwh = fmean(p.capacity_kwh for p in latest)
    now_km = fmean(p.range_at_100_km for p in latest)
    kwh_per_km = now_kwh / now_km  # the efficiency the estimates were made with
    if nominal_capacity_kwh is not None:
        new_kwh = nominal_capacity_kwh
    elif nominal_range_km is not None:
        new_kwh = nominal_range_km * kwh_per_km
    else:
        new_kwh = max(p.capacity_kwh for p in ordered)
    if nominal_range_km is not None:
        new_km = nominal_range_km
    elif nominal_capacity_kwh is not None:
        new_km = nominal_capacity_kwh / kwh_per_km
    else:
        new_km = max(p.range_at_100_km for p in ordered)
    return BatteryHealth(
        capacity_new_kwh=new_kwh,
        capacity_now_kwh=now_kwh,
        degradation_pct=max(0.0, 100 - now_kwh / new_kwh * 100),
        range_at_100_new_km=new_km,
        range_at_100_now_km=now_km,
        trend=tuple(monthly_trend(ordered)),
    )


def monthly_trend(points: Iterable[CapacityPoint]) -> list[TrendPoint]:
    """The estimates averaged per calendar month (UTC), in time order."""
    months: dict[datetime, list[CapacityPoint]] = {}
    for point in sorted(points, key=lambda p: p.ts):
        ts = point.ts.astimezone(UTC)
        months.setdefault(datetime(ts.year, ts.month, 1, tzinfo=UTC), []).append(point)
    return [_trend_point(month, group) for month, group in months.items()]


def _trend_point(month: datetime, group: list[CapacityPoint]) -> TrendPoint:
    odometers = [p.odometer_km for p in group if p.odometer_km is not None]
    return TrendPoint(
        month=month,
        odometer_km=fmean(odometers) if odometers else None,
        range_at_100_km=fmean(p.range_at_100_km for p in group),
        capacity_kwh=fmean(p.capacity_kwh for p in group),
        samples=len(group),
    )


# --- vampire drain -------------------------------------------------------------------------------------

_Battery = tuple[float, float]  # (battery level %, rated range km), both known


@dataclass(frozen=True, slots=True)
class _Activity:
    started_at: datetime
    ended_at: datetime | None  # None: still going, so nothing after it is parked
    start: _Battery | None
    end: _Battery | None


def parked_periods(
    drives: Iterable[DriveFacts],
    charges: Iterable[ChargeFacts],
    states: Iterable[StateSpan],
    *,
    min_duration: timedelta = timedelta(hours=1),
    efficiency_wh_per_km: float | None = None,
) -> list[ParkedPeriod]:
    """The gaps longer than `min_duration` between drives and charges, with what the battery lost."""
    asleep = sorted(
        ((s.started_at, s.ended_at) for s in states if s.state in ASLEEP_STATES), key=lambda span: span[0]
    )
    periods = []
    for before, after in pairwise(_activities([*drives, *charges])):
        assert before.ended_at is not None  # an open activity absorbs every later one
        if after.started_at - before.ended_at <= min_duration or before.end is None or after.start is None:
            continue
        periods.append(
            _period(before.ended_at, after.started_at, before.end, after.start, asleep, efficiency_wh_per_km)
        )
    return periods


def _activities(items: Iterable[DriveFacts | ChargeFacts]) -> list[_Activity]:
    merged: list[_Activity] = []
    for item in sorted(items, key=lambda i: i.started_at):
        activity = _Activity(
            item.started_at,
            item.ended_at,
            _known(item.start_battery_level, item.start_rated_range_km),
            _known(item.end_battery_level, item.end_rated_range_km),
        )
        last = merged[-1] if merged else None
        if last is not None and (last.ended_at is None or activity.started_at <= last.ended_at):
            merged[-1] = _merge(last, activity)
        else:
            merged.append(activity)
    return merged


def _known(level: float | None, range_km: float | None) -> _Battery | None:
    return (level, range_km) if level is not None and range_km is not None else None


def _merge(first: _Activity, later: _Activity) -> _Activity:
    """`later` starts inside `first`: the one that ends last gives the end values."""
    if first.ended_at is None or (later.ended_at is not None and later.ended_at <= first.ended_at):
        return first
    return replace(first, ended_at=later.ended_at, end=later.end)


def _period(
    start: datetime,
    end: datetime,
    at_start: _Battery,
    at_end: _Battery,
    asleep: list[tuple[datetime, datetime | None]],
    efficiency_wh_per_km: float | None,
) -> ParkedPeriod:
    hours = (end - start).total_seconds() / 3600
    level_lost, range_lost = at_start[0] - at_end[0], at_start[1] - at_end[1]
    energy = range_lost * efficiency_wh_per_km / 1000 if efficiency_wh_per_km is not None else None
    return ParkedPeriod(
        started_at=start,
        ended_at=end,
        hours=hours,
        start_battery_level=at_start[0],
        end_battery_level=at_end[0],
        start_rated_range_km=at_start[1],
        end_rated_range_km=at_end[1],
        battery_level_lost=level_lost,
        rated_range_km_lost=range_lost,
        battery_level_per_hour=level_lost / hours,
        rated_range_km_per_hour=range_lost / hours,
        energy_lost_kwh=energy,
        avg_power_w=energy * 1000 / hours if energy is not None else None,
        asleep_share=_covered(asleep, start, end) / (end - start),
        gained=level_lost < 0 or range_lost < 0,
    )


def _covered(spans: list[tuple[datetime, datetime | None]], start: datetime, end: datetime) -> timedelta:
    """How much of [start, end] the spans (sorted by start, possibly overlapping) cover."""
    covered, reach = timedelta(), start
    for span_start, span_end in spans:
        low = max(span_start, reach)
        high = end if span_end is None else min(span_end, end)
        if high > low:
            covered += high - low
            reach = high
    return covered


def drain_summary(periods: Iterable[ParkedPeriod]) -> DrainSummary | None:
    """Drain averaged over the periods not flagged `gained`; None when there are none."""
    every = list(periods)
    counted = [p for p in every if not p.gained]
    if not counted:
        return None
    hours = sum(p.hours for p in counted)
    energies = [p.energy_lost_kwh for p in counted if p.energy_lost_kwh is not None]
    return DrainSummary(
        periods=len(counted),
        excluded=len(every) - len(counted),
        hours=hours,
        battery_level_per_hour=sum(p.battery_level_lost for p in counted) / hours,
        rated_range_km_per_hour=sum(p.rated_range_km_lost for p in counted) / hours,
        avg_power_w=sum(energies) * 1000 / hours if len(energies) == len(counted) else None,
        asleep_share=sum(p.asleep_share * p.hours for p in counted) / hours,
    )
