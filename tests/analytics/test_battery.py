"""Battery: efficiency factor, capacity and degradation, vampire drain; every expectation worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from teslasync.analytics.battery import (
    CapacityPoint,
    ChargeFacts,
    DriveFacts,
    Efficiency,
    Reading,
    StateSpan,
    TrendPoint,
    battery_health,
    capacity_estimates,
    charge_readings,
    drain_summary,
    efficiency_factor,
    parked_periods,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
H = timedelta(hours=1)


def charge(
    energy: float | None,
    start_km: float | None,
    end_km: float | None,
    *,
    day: int = 0,
    minutes: float = 60,
    end_level: float | None = 80.0,
) -> ChargeFacts:
    started = T0 + timedelta(days=day)
    return ChargeFacts(
        started_at=started,
        ended_at=started + timedelta(minutes=minutes),
        energy_added_kwh=energy,
        start_battery_level=40.0,
        end_battery_level=end_level,
        start_rated_range_km=start_km,
        end_rated_range_km=end_km,
    )


# --- efficiency factor ---------------------------------------------------------------------------------


def test_the_mode_at_five_decimals_confirmed_eight_times() -> None:
    agreeing = [
        charge(15.322, 100, 200),  # 15.322 / 100 = 0.15322
        charge(7.661, 150, 200),  # 7.661 / 50
        charge(30.644, 100, 300),
        charge(4.5966, 230.1, 260.1),  # 30 km (30.00000000000003 in floats)
        charge(15.322, 210, 310),
        charge(22.983, 50, 200),  # 22.983 / 150
        charge(9.1932, 300, 360),  # 9.1932 / 60
        charge(15.322, 0, 100),
    ]
    outliers = [
        charge(10.0, 100, 160),
        charge(12.0, 100, 180),
        charge(5.0, 100, 130),
    ]  # 0.16667, 0.15, 0.16667
    assert efficiency_factor(outliers + agreeing) == Efficiency(wh_per_km=153.22, confirmations=8, decimals=5)


def test_falls_back_to_four_decimals_confirmed_five_times() -> None:
    # 0.15318, 0.15319, 0.15321, 0.15322, 0.15324: all differ at 5 decimals, all read 0.1532 at 4
    charges = [charge(energy, 100, 200) for energy in (15.318, 15.319, 15.321, 15.322, 15.324)]
    assert efficiency_factor(charges) == Efficiency(wh_per_km=153.2, confirmations=5, decimals=4)


def test_falls_back_to_three_decimals_confirmed_three_times() -> None:
    # 0.1528, 0.1531, 0.1534: all differ at 4 decimals, all read 0.153 at 3
    charges = [charge(energy, 100, 200) for energy in (15.28, 15.31, 15.34)]
    assert efficiency_factor(charges) == Efficiency(wh_per_km=153.0, confirmations=3, decimals=3)


def test_falls_back_to_two_decimals_confirmed_twice() -> None:
    # 0.148 and 0.152 both read 0.15
    assert efficiency_factor([charge(14.8, 100, 200), charge(15.2, 100, 200)]) == Efficiency(150.0, 2, 2)


def test_unconfirmed_gives_none() -> None:
    assert efficiency_factor([]) is None
    assert efficiency_factor([charge(15.322, 100, 200)]) is None  # one charge confirms nothing
    assert efficiency_factor([charge(14.8, 100, 200), charge(16.0, 100, 200)]) is None  # 0.15 vs 0.16


def test_charges_that_do_not_qualify_are_ignored() -> None:
    good = [charge(15.322, 100, 200, day=d) for d in range(6)]
    good.append(charge(15.322, 100, 200, end_level=95.0))  # at 95 % still counts
    ignored = [
        charge(15.322, 100, 200, minutes=10),  # not over 10 minutes
        charge(15.322, 100, 200, end_level=96.0),  # ends above 95 %
        charge(15.322, 100, 200, end_level=None),
        charge(None, 100, 200),
        charge(0.0, 100, 200),
        charge(15.322, 200, 200),  # no range gained
        charge(15.322, 300, 200),
        charge(15.322, None, 200),
        ChargeFacts(T0, None, 15.322, 40, 80, 100, 200),  # still charging
    ]
    # 7 confirm 0.15322: short of 8, so the factor is the 4-decimal 0.1532, confirmed 7 times
    assert efficiency_factor(good + ignored) == Efficiency(153.2, 7, 4)
    # one second over 10 minutes makes the eighth
    assert efficiency_factor([*good, *ignored, charge(15.322, 100, 200, minutes=10 + 1 / 60)]) == Efficiency(
        153.22, 8, 5
    )


def test_rounding_is_half_up_in_decimal() -> None:
    # 6.1206 / 40 = 0.153015 exactly, so 0.15302; in floats it is 0.15301499999999998, which rounds to 0.15301
    assert efficiency_factor([charge(6.1206, 200, 240)] * 8) == Efficiency(153.02, 8, 5)


def test_a_tie_goes_to_the_latest_charge() -> None:
    # 0.15, 0.16, 0.15, 0.16 on days 0..3 at 2 decimals: two each, and day 3 reads 0.16
    charges = [charge(e, 100, 200, day=d) for d, e in enumerate((15.0, 16.0, 15.0, 16.0))]
    assert efficiency_factor(reversed(charges)) == Efficiency(160.0, 2, 2)


# --- capacity and health -------------------------------------------------------------------------------


def test_capacity_from_range_and_level() -> None:
    readings = [
        Reading(T0 + H, 10_100.0, 80.0, 400.0),  # 400 / 80 * 100 = 500 km; 500 * 150 Wh = 75 kWh
        Reading(T0, None, 5.0, 22.5),  # 22.5 / 5 * 100 = 450 km; 67.5 kWh (5 % is still used)
        Reading(T0 + 2 * H, 10_200.0, 4.9, 24.5),  # under 5 %: skipped
    ]
    points = capacity_estimates(readings, 150.0)
    assert [(p.ts, p.odometer_km) for p in points] == [(T0, None), (T0 + H, 10_100.0)]  # in time order
    assert [p.range_at_100_km for p in points] == pytest.approx([450.0, 500.0])
    assert [p.capacity_kwh for p in points] == pytest.approx([67.5, 75.0])
    with pytest.raises(ValueError, match="positive"):
        capacity_estimates(readings, 0.0)


def test_charge_readings_are_the_ends_of_finished_charges() -> None:
    done = ChargeFacts(T0, T0 + H, 30.0, 20.0, 80.0, 100.0, 400.0, odometer_km=12_345.0)
    running = ChargeFacts(T0 + 2 * H, None, None, 20.0, None, 100.0, None)
    assert charge_readings([done, running]) == [Reading(T0 + H, 12_345.0, 80.0, 400.0)]


def readings_from_500_to_450_km() -> list[Reading]:
    # January: two readings at 400 km / 80 % = 500 km at 100 %; February and March: five each at
    # 360 km / 80 % = 450 km. At 150 Wh/km: 75 kWh new, 67.5 kWh now.
    jan = [Reading(datetime(2026, 1, d, tzinfo=UTC), 1000.0 * d, 80.0, 400.0) for d in (10, 20)]
    later = [
        Reading(datetime(2026, m, d, tzinfo=UTC), 10_000.0 * m + d, 80.0, 360.0)
        for m in (2, 3)
        for d in range(1, 6)
    ]
    return later + jan  # any order


def test_degradation_of_a_car_whose_full_range_fell_from_500_to_450_km() -> None:
    health = battery_health(capacity_estimates(readings_from_500_to_450_km(), 150.0))
    assert health is not None
    assert health.capacity_new_kwh == pytest.approx(75.0)
    assert health.capacity_now_kwh == pytest.approx(67.5)  # the last 10 are all at 450 km
    assert health.degradation_pct == pytest.approx(10.0)  # 100 - 67.5 / 75 * 100
    assert (health.range_at_100_new_km, health.range_at_100_now_km) == pytest.approx((500.0, 450.0))
    assert [(t.month.month, t.samples) for t in health.trend] == [(1, 2), (2, 5), (3, 5)]
    assert [t.capacity_kwh for t in health.trend] == pytest.approx([75.0, 67.5, 67.5])
    # odometers: (10_000 + 20_000) / 2; 20_000 + mean(1..5) = 20_003; 30_003
    assert [t.odometer_km for t in health.trend] == pytest.approx([15_000.0, 20_003.0, 30_003.0])


def test_now_is_the_mean_of_the_latest_estimates() -> None:
    points = capacity_estimates(readings_from_500_to_450_km(), 150.0)
    health = battery_health(points, recent=11)
    # the latest 11: one January estimate (75) and ten at 67.5 -> (75 + 675) / 11 = 68.1818...
    assert health is not None and health.capacity_now_kwh == pytest.approx(750 / 11)
    assert health.degradation_pct == pytest.approx(100 - (750 / 11) / 75 * 100)
    with pytest.raises(ValueError, match="recent"):
        battery_health(points, recent=0)


def test_nominal_figures_override_new() -> None:
    points = capacity_estimates(readings_from_500_to_450_km(), 150.0)
    by_capacity = battery_health(points, nominal_capacity_kwh=75.0)
    # 67.5 / 75 -> 10 %; the nominal range implied: 75 kWh / 0.15 kWh per km = 500 km
    assert by_capacity is not None and by_capacity.degradation_pct == pytest.approx(10.0)
    assert by_capacity.range_at_100_new_km == pytest.approx(500.0)
    by_range = battery_health(points, nominal_range_km=600.0)
    # 600 km * 0.15 kWh per km = 90 kWh new; 100 - 67.5 / 90 * 100 = 25 %
    assert by_range is not None and by_range.capacity_new_kwh == pytest.approx(90.0)
    assert by_range.degradation_pct == pytest.approx(25.0)
    small = battery_health(points, nominal_capacity_kwh=60.0)
    assert small is not None and small.degradation_pct == 0.0  # 67.5 > 60: clamped, not -12.5 %
    with pytest.raises(ValueError, match="nominal"):
        battery_health(points, nominal_range_km=0.0)


def test_no_estimates_no_health() -> None:
    assert battery_health([]) is None


def test_monthly_trend_buckets_by_utc_month() -> None:
    points = [
        CapacityPoint(datetime(2026, 1, 10, tzinfo=UTC), 1000.0, 480.0, 72.0),
        CapacityPoint(datetime(2026, 1, 20, tzinfo=UTC), 2000.0, 460.0, 69.0),
        # 23:30 on 31 January at UTC-5 is 04:30 on 1 February in UTC
        CapacityPoint(datetime(2026, 1, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))), None, 440.0, 66.0),
    ]
    health = battery_health(points)
    assert health is not None
    assert health.trend == (
        TrendPoint(datetime(2026, 1, 1, tzinfo=UTC), 1500.0, 470.0, 70.5, 2),  # means of the two
        TrendPoint(datetime(2026, 2, 1, tzinfo=UTC), None, 440.0, 66.0, 1),  # no odometer known
    )


# --- vampire drain -------------------------------------------------------------------------------------

NIGHT = datetime(2026, 3, 1, 22, tzinfo=UTC)


def drive(
    start: datetime, end: datetime | None, at_start: tuple[float, float], at_end: tuple[float, float]
) -> DriveFacts:
    return DriveFacts(start, end, at_start[0], at_end[0], at_start[1], at_end[1])


def plug(
    start: datetime, end: datetime | None, at_start: tuple[float, float], at_end: tuple[float, float]
) -> ChargeFacts:
    return ChargeFacts(start, end, 10.0, at_start[0], at_end[0], at_start[1], at_end[1])


def night_drives() -> list[DriveFacts]:
    # home at 22:00 with 80 % / 400 km; away at 07:00 with 78 % / 392 km
    return [
        drive(NIGHT - 2 * H, NIGHT, (90, 450), (80, 400)),
        drive(NIGHT + 9 * H, NIGHT + 10 * H, (78, 392), (70, 350)),
    ]


def night_states() -> list[StateSpan]:
    return [
        StateSpan("online", NIGHT - H, NIGHT + H / 2),
        StateSpan("asleep", NIGHT + H / 2, NIGHT + 8.5 * H),  # 22:30 to 06:30: 8 of the 9 hours
        StateSpan("online", NIGHT + 8.5 * H, None),
    ]


def test_a_night_parked() -> None:
    [night] = parked_periods(night_drives(), [], night_states(), efficiency_wh_per_km=150.0)
    assert (night.started_at, night.ended_at, night.hours) == (NIGHT, NIGHT + 9 * H, 9.0)
    assert (night.battery_level_lost, night.rated_range_km_lost) == (2.0, 8.0)
    assert night.battery_level_per_hour == pytest.approx(2 / 9)
    assert night.rated_range_km_per_hour == pytest.approx(8 / 9)
    assert night.energy_lost_kwh == pytest.approx(1.2)  # 8 km * 150 Wh
    assert night.avg_power_w == pytest.approx(1200 / 9)  # 133.3 W
    assert night.asleep_share == pytest.approx(8 / 9)
    assert not night.gained


def test_without_efficiency_no_energy() -> None:
    [night] = parked_periods(night_drives(), [], night_states())
    assert (night.energy_lost_kwh, night.avg_power_w) == (None, None)


def test_asleep_spans_are_clipped_and_not_counted_twice() -> None:
    states = [
        StateSpan("asleep", NIGHT - 3 * H, NIGHT + 6 * H),  # from before the gap: 6 h inside
        StateSpan("offline", NIGHT + 5 * H, NIGHT + 7 * H),  # overlaps the sleep by 1 h: adds 1 h
        StateSpan("updating", NIGHT + 7 * H, NIGHT + 8 * H),  # awake
        StateSpan("offline", NIGHT + 8.5 * H, None),  # open: counts to the gap's end, 0.5 h
    ]
    [night] = parked_periods(night_drives(), [], states)
    assert night.asleep_share == pytest.approx(7.5 / 9)
    [unknown] = parked_periods(night_drives(), [], [])
    assert unknown.asleep_share == 0.0  # no state known counts as awake


def test_a_hidden_charge_is_flagged_and_left_out_of_the_summary() -> None:
    drives = [
        *night_drives(),
        # parked 08:00 to 12:00, and leaving with more than it arrived with: charged where we did not see it
        drive(NIGHT + 14 * H, NIGHT + 15 * H, (90, 450), (85, 425)),
    ]
    night, hidden = parked_periods(drives, [], night_states(), efficiency_wh_per_km=150.0)
    assert hidden.gained and (hidden.battery_level_lost, hidden.rated_range_km_lost) == (-20.0, -100.0)
    summary = drain_summary([night, hidden])
    assert summary is not None and (summary.periods, summary.excluded) == (1, 1)
    assert summary.battery_level_per_hour == pytest.approx(2 / 9)  # the night alone


def test_overlapping_drive_and_charge_merge() -> None:
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    drives = [
        drive(at, at + H / 2, (60, 300), (50, 250)),  # 10:00-10:30
        drive(at + 4 * H, at + 5 * H, (79, 395), (70, 350)),  # 14:00-15:00
        drive(at + 7 * H, at + 8 * H, (69, 345), (60, 300)),  # 17:00-18:00
    ]
    charges = [
        plug(at + H / 3, at + H, (50, 250), (80, 400)),  # 10:20-11:00, starts before the drive ended
        plug(at + 4.25 * H, at + 4.5 * H, (75, 375), (76, 380)),  # 14:15-14:30, inside the drive
    ]
    first, second = parked_periods(drives, charges, [])
    # 11:00-14:00 from the charge's end values; no gap between the drive and the charge
    assert (first.started_at, first.ended_at) == (at + H, at + 4 * H)
    assert (first.start_battery_level, first.end_battery_level) == (80.0, 79.0)
    # 15:00-17:00 from the drive's end values: the charge inside it ended earlier
    assert (second.started_at, second.start_battery_level, second.start_rated_range_km) == (
        at + 5 * H,
        70.0,
        350.0,
    )


def test_min_duration_is_respected() -> None:
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    drives = [
        drive(at, at + H, (60, 300), (58, 290)),
        drive(at + timedelta(minutes=110), at + 3 * H, (58, 290), (50, 250)),  # 50 min later
        drive(at + 4 * H, at + 5 * H, (50, 250), (40, 200)),  # exactly 1 h later
    ]
    assert parked_periods(drives, [], []) == []  # the default needs more than 1 h
    short = parked_periods(drives, [], [], min_duration=timedelta(minutes=30))
    assert [p.hours for p in short] == pytest.approx([50 / 60, 1.0])


def test_gaps_without_values_are_skipped() -> None:
    drives = night_drives()
    drives[0] = DriveFacts(NIGHT - 2 * H, NIGHT, 90.0, None, 450.0, 400.0)  # end level unknown
    assert parked_periods(drives, [], []) == []


def test_an_open_activity_leaves_no_gap_after_it() -> None:
    charges = [plug(NIGHT + H, None, (80, 400), (80, 400))]  # still charging
    [before] = parked_periods(night_drives()[:1], charges, [], min_duration=timedelta(minutes=30))
    assert (before.started_at, before.ended_at) == (NIGHT, NIGHT + H)
    later = [drive(NIGHT + 5 * H, NIGHT + 6 * H, (90, 450), (85, 425))]  # starts while it charges
    assert parked_periods(night_drives()[:1] + later, charges, [], min_duration=timedelta(minutes=30)) == [
        before
    ]


def test_drain_summary_weights_by_duration() -> None:
    drives = [
        *night_drives(),  # 9 h losing 2 % and 8 km (1.2 kWh), 8 h asleep
        drive(NIGHT + 13 * H, NIGHT + 14 * H, (69, 344), (60, 300)),  # 3 h losing 1 % and 6 km (0.9 kWh)
    ]
    periods = parked_periods(drives, [], night_states(), efficiency_wh_per_km=150.0)
    summary = drain_summary(periods)
    assert summary is not None
    assert (summary.periods, summary.excluded, summary.hours) == (2, 0, 12.0)
    assert summary.battery_level_per_hour == pytest.approx(3 / 12)  # (2 + 1) / (9 + 3)
    assert summary.rated_range_km_per_hour == pytest.approx(14 / 12)
    assert summary.avg_power_w == pytest.approx(2100 / 12)  # 175 W
    assert summary.asleep_share == pytest.approx(8 / 12)  # 8 h asleep of 12 h parked
    unknown_energy = drain_summary(parked_periods(drives, [], []))
    assert unknown_energy is not None and unknown_energy.avg_power_w is None


def test_no_counted_periods_no_summary() -> None:
    assert drain_summary([]) is None
