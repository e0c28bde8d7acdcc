"""Charge cost: tariffs, time-of-use windows, DST nights, profiles, and unknown versus free."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from teslasync.analytics.costs import (
    Cost,
    CostPart,
    EnergyPoint,
    Geofence,
    InvalidTariff,
    Tariff,
    TouWindow,
    geofence_at,
    profile_from_counter,
    session_cost,
    validate_tariff,
)

BERLIN = ZoneInfo("Europe/Berlin")
EVERY_DAY = frozenset(range(7))
D = Decimal


def at(day: str, clock: str) -> datetime:
    """A Berlin wall-clock time, e.g. at("2025-01-15", "21:00") (Wednesday)."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BERLIN)


def tariff(**changes: Any) -> Tariff:
    return replace(Tariff(1, "home", "EUR", "Europe/Berlin"), **changes)


def window(
    days: frozenset[int], start: str, end: str, price: str, per_minute: str | None = None
) -> TouWindow:
    return TouWindow(
        days,
        time.fromisoformat(start),
        time.fromisoformat(end),
        D(price),
        D(per_minute) if per_minute is not None else None,
    )


NIGHT = window(EVERY_DAY, "22:00", "06:00", "0.10")
NIGHT_TARIFF = tariff(price_per_kwh=D("0.30"), windows=(NIGHT,))


def cost(t: Tariff, start: datetime, end: datetime | None, kwh: float | None, **options: Any) -> Cost:
    return session_cost(t, started_at=start, ended_at=end, energy_kwh=kwh, charger_type="AC", **options)


def summary(result: Cost) -> list[tuple[str, Decimal | None, Decimal | None, Decimal | None]]:
    return [(part.label, part.kwh, part.minutes, part.amount) for part in result.breakdown]


def test_constant_power_split_at_the_window_boundary() -> None:
    # 21:00-23:00 at 10 kW: 10 kWh * 0.30 before 22:00 + 10 kWh * 0.10 after = 3.00 + 1.00 = 4.00
    result = cost(NIGHT_TARIFF, at("2025-01-15", "21:00"), at("2025-01-15", "23:00"), 20.0)
    assert result.amount == D("4.00")
    assert result.currency == "EUR"
    assert summary(result) == [
        ("energy", D("10.000"), None, D("3.00")),
        ("energy 22:00-06:00", D("10.000"), None, D("1.00")),
    ]
    assert [part.unit_price for part in result.breakdown] == [D("0.30"), D("0.10")]


def test_crossing_midnight_into_a_day_with_another_window() -> None:
    weeknight = window(frozenset(range(5)), "22:00", "00:00", "0.10")
    weekend = window(frozenset({5, 6}), "00:00", "08:00", "0.05")
    t = tariff(price_per_kwh=D("0.30"), windows=(weeknight, weekend))
    # Friday 23:00 -> Saturday 01:00 at 6 kW: 6 kWh * 0.10 (Friday's window) + 6 kWh * 0.05 (Saturday's)
    # = 0.60 + 0.30 = 0.90
    result = cost(t, at("2025-01-17", "23:00"), at("2025-01-18", "01:00"), 12.0)
    assert result.amount == D("0.90")
    assert summary(result) == [
        ("energy Mon-Fri 22:00-00:00", D("6.000"), None, D("0.60")),
        ("energy Sat,Sun 00:00-08:00", D("6.000"), None, D("0.30")),
    ]


def test_a_window_past_midnight_belongs_to_the_day_it_starts_on() -> None:
    t = tariff(price_per_kwh=D("0.30"), windows=(window(frozenset({4}), "22:00", "06:00", "0.10"),))
    # Saturday 05:00-07:00 at 3 kW: Friday's window runs to 06:00: 3 kWh * 0.10 + 3 kWh * 0.30 = 1.20
    assert cost(t, at("2025-01-18", "05:00"), at("2025-01-18", "07:00"), 6.0).amount == D("1.20")
    # Sunday 05:00-07:00: Saturday has no window: 6 kWh * 0.30 = 1.80
    assert cost(t, at("2025-01-19", "05:00"), at("2025-01-19", "07:00"), 6.0).amount == D("1.80")


