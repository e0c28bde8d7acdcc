"""Daily figures on the local calendar: attributed to the start day, times split at local midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from teslasync.analytics.daily import ChargeDay, DriveDay, SpanDay, daily_stats, drive_energy

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


def test_a_day_of_drives_charges_and_a_night_asleep() -> None:
    drives = [
        DriveDay(berlin(2, 8), 12.5, 2.0),
        DriveDay(berlin(2, 23, 50), 20.0, None),  # past midnight: still Monday's
        DriveDay(berlin(1, 23, 59), 5.0, 1.0),  # Sunday: before the range
    ]
    charges = [
        ChargeDay(berlin(2, 18), 30.0, Decimal("9.00"), "EUR"),
        ChargeDay(berlin(2, 20), 5.0, None, None),
        ChargeDay(berlin(3, 1), 10.0, Decimal("3.50"), "EUR"),
    ]
    # asleep Monday 22:00 to Tuesday 07:00: 2 h on Monday, 7 h on Tuesday
    spans = [SpanDay("asleep", berlin(2, 22), berlin(3, 7)), SpanDay("online", berlin(3, 7), None)]
    monday, tuesday = daily_stats(
        drives, charges, spans, date(2026, 3, 2), date(2026, 3, 3), BERLIN, now=berlin(3, 8)
    )
    assert (monday.drives, monday.distance_km, monday.energy_used_kwh) == (2, 32.5, 2.0)
    assert (monday.charges, monday.energy_added_kwh) == (2, 35.0)
    assert monday.costs == {"EUR": Decimal("9.00")} and not monday.cost_complete
    assert monday.seconds == {"asleep": 2 * 3600}
    assert tuesday.seconds == {"asleep": 7 * 3600, "online": 3600}
    assert tuesday.costs == {"EUR": Decimal("3.50")} and tuesday.cost_complete
    assert (tuesday.drives, tuesday.energy_used_kwh) == (0, None)


def test_a_dst_night_has_23_hours() -> None:
    # 2026-03-29: clocks go from 02:00 to 03:00 in Berlin
    [day] = daily_stats(
        [],
        [],
        [SpanDay("asleep", datetime(2026, 3, 28, 23, tzinfo=UTC), None)],
        date(2026, 3, 29),
        date(2026, 3, 29),
        BERLIN,
        now=datetime(2026, 3, 30, 12, tzinfo=UTC),
    )
    assert day.seconds == {"asleep": 23 * 3600}


def test_drive_energy_falls_back_to_range_times_efficiency() -> None:
    assert drive_energy(3.2, 100, 80, 150) == 3.2
    assert drive_energy(None, 100, 80, 150) == pytest.approx(3.0)
    assert drive_energy(None, 100, 80, None) is None


def test_the_range_is_bounded() -> None:
    with pytest.raises(ValueError, match="at most 366 days"):
        daily_stats([], [], [], date(2025, 1, 1), date(2026, 1, 2), BERLIN, now=berlin(1, 0))
    with pytest.raises(ValueError, match="before the first"):
        daily_stats([], [], [], date(2026, 1, 2), date(2026, 1, 1), BERLIN, now=berlin(1, 0))
