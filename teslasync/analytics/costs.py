"""Charge cost: what a charging session cost under a tariff, and how that amount was made.

A tariff has an optional base price per kWh, price per minute and session fee, plus time-of-use windows
(weekdays and a local start and end time, with their own price per kWh and optionally per minute). A window
whose end is not after its start runs past midnight and belongs to the weekday it starts on: Friday
22:00-06:00 covers Saturday 05:00. Windows of one tariff never overlap. The geofence a car charges in picks
the tariff (the smallest geofence containing the position wins).

Rules of `session_cost`:
- Free Supercharging: with the tariff's `free_supercharging`, a DC session at a Tesla Supercharger costs 0.
- The session fee is paid once.
- Energy is split between the windows and the base price along the session's energy profile (cumulative
  kWh over time, linear between points). Without a profile of at least 2 points, power is taken as constant
  from start to end. The profile is scaled so that its total is the session's energy.
- Windows are read on the tariff's local clock over real elapsed time: on a night when clocks change, a
  22:00-06:00 window lasts 7 or 9 hours, and a 02:00-03:00 window lasts 0 or 2.
- Time is charged on the session's duration: at a window's price per minute inside a window that has one,
  at the tariff's price per minute everywhere else (no charge where neither is set).
- Unknown is not free: energy outside every window of a tariff without a base price per kWh has no price,
  and neither does energy that was not measured. Such a part of the breakdown has no amount, and neither
  has the cost. A tariff with no price per kWh and no window does not bill energy at all.
- An ongoing session (no end) is priced up to its last profile point.
- Money: kWh are priced to the Wh and minutes to the hundredth; each part of the breakdown is rounded half
  up to the currency's minor unit and the amount is the sum of the parts, so the breakdown adds up.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from teslasync.analytics.charging import Counter
from teslasync.analytics.samples import distance_km

DAY = 24 * 60  # minutes
WEEK = 7 * DAY
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ALL_WEEKDAYS = frozenset(range(7))
KWH_STEP = Decimal("0.001")
MINUTE_STEP = Decimal("0.01")
MINUTE = timedelta(minutes=1)
SUPERCHARGER_TYPES = frozenset({"Supercharger", "FastChargerSupercharger"})  # short and prefixed enum name
_CURRENCY = re.compile(r"[A-Z]{3}")
# ISO 4217 currencies whose minor unit is not the cent
_MINOR_UNITS = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


@dataclass(frozen=True, slots=True)
class Geofence:
    id: int
    name: str
    latitude: float
    longitude: float
    radius_m: float
    tariff_id: int | None = None


def geofence_at(geofences: Iterable[Geofence], position: tuple[float, float] | None) -> Geofence | None:
    """The geofence containing `position`: of nested ones the smallest (most specific), then the lowest id."""
    if position is None:
        return None
    inside = [g for g in geofences if distance_km((g.latitude, g.longitude), position) * 1000 <= g.radius_m]
    return min(inside, key=lambda g: (g.radius_m, g.id), default=None)


@dataclass(frozen=True, slots=True)
class TouWindow:
    weekdays: frozenset[int]  # 0 = Monday .. 6 = Sunday: the day the window starts on
    start: time
    end: time  # not after `start`: the window runs past midnight
    price_per_kwh: Decimal
    price_per_minute: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Tariff:
    id: int
    name: str
    currency: str  # ISO 4217
    timezone: str  # IANA name: the clock of the windows
    price_per_kwh: Decimal | None = None  # outside every window
    price_per_minute: Decimal | None = None
    session_fee: Decimal | None = None
    windows: tuple[TouWindow, ...] = ()
    free_supercharging: bool = False


class InvalidTariff(ValueError):
    """A tariff that `validate_tariff` refuses; `problems` are its messages."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def validate_tariff(tariff: Tariff) -> list[str]:
    """Every problem of `tariff`, each message naming its field; empty when the tariff is valid."""
    problems = _currency_problems(tariff.currency) + _timezone_problems(tariff.timezone)
    problems += _price_problems("price_per_kwh", tariff.price_per_kwh)
    problems += _price_problems("price_per_minute", tariff.price_per_minute)
    problems += _price_problems("session_fee", tariff.session_fee)
    well_formed: list[tuple[int, TouWindow]] = []
    for i, window in enumerate(tariff.windows):
        shape = _window_shape_problems(f"windows[{i}]", window)
        problems += shape
        problems += _price_problems(f"windows[{i}].price_per_kwh", window.price_per_kwh)
        problems += _price_problems(f"windows[{i}].price_per_minute", window.price_per_minute)
        if not shape:
            well_formed.append((i, window))
    problems += _overlap_problems(well_formed)
    prices = (tariff.price_per_kwh, tariff.price_per_minute, tariff.session_fee)
    if not tariff.windows and all(price is None for price in prices):
        problems.append("price_per_kwh: the tariff sets no price (a price of 0 makes charging free)")
    return problems