@pytest.mark.parametrize(
    ("night", "morning", "hours", "base_kwh", "window_kwh", "amount"),
    [
        # spring forward, 30 March 2025 02:00 CET -> 03:00 CEST: 21:00 -> 07:00 is 9 real hours, the window 7
        # 9 kWh at 1 kW: 2 kWh * 0.30 + 7 kWh * 0.10 = 0.60 + 0.70 = 1.30
        ("2025-03-29", "2025-03-30", 9, D("2.000"), D("7.000"), D("1.30")),
        # fall back, 26 October 2025 03:00 CEST -> 02:00 CET: 11 real hours, the window 9
        # 11 kWh at 1 kW: 2 kWh * 0.30 + 9 kWh * 0.10 = 0.60 + 0.90 = 1.50
        ("2025-10-25", "2025-10-26", 11, D("2.000"), D("9.000"), D("1.50")),
    ],
)
def test_a_dst_night_uses_real_elapsed_time(
    night: str, morning: str, hours: int, base_kwh: Decimal, window_kwh: Decimal, amount: Decimal
) -> None:
    start, end = at(night, "21:00"), at(morning, "07:00")
    assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == hours * 3600
    result = cost(NIGHT_TARIFF, start, end, float(hours))
    assert result.amount == amount
    assert [part.kwh for part in result.breakdown] == [base_kwh, window_kwh]  # 21:00-22:00 and 06:00-07:00
    # the same instants given in UTC cost the same
    assert cost(NIGHT_TARIFF, start.astimezone(UTC), end.astimezone(UTC), float(hours)).amount == amount
    # time is charged on real minutes: 540 or 660 minutes at 0.01 on top
    with_time = tariff(price_per_kwh=D("0.30"), price_per_minute=D("0.01"), windows=(NIGHT,))
    assert cost(with_time, start, end, float(hours)).amount == amount + D(hours * 60) * D("0.01")


def test_a_window_in_the_hour_clocks_repeat_or_skip() -> None:
    t = tariff(price_per_kwh=D("0.30"), windows=(window(frozenset({6}), "02:00", "03:00", "0.10"),))
    # fall back: 01:00 CEST -> 04:00 CET is 4 hours and 02:00-03:00 happens twice
    # 4 kWh at 1 kW: 2 kWh * 0.10 + 2 kWh * 0.30 = 0.20 + 0.60 = 0.80
    assert cost(t, at("2025-10-26", "01:00"), at("2025-10-26", "04:00"), 4.0).amount == D("0.80")
    # spring forward: 01:00 CET -> 04:00 CEST is 2 hours and 02:00-03:00 never happens: 2 kWh * 0.30
    assert cost(t, at("2025-03-30", "01:00"), at("2025-03-30", "04:00"), 2.0).amount == D("0.60")


def test_profile_weights_the_split() -> None:
    start, end = at("2025-01-15", "21:00"), at("2025-01-15", "23:00")
    profile = [EnergyPoint(start, 0.0), EnergyPoint(at("2025-01-15", "22:00"), 9.0), EnergyPoint(end, 10.0)]
    # 9 kWh before 22:00, 1 after: 9 * 0.30 + 1 * 0.10 = 2.70 + 0.10 = 2.80 (constant power would give 2.00)
    assert cost(NIGHT_TARIFF, start, end, 10.0, profile=profile).amount == D("2.80")
    # the profile is scaled to the session's energy: 18 * 0.30 + 2 * 0.10 = 5.40 + 0.20 = 5.60
    assert cost(NIGHT_TARIFF, start, end, 20.0, profile=profile).amount == D("5.60")


def test_profile_is_linear_between_points() -> None:
    start, end = at("2025-01-15", "21:00"), at("2025-01-15", "23:00")
    profile = [
        EnergyPoint(start, 0.0),
        EnergyPoint(at("2025-01-15", "21:30"), 6.0),
        EnergyPoint(at("2025-01-15", "22:30"), 8.0),
        EnergyPoint(end, 10.0),
    ]
    # at 22:00, halfway from 6 to 8 kWh: 7 kWh * 0.30 + 3 kWh * 0.10 = 2.10 + 0.30 = 2.40
    assert cost(NIGHT_TARIFF, start, end, 10.0, profile=profile).amount == D("2.40")


def test_a_counter_report_after_the_end_counts_at_the_end() -> None:
    start, end = at("2025-01-15", "21:00"), at("2025-01-15", "23:00")
    profile = [
        EnergyPoint(at("2025-01-15", "22:00"), 5.0),
        EnergyPoint(at("2025-01-15", "22:59"), 9.0),
        EnergyPoint(at("2025-01-15", "23:00:40"), 10.0),  # the counter's last report, 40 s late
    ]
    # 5 kWh by 22:00 (from 0 at the start), 5 after: 5 * 0.30 + 5 * 0.10 = 2.00
    assert cost(NIGHT_TARIFF, start, end, 10.0, profile=profile).amount == D("2.00")


