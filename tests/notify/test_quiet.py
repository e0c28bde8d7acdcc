"""Quiet hours on the wall clock of the user's zone: within a day, across midnight, and on the nights the
clocks change (Europe/Berlin: 2024-03-31 02:00 -> 03:00, 2024-10-27 03:00 -> 02:00)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from teslasync.notify.quiet import QuietHours

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = QuietHours(time(22, 0), time(7, 0), "Europe/Berlin")


def berlin(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=BERLIN, fold=fold)  # type: ignore[misc]


def test_a_span_within_a_day() -> None:
    work = QuietHours(time(9, 0), time(17, 30), "Europe/Berlin")
    assert work.contains(berlin(2024, 6, 3, 9, 0))
    assert work.contains(berlin(2024, 6, 3, 17, 29, 59))
    assert not work.contains(berlin(2024, 6, 3, 17, 30))
    assert not work.contains(berlin(2024, 6, 3, 8, 59))
    assert work.ends_after(berlin(2024, 6, 3, 12, 0)) == datetime(2024, 6, 3, 15, 30, tzinfo=UTC)


def test_a_span_across_midnight() -> None:
    assert NIGHT.contains(berlin(2024, 1, 10, 23, 30))
    assert NIGHT.contains(berlin(2024, 1, 11, 6, 59))
    assert not NIGHT.contains(berlin(2024, 1, 11, 7, 0))
    assert not NIGHT.contains(berlin(2024, 1, 10, 21, 59))
    end = datetime(2024, 1, 11, 6, 0, tzinfo=UTC)  # 07:00 CET
    assert NIGHT.ends_after(berlin(2024, 1, 10, 23, 30)) == end
    assert NIGHT.ends_after(berlin(2024, 1, 11, 3, 0)) == end


def test_the_instant_is_read_in_the_users_zone_whatever_zone_it_comes_in() -> None:
    assert NIGHT.contains(datetime(2024, 1, 10, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    assert not NIGHT.contains(datetime(2024, 1, 10, 20, 30, tzinfo=UTC))
    tokyo = datetime(2024, 1, 11, 7, 30, tzinfo=ZoneInfo("Asia/Tokyo"))  # 23:30 in Berlin the day before
    assert NIGHT.contains(tokyo)


def test_outside_quiet_hours_delivery_is_now() -> None:
    at = berlin(2024, 1, 10, 12, 0)
    assert NIGHT.ends_after(at) == at and NIGHT.ends_after(at).tzinfo is UTC


def test_spring_forward_shortens_the_night() -> None:
    start = berlin(2024, 3, 30, 22, 0)
    end = NIGHT.ends_after(start)
    assert end == datetime(2024, 3, 31, 5, 0, tzinfo=UTC)  # 07:00 CEST
    assert end - start == timedelta(hours=8)
    assert NIGHT.contains(datetime(2024, 3, 31, 4, 59, tzinfo=UTC))


def test_fall_back_lengthens_the_night_and_the_repeated_hour_is_quiet() -> None:
    start = berlin(2024, 10, 26, 22, 0)
    end = NIGHT.ends_after(start)
    assert end == datetime(2024, 10, 27, 6, 0, tzinfo=UTC)  # 07:00 CET
    assert end - start == timedelta(hours=10)
    assert NIGHT.contains(berlin(2024, 10, 27, 2, 30, fold=0))
    assert NIGHT.contains(berlin(2024, 10, 27, 2, 30, fold=1))


def test_an_end_the_clocks_skip_ends_at_the_jump() -> None:
    short = QuietHours(time(23, 0), time(2, 30), "Europe/Berlin")
    assert short.ends_after(berlin(2024, 3, 31, 1, 0)) == datetime(
        2024, 3, 31, 1, 0, tzinfo=UTC
    )  # 03:00 CEST
    assert not short.contains(datetime(2024, 3, 31, 1, 0, tzinfo=UTC))
    assert short.contains(datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC))


def test_an_end_in_the_repeated_hour_is_its_first_pass() -> None:
    short = QuietHours(time(23, 0), time(2, 30), "Europe/Berlin")
    first_pass = short.ends_after(berlin(2024, 10, 27, 1, 0))
    assert first_pass == berlin(2024, 10, 27, 2, 30, fold=0).astimezone(UTC)
    # the clock then reads 02:00 to 02:30 once more, which is quiet again, ending at the second 02:30
    again = berlin(2024, 10, 27, 2, 10, fold=1)
    assert short.contains(again)
    assert short.ends_after(again) == berlin(2024, 10, 27, 2, 30, fold=1).astimezone(UTC)


def test_falling_back_out_of_the_span_ends_it() -> None:
    """New York, 2024-11-03: 02:00 EDT becomes 01:00 EST, before the span's 01:30 start."""
    late = QuietHours(time(1, 30), time(6, 0), "America/New_York")
    at = datetime(2024, 11, 3, 5, 45, tzinfo=UTC)  # 01:45 EDT
    assert late.ends_after(at) == datetime(2024, 11, 3, 6, 0, tzinfo=UTC)  # 01:00 EST
    assert late.contains(datetime(2024, 11, 3, 6, 30, tzinfo=UTC))  # 01:30 EST: quiet again


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        NIGHT.contains(datetime(2024, 1, 10, 23, 30))


@pytest.mark.parametrize(
    ("start", "end", "zone", "message"),
    [
        (time(22), time(7), "Mars/Olympus_Mons", "unknown time zone 'Mars/Olympus_Mons'"),
        (time(22), time(7), "../../etc/passwd", "unknown time zone"),
        (time(22), time(7), "", "unknown time zone"),
        (time(7), time(7), "UTC", "must differ"),
        (time(22, tzinfo=UTC), time(7), "UTC", "start must be a local time"),
    ],
)
def test_bad_settings_are_explained(start: time, end: time, zone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        QuietHours(start, end, zone)