def _currency_problems(currency: str) -> list[str]:
    if _CURRENCY.fullmatch(currency):
        return []
    return [f"currency: {currency!r} is not an ISO 4217 code (3 uppercase letters)"]


def _timezone_problems(name: str) -> list[str]:
    if len(name) > 64:  # the longest IANA name has 32 characters
        return ["timezone: not a time zone name (over 64 characters)"]
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # not even a key (empty, a path, too long a name)
        return [f"timezone: unknown time zone {name!r}"]
    return []


def _price_problems(field: str, price: Decimal | None) -> list[str]:
    if price is None:
        return []
    if not price.is_finite():
        return [f"{field}: {price} is not a price"]
    if price < 0:
        return [f"{field}: must not be negative, got {price}"]
    return []


def _window_shape_problems(where: str, window: TouWindow) -> list[str]:
    problems = []
    if not window.weekdays:
        problems.append(f"{where}.weekdays: must not be empty")
    if bad := sorted(day for day in window.weekdays if day not in ALL_WEEKDAYS):
        problems.append(f"{where}.weekdays: {bad} not in 0 (Monday) .. 6 (Sunday)")
    for field, at in (("start", window.start), ("end", window.end)):
        if at.second or at.microsecond:
            problems.append(f"{where}.{field}: {at.isoformat()} is not a whole minute")
    if window.start == window.end:
        problems.append(f"{where}: start and end are both {_clock(_minutes(window.start))}")
    return problems


def _overlap_problems(windows: list[tuple[int, TouWindow]]) -> list[str]:
    problems = []
    for n, (i, window) in enumerate(windows):
        for j, earlier in windows[:n]:
            overlap = _first_overlap(_spans(window), _spans(earlier))
            if overlap is not None:
                problems.append(f"windows[{i}] overlaps windows[{j}] on {_describe(*overlap)}")
    return problems


def _spans(window: TouWindow) -> list[tuple[int, int]]:
    """The window's minutes of the week, [from, to) counted from Monday 00:00; Sunday's may pass the week's end."""
    start = _minutes(window.start)
    length = (_minutes(window.end) - start) % DAY
    return [(day * DAY + start, day * DAY + start + length) for day in sorted(window.weekdays)]