def test_profile_from_counter_goes_on_after_a_reset() -> None:
    def t(clock: str) -> datetime:
        return at("2025-01-15", clock)

    readings = [(t("21:00"), 0.0), (t("21:30"), 3.0), (t("21:45"), 0.0), (t("22:00"), 1.0), (t("23:00"), 5.0)]
    profile = profile_from_counter(readings)  # reset at 21:45: 3 kWh so far, then 1 and 5 more
    assert [point.kwh for point in profile] == [0.0, 3.0, 3.0, 4.0, 8.0]
    # 4 kWh by 22:00, 4 after: 4 * 0.30 + 4 * 0.10 = 1.20 + 0.40 = 1.60
    assert cost(NIGHT_TARIFF, t("21:00"), t("23:00"), 8.0, profile=profile).amount == D("1.60")
    # from a known value before the session
    assert [p.kwh for p in profile_from_counter([(t("21:00"), 12.5), (t("22:00"), 20.0)], 12.0)] == [0.5, 8.0]


def test_session_fee_and_prices_per_minute() -> None:
    peak = window(EVERY_DAY, "17:00", "20:00", "0.50", per_minute="0.05")
    t = tariff(price_per_kwh=D("0.40"), price_per_minute=D("0.02"), session_fee=D("1.50"), windows=(peak,))
    # 16:30-17:30 at 11 kW: fee 1.50; 5.5 kWh * 0.40 = 2.20 and 5.5 kWh * 0.50 = 2.75;
    # 30 min * 0.02 = 0.60 and 30 min * 0.05 = 1.50; total 8.55
    result = cost(t, at("2025-01-15", "16:30"), at("2025-01-15", "17:30"), 11.0)
    assert result.amount == D("8.55")
    assert summary(result) == [
        ("session fee", None, None, D("1.50")),
        ("energy", D("5.500"), None, D("2.20")),
        ("energy 17:00-20:00", D("5.500"), None, D("2.75")),
        ("time", None, D("30.00"), D("0.60")),
        ("time 17:00-20:00", None, D("30.00"), D("1.50")),
    ]
    # a window without its own price per minute takes the base one: 60 min * 0.02 = 1.20
    plain_peak = window(EVERY_DAY, "17:00", "20:00", "0.50")
    t = tariff(
        price_per_kwh=D("0.40"), price_per_minute=D("0.02"), session_fee=D("1.50"), windows=(plain_peak,)
    )
    result = cost(t, at("2025-01-15", "16:30"), at("2025-01-15", "17:30"), 11.0)
    assert result.amount == D("1.50") + D("2.20") + D("2.75") + D("1.20")
    assert summary(result)[-1] == ("time", None, D("60.00"), D("1.20"))


def test_a_time_only_tariff_needs_no_energy() -> None:
    t = tariff(price_per_minute=D("0.25"))
    # 45 min * 0.25 = 11.25, the energy unknown and not billed
    result = cost(t, at("2025-01-15", "10:00"), at("2025-01-15", "10:45"), None)
    assert result.amount == D("11.25")
    assert summary(result) == [("time", None, D("45.00"), D("11.25"))]


@pytest.mark.parametrize(
    ("free", "charger_type", "fast_charger_type", "amount"),
    [
        (True, "DC", "Supercharger", D("0.00")),
        (True, "DC", "FastChargerSupercharger", D("0.00")),  # the enum name before its prefix is stripped
        (True, "DC", "Tesla", D("0.00")),  # a session imported from TeslaMate
        (True, "DC", "Combo", D("16.50")),  # a third-party CCS charger
        (True, "AC", "Supercharger", D("16.50")),  # never AC
        (False, "DC", "Supercharger", D("16.50")),
    ],
)
def test_free_supercharging(free: bool, charger_type: str, fast_charger_type: str, amount: Decimal) -> None:
    t = tariff(price_per_kwh=D("0.50"), session_fee=D("1.50"), free_supercharging=free)
    # priced: 1.50 + 30 kWh * 0.50 = 16.50
    result = session_cost(
        t,
        started_at=at("2025-01-15", "12:00"),
        ended_at=at("2025-01-15", "12:30"),
        energy_kwh=30.0,
        charger_type=charger_type,
        fast_charger_type=fast_charger_type,
    )
    assert result.amount == amount
    if amount == 0:
        assert summary(result) == [("free Supercharging", None, None, D("0.00"))]
        assert result.breakdown[0].note


