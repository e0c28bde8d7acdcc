"""Daily figures per vehicle, on the owner's local calendar: distance, energy used and added, cost, and the
time spent driving, charging and asleep.

- A drive or a charge counts on the day it started (a drive past midnight is one drive, not two halves).
- Times are split at local midnight: a night asleep counts partly on each day.
- A drive's energy is what the car's energy counter says, else rated range lost times the efficiency
  factor (see battery.py), else unknown; a day whose drives' energy is all unknown has none.
- Costs are summed per currency; a day with a charge whose cost is unknown says so (`cost_complete`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class DriveDay:
    started_at: datetime
    distance_km: float
    energy_used_kwh: float | None


@dataclass(frozen=True, slots=True)
class ChargeDay:
    started_at: datetime
    energy_added_kwh: float | None
    cost: Decimal | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class SpanDay:
    state: str
    started_at: datetime
    ended_at: datetime | None


@dataclass
class DayStats:
    day: date
    distance_km: float = 0.0
    energy_used_kwh: float | None = None
    energy_added_kwh: float = 0.0
    costs: dict[str, Decimal] = field(default_factory=dict)
    cost_complete: bool = True
    drives: int = 0
    charges: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per state


def drive_energy(
    energy_used_kwh: float | None,
    start_range_km: float | None,
    end_range_km: float | None,
    efficiency_wh_per_km: float | None,
) -> float | None:
    """From the car's energy counter when it sent one, else rated range lost times the efficiency."""
    if energy_used_kwh is not None:
        return energy_used_kwh
    if efficiency_wh_per_km is None or start_range_km is None or end_range_km is None:
        return None
    return (start_range_km - end_range_km) * efficiency_wh_per_km / 1000


def daily_stats(
    drives: Iterable[DriveDay],
    charges: Iterable[ChargeDay],
    spans: Iterable[SpanDay],
    first: date,
    last: date,
    zone: ZoneInfo,
    now: datetime,
) -> list[DayStats]:
    """One entry per local day from `first` to `last` (inclusive); `now` ends a span still open."""
    if last < first:
        raise ValueError("the last day is before the first")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days at a time")
    days = {
        first + timedelta(days=n): DayStats(first + timedelta(days=n)) for n in range((last - first).days + 1)
    }
    for drive in drives:
        if (stats := days.get(drive.started_at.astimezone(zone).date())) is not None:
            stats.drives += 1
            stats.distance_km += drive.distance_km
            if drive.energy_used_kwh is not None:
                stats.energy_used_kwh = (stats.energy_used_kwh or 0.0) + drive.energy_used_kwh
    for charge in charges:
        if (stats := days.get(charge.started_at.astimezone(zone).date())) is not None:
            stats.charges += 1
            stats.energy_added_kwh += charge.energy_added_kwh or 0.0
            if charge.cost is None or charge.currency is None:
                stats.cost_complete = False
            else:
                stats.costs[charge.currency] = stats.costs.get(charge.currency, Decimal(0)) + charge.cost
    for span in spans:
        _add_time(days, span, zone, now)
    return [days[day] for day in sorted(days)]


def _add_time(days: dict[date, DayStats], span: SpanDay, zone: ZoneInfo, now: datetime) -> None:
    start, end = span.started_at, span.ended_at or now
    day = start.astimezone(zone).date()
    while start < end:
        midnight = datetime.combine(day + timedelta(days=1), time(), zone)
        piece_end = min(end, midnight)
        if (stats := days.get(day)) is not None:
            stats.seconds[span.state] = (
                stats.seconds.get(span.state, 0.0) + (piece_end - start).total_seconds()
            )
        start, day = piece_end, day + timedelta(days=1)