def _first_overlap(spans: list[tuple[int, int]], others: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The earliest stretch of `spans` that `others` also cover, the week being circular."""
    found = [
        (max(a0, b0 + shift), min(a1, b1 + shift))
        for a0, a1 in spans
        for b0, b1 in others
        for shift in (-WEEK, 0, WEEK)
        if max(a0, b0 + shift) < min(a1, b1 + shift)
    ]
    return min(found, default=None)


def _describe(first: int, last: int) -> str:
    return f"{WEEKDAY_NAMES[first // DAY % 7]} {_clock(first % DAY)}-{_clock(last % DAY)}"


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class EnergyPoint:
    ts: datetime  # timezone-aware
    kwh: float  # energy since the session started


def profile_from_counter(
    points: Sequence[tuple[datetime, float]], baseline: float | None = None
) -> tuple[EnergyPoint, ...]:
    """A profile from one of the car's energy counters (time order), summed as `Counter` does: a reset goes
    on from the total so far. `baseline` is the counter's last value before the session (None: from zero)."""
    counter = Counter(baseline)
    profile = []
    for ts, value in points:
        counter.add(value)
        profile.append(EnergyPoint(ts, counter.total))
    return tuple(profile)


@dataclass(frozen=True, slots=True)
class CostPart:
    label: str  # "session fee", "energy", "energy Mon-Fri 22:00-06:00", "time", ...
    amount: Decimal | None  # None: no price for it
    kwh: Decimal | None = None
    minutes: Decimal | None = None
    unit_price: Decimal | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Cost:
    amount: Decimal | None  # None: unknown, as some part has no price (0 is free)
    currency: str
    breakdown: tuple[CostPart, ...]


def is_supercharger(charger_type: str, fast_charger_type: str | None) -> bool:
    """A DC session whose fast charger is a Tesla Supercharger: `Supercharger` in the telemetry
    (`FastChargerSupercharger` before the enum prefix is stripped), "Tesla..." in sessions imported from TeslaMate."""
    if charger_type != "DC" or fast_charger_type is None:
        return False
    return fast_charger_type in SUPERCHARGER_TYPES or fast_charger_type.startswith("Tesla")


def session_cost(
    tariff: Tariff,
    *,
    started_at: datetime,
    ended_at: datetime | None,
    energy_kwh: float | None,
    profile: Sequence[EnergyPoint] = (),
    charger_type: str,
    fast_charger_type: str | None = None,
) -> Cost:
    """The cost of a session under `tariff` (see the module's rules). `energy_kwh` is the energy billed
    (None: not measured; the profile's total is then taken when there is one). Raises `InvalidTariff`."""
    problems = validate_tariff(tariff)
    if problems:
        raise InvalidTariff(problems)
    step = Decimal(1).scaleb(-_MINOR_UNITS.get(tariff.currency, 2))
    if tariff.free_supercharging and is_supercharger(charger_type, fast_charger_type):
        free = CostPart(
            "free Supercharging", Decimal(0).quantize(step), note="the tariff's Supercharging is free"
        )
        return Cost(free.amount, tariff.currency, (free,))
    if energy_kwh is not None and energy_kwh < 0:
        raise ValueError(f"energy_kwh must not be negative, got {energy_kwh}")
    start = _utc(started_at, "started_at")
    points = sorted(((_utc(p.ts, "profile ts"), p.kwh) for p in profile), key=lambda point: point[0])
    end = _session_end(start, ended_at, points)
    curve = _curve(start, end, points, energy_kwh)
    periods = _periods(_coverage(tariff.windows), ZoneInfo(tariff.timezone), start, end)
    parts = [
        *_fee_parts(tariff, step),
        *_energy_parts(tariff, periods, curve, step),
        *_time_parts(tariff, periods, step),
    ]
    amounts = [part.amount for part in parts if part.amount is not None]
    total = sum(amounts, Decimal(0)).quantize(step) if len(amounts) == len(parts) else None
    return Cost(total, tariff.currency, tuple(parts))


def _utc(at: datetime, name: str) -> datetime:
    # Aware datetimes sharing one tzinfo subtract as wall-clock times, wrong across a DST change; in UTC
    # they subtract as real elapsed time.
    if at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {at.isoformat()}")
    return at.astimezone(UTC)


def _session_end(
    start: datetime, ended_at: datetime | None, points: list[tuple[datetime, float]]
) -> datetime:
    if ended_at is None:
        return max(points[-1][0], start) if points else start  # ongoing: so far as measured
    end = _utc(ended_at, "ended_at")
    if end < start:
        raise ValueError(f"ended_at {ended_at.isoformat()} is before started_at {start.isoformat()}")
    return end


@dataclass(frozen=True, slots=True)
class _Curve:
    """Cumulative energy through the session: 0 at its start, linear between points, in time order."""

    times: list[datetime]
    kwh: list[float]

    def before(self, at: datetime) -> float:
        """Energy delivered before `at` (a jump at `at` itself not yet counted)."""
        i = bisect_left(self.times, at)
        if i == 0:
            return self.kwh[0]
        if i == len(self.times):
            return self.kwh[-1]
        t0, t1, e0, e1 = self.times[i - 1], self.times[i], self.kwh[i - 1], self.kwh[i]
        return e0 + (e1 - e0) * ((at - t0) / (t1 - t0))

    @property
    def total(self) -> float:
        return self.kwh[-1]


def _curve(
    start: datetime, end: datetime, points: list[tuple[datetime, float]], energy_kwh: float | None
) -> _Curve | None:
    """None when the energy is unknown."""
    times, kwh = [start], [0.0]
    for ts, value in points:
        # a counter's last report can come after the end: its energy was delivered by then
        times.append(min(max(ts, start), end))
        kwh.append(max(value, kwh[-1]))
    measured = kwh[-1]
    if len(points) < 2 or measured <= 0:
        return None if energy_kwh is None else _Curve([start, end], [0.0, energy_kwh])
    scale = 1.0 if energy_kwh is None else energy_kwh / measured
    return _Curve(times, [value * scale for value in kwh])


@dataclass(slots=True)
class _Period:
    start: datetime
    end: datetime
    window: int | None  # index in the tariff's windows; None: the base prices


def _coverage(windows: tuple[TouWindow, ...]) -> list[int | None]:
    """For each local minute of the week, the window covering it."""
    coverage: list[int | None] = [None] * WEEK
    for i, window in enumerate(windows):
        for first, last in _spans(window):
            for minute in range(first, last):
                coverage[minute % WEEK] = i
    return coverage


def _periods(coverage: list[int | None], zone: ZoneInfo, start: datetime, end: datetime) -> list[_Period]:
    """[start, end] cut where the window changes, walking real time one UTC minute at a time: UTC offsets
    are whole minutes, so each such minute is one local minute, even on the night clocks change."""
    if start == end:
        return [_Period(start, end, coverage[_minute_of_week(start, zone)])]
    periods: list[_Period] = []
    at = start
    while at < end:
        following = min(at.replace(second=0, microsecond=0) + MINUTE, end)
        window = coverage[_minute_of_week(at, zone)]
        if periods and periods[-1].window == window:
            periods[-1].end = following
        else:
            periods.append(_Period(at, following, window))
        at = following
    return periods


def _minute_of_week(at: datetime, zone: ZoneInfo) -> int:
    local = at.astimezone(zone)
    return local.weekday() * DAY + local.hour * 60 + local.minute


def _fee_parts(tariff: Tariff, step: Decimal) -> list[CostPart]:
    if tariff.session_fee is None:
        return []
    return [CostPart("session fee", _money(tariff.session_fee, step), unit_price=tariff.session_fee)]


def _energy_parts(
    tariff: Tariff, periods: list[_Period], curve: _Curve | None, step: Decimal
) -> list[CostPart]:
    if tariff.price_per_kwh is None and not tariff.windows:
        return []  # the tariff does not bill energy
    if curve is None:
        return [CostPart("energy", None, note="the session's energy was not measured")]
    parts = []
    for window, energy in _energy_by_window(periods, curve).items():
        kwh = Decimal(energy).quantize(KWH_STEP, ROUND_HALF_UP)
        if not kwh:
            continue
        label, price = ("energy", tariff.price_per_kwh) if window is None else _window_energy(tariff, window)
        if price is None:
            note = f"no price for {_plain(kwh)} kWh outside windows"
            parts.append(CostPart(label, None, kwh=kwh, note=note))
        else:
            parts.append(CostPart(label, _money(kwh * price, step), kwh=kwh, unit_price=price))
    return parts


def _energy_by_window(periods: list[_Period], curve: _Curve) -> dict[int | None, float]:
    energy: dict[int | None, float] = {}
    for n, period in enumerate(periods):
        upto = curve.total if n == len(periods) - 1 else curve.before(period.end)
        energy[period.window] = energy.get(period.window, 0.0) + upto - curve.before(period.start)
    return energy


def _window_energy(tariff: Tariff, index: int) -> tuple[str, Decimal]:
    window = tariff.windows[index]
    return f"energy {_window_label(window)}", window.price_per_kwh


def _time_parts(tariff: Tariff, periods: list[_Period], step: Decimal) -> list[CostPart]:
    elapsed: dict[int | None, timedelta] = {}
    for period in periods:
        own = period.window is not None and tariff.windows[period.window].price_per_minute is not None
        key = period.window if own else None
        elapsed[key] = elapsed.get(key, timedelta()) + (period.end - period.start)
    parts = []
    for key, duration in elapsed.items():
        label, price = ("time", tariff.price_per_minute)
        if key is not None:
            label, price = f"time {_window_label(tariff.windows[key])}", tariff.windows[key].price_per_minute
        minutes = (Decimal(duration // timedelta(microseconds=1)) / 60_000_000).quantize(
            MINUTE_STEP, ROUND_HALF_UP
        )
        if price is not None and minutes:
            parts.append(CostPart(label, _money(minutes * price, step), minutes=minutes, unit_price=price))
    return parts


def _window_label(window: TouWindow) -> str:
    hours = f"{_clock(_minutes(window.start))}-{_clock(_minutes(window.end))}"
    days = _days_label(window.weekdays)
    return f"{days} {hours}" if days else hours


def _days_label(weekdays: frozenset[int]) -> str:
    """`Mon-Fri`, `Sat,Sun`, `Mon,Wed-Thu`; empty for every day."""
    if weekdays == ALL_WEEKDAYS:
        return ""
    runs: list[list[int]] = []
    for day in sorted(weekdays):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(_run_label(run) for run in runs)


def _run_label(run: list[int]) -> str:
    names = [WEEKDAY_NAMES[day][:3] for day in run]
    return f"{names[0]}-{names[-1]}" if len(names) > 2 else ",".join(names)


def _money(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