def test_energy_outside_windows_without_a_base_price_is_unknown_not_free() -> None:
    start, end = at("2025-01-15", "21:00"), at("2025-01-15", "23:00")
    result = cost(tariff(windows=(NIGHT,)), start, end, 20.0)
    assert result.amount is None
    assert result.breakdown == (
        CostPart("energy", None, kwh=D("10.000"), note="no price for 10 kWh outside windows"),
        CostPart("energy 22:00-06:00", D("1.00"), kwh=D("10.000"), unit_price=D("0.10")),
    )
    # a base price of 0 is free
    free = cost(tariff(price_per_kwh=D("0"), windows=(NIGHT,)), start, end, 20.0)
    assert free.amount == D("1.00")
    assert free.breakdown[0].amount == D("0.00")
    # a session entirely inside the window needs no base price
    assert cost(tariff(windows=(NIGHT,)), at("2025-01-15", "22:00"), end, 3.2).amount == D("0.32")


def test_unmeasured_energy_is_unknown() -> None:
    start, end = at("2025-01-15", "21:00"), at("2025-01-15", "23:00")
    result = cost(NIGHT_TARIFF, start, end, None)
    assert result.amount is None
    assert result.breakdown == (CostPart("energy", None, note="the session's energy was not measured"),)
    # without a measured total, the profile's own total is taken: 9 * 0.30 + 1 * 0.10 = 2.80
    profile = [EnergyPoint(start, 0.0), EnergyPoint(at("2025-01-15", "22:00"), 9.0), EnergyPoint(end, 10.0)]
    assert cost(NIGHT_TARIFF, start, end, None, profile=profile).amount == D("2.80")


def test_ongoing_session_is_priced_up_to_its_last_point() -> None:
    t = tariff(price_per_kwh=D("0.30"), price_per_minute=D("0.01"), windows=(NIGHT,))
    start = at("2025-01-15", "21:00")
    profile = [EnergyPoint(at("2025-01-15", "22:00"), 5.0), EnergyPoint(at("2025-01-15", "22:30"), 8.0)]
    # 5 kWh * 0.30 + 3 kWh * 0.10 + 90 min * 0.01 = 1.50 + 0.30 + 0.90 = 2.70
    result = cost(t, start, None, 8.0, profile=profile)
    assert result.amount == D("2.70")
    assert summary(result)[-1] == ("time", None, D("90.00"), D("0.90"))


def test_rounding_is_half_up_to_the_minor_unit() -> None:
    start, end = at("2025-01-15", "12:00"), at("2025-01-15", "13:00")
    # 1 kWh * 0.125 = 0.125 -> 0.13 (banker's rounding would give 0.12)
    assert cost(tariff(price_per_kwh=D("0.125")), start, end, 1.0).amount == D("0.13")
    # yen have no minor unit: 1 kWh * 30.5 -> 31
    yen = tariff(currency="JPY", timezone="Asia/Tokyo", price_per_kwh=D("30.5"))
    assert cost(yen, start, end, 1.0).amount == D("31")
    # the amount is the sum of the rounded parts, so the breakdown adds up: 21:00-23:00 at 1 kW,
    # 1 kWh * 0.015 = 0.015 -> 0.02 and 1 kWh * 0.005 = 0.005 -> 0.01: 0.03 (rounding 0.020 would give 0.02)
    night = tariff(price_per_kwh=D("0.015"), windows=(window(EVERY_DAY, "22:00", "06:00", "0.005"),))
    split = cost(night, at("2025-01-15", "21:00"), at("2025-01-15", "23:00"), 2.0)
    assert split.amount == D("0.03")
    assert [part.amount for part in split.breakdown] == [D("0.02"), D("0.01")]
    # no energy, no fee, no time: free, with nothing to show
    nothing = cost(NIGHT_TARIFF, start, end, 0.0)
    assert nothing.amount == D("0.00") and nothing.breakdown == ()


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        (
            (
                window(frozenset(range(5)), "06:00", "09:00", "0.2"),
                window(frozenset({0}), "07:00", "08:00", "0.1"),
            ),
            "windows[1] overlaps windows[0] on Monday 07:00-08:00",
        ),
        (
            (
                window(frozenset({0}), "22:00", "06:00", "0.1"),
                window(frozenset({1}), "05:00", "07:00", "0.2"),
            ),
            "windows[1] overlaps windows[0] on Tuesday 05:00-06:00",
        ),
        (  # Sunday night runs into Monday morning
            (
                window(frozenset({6}), "23:00", "02:00", "0.1"),
                window(frozenset({0}), "01:00", "03:00", "0.2"),
            ),
            "windows[1] overlaps windows[0] on Monday 01:00-02:00",
        ),
    ],
)
def test_overlapping_windows_are_refused(windows: tuple[TouWindow, ...], message: str) -> None:
    t = tariff(price_per_kwh=D("0.30"), windows=windows)
    assert validate_tariff(t) == [message]
    with pytest.raises(InvalidTariff) as refused:
        cost(t, at("2025-01-15", "12:00"), at("2025-01-15", "13:00"), 1.0)
    assert refused.value.problems == [message]


