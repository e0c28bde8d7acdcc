"""Quiet hours: a daily span of local wall-clock time in which notifications wait instead of being sent.

The span is read off the clock in the user's time zone, as a person means "22:00 to 07:00": on the night the
clocks change it lasts an hour more or less. When the clocks jump over the end (spring forward) the quiet
hours end at the jump; when they go back, the repeated hour is quiet again if its wall time is in the span.
A span whose start is after its end crosses midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_SEARCH_STEP = timedelta(seconds=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'") from None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("needs a timezone-aware datetime (quiet hours are local to the user's zone)")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    timezone: str
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"{name} must be a local time of day without a time zone")
        if self.start == self.end:
            raise ValueError(
                "start and end must differ (a span of no time, or of every hour, is not quiet hours)"
            )
        object.__setattr__(self, "zone", _zone(self.timezone))

    def _quiet_at_wall(self, wall: time) -> bool:
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    def contains(self, at: datetime) -> bool:
        """Whether the instant `at` (timezone-aware) falls in quiet hours."""
        local = _aware(at).astimezone(self.zone)
        return self._quiet_at_wall(local.time())

    def ends_after(self, at: datetime) -> datetime:
        """The first instant, at or after `at`, that is not quiet, in UTC: when a notification held back at `at`
        may go out. `at` itself when it is not in quiet hours."""
        now = _aware(at)
        if not self.contains(now):
            return now
        end = self._next_wall_time(now, self.end)
        shift = self._offset_change(now, end)
        if shift is not None and not self.contains(shift):
            return shift
        return end

    def _next_wall_time(self, after: datetime, wall: time) -> datetime:
        """The first instant after `after` whose local time reads `wall`; a wall time the clocks skip is left
        to `_offset_change`, which finds the jump."""
        today = after.astimezone(self.zone).date()
        for day in (today - timedelta(days=1), today, today + timedelta(days=1), today + timedelta(days=2)):
            for instant in sorted(self._instants(day, wall)):
                if instant > after:
                    return instant
        raise AssertionError("a wall time recurs within two days")  # pragma: no cover

    def _instants(self, day: date, wall: time) -> set[datetime]:
        """The UTC instants whose local time is `wall` on `day`: none in a gap, two in a repeated hour."""
        found = set()
        naive = datetime.combine(day, wall)
        for fold in (0, 1):
            instant = naive.replace(tzinfo=self.zone, fold=fold).astimezone(UTC)
            if instant.astimezone(self.zone).replace(tzinfo=None) == naive:
                found.add(instant)
        return found

    def _offset_change(self, start: datetime, end: datetime) -> datetime | None:
        """The first instant in (start, end] with a different UTC offset than `start`, to the second; the
        search assumes at most one change, as between two days."""
        before = start.astimezone(self.zone).utcoffset()
        if end.astimezone(self.zone).utcoffset() == before:
            return None
        low, high = start, end
        while high - low > _SEARCH_STEP:
            middle = low + (high - low) / 2
            if middle.astimezone(self.zone).utcoffset() == before:
                low = middle
            else:
                high = middle
        return low.replace(microsecond=0) + _SEARCH_STEP  # clocks change on a whole second