def test_adjacent_windows_are_fine() -> None:
    day = window(EVERY_DAY, "06:00", "22:00", "0.30")
    assert validate_tariff(tariff(windows=(NIGHT, day))) == []


def test_unknown_timezone_is_refused() -> None:
    t = tariff(timezone="Europe/Berln", price_per_kwh=D("0.30"))
    assert validate_tariff(t) == ["timezone: unknown time zone 'Europe/Berln'"]
    with pytest.raises(InvalidTariff, match="unknown time zone 'Europe/Berln'"):
        cost(t, at("2025-01-15", "12:00"), at("2025-01-15", "13:00"), 1.0)
    assert validate_tariff(tariff(timezone="", price_per_kwh=D("0.30"))) == ["timezone: unknown time zone ''"]


def test_every_problem_names_its_field() -> None:
    t = tariff(
        currency="eur",
        price_per_kwh=D("-0.10"),
        session_fee=D("NaN"),
        windows=(
            TouWindow(frozenset(), time(7), time(7), D("0.1")),
            TouWindow(frozenset({7}), time(7, 0, 30), time(8), D("0.1"), D("-1")),
        ),
    )
    assert validate_tariff(t) == [
        "currency: 'eur' is not an ISO 4217 code (3 uppercase letters)",
        "price_per_kwh: must not be negative, got -0.10",
        "session_fee: NaN is not a price",
        "windows[0].weekdays: must not be empty",
        "windows[0]: start and end are both 07:00",
        "windows[1].weekdays: [7] not in 0 (Monday) .. 6 (Sunday)",
        "windows[1].start: 07:00:30 is not a whole minute",
        "windows[1].price_per_minute: must not be negative, got -1",
    ]
    assert validate_tariff(tariff()) == [
        "price_per_kwh: the tariff sets no price (a price of 0 makes charging free)"
    ]


def test_naive_or_reversed_times_are_refused() -> None:
    with pytest.raises(ValueError, match="started_at must be timezone-aware"):
        cost(NIGHT_TARIFF, datetime(2025, 1, 15, 21), at("2025-01-15", "23:00"), 1.0)
    with pytest.raises(ValueError, match="is before started_at"):
        cost(NIGHT_TARIFF, at("2025-01-15", "23:00"), at("2025-01-15", "21:00"), 1.0)


HOME = Geofence(1, "home", 52.52, 13.405, 100.0, tariff_id=1)
GARAGE = Geofence(2, "garage", 52.52, 13.405, 20.0, tariff_id=2)  # inside home
CITY = Geofence(3, "city", 52.52, 13.405, 5000.0)
FENCES = [CITY, HOME, GARAGE]
METRES_PER_DEGREE = 111_195.0  # of latitude, on the mean Earth radius distance_km uses


@pytest.mark.parametrize(
    ("north_m", "expected"),
    [(0.0, GARAGE), (10.0, GARAGE), (50.0, HOME), (1000.0, CITY), (10_000.0, None)],
)
def test_geofence_at_picks_the_smallest_containing(north_m: float, expected: Geofence | None) -> None:
    assert geofence_at(FENCES, (52.52 + north_m / METRES_PER_DEGREE, 13.405)) == expected


def test_geofence_at_ties_and_no_position() -> None:
    twin_a = Geofence(7, "a", 48.0, 11.0, 50.0)
    twin_b = Geofence(4, "b", 48.0, 11.0001, 50.0)
    assert geofence_at([twin_a, twin_b], (48.0, 11.00005)) == twin_b
    assert geofence_at(FENCES, None) is None
    assert geofence_at([], (48.0, 11.0)) is None
