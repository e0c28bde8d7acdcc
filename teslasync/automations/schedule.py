"""Cron schedules read in a time zone, as UTC instants the engine's clock ticks past.

Daylight saving time, defined once: a time skipped when clocks go forward fires at the first minute after the
gap (02:30 on a spring-forward night in Berlin fires at 03:00); a time repeated when clocks go back fires once,
the first time (each local time a schedule names fires at most once per day). Ticks that missed several
occurrences fire once, not once per missed occurrence.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter  # type: ignore[import-untyped]

from teslasync.automations.model import Problem

# after a longer gap between ticks, the clock restarts from shortly before the tick instead of walking
# every missed occurrence
_CATCH_UP = timedelta(days=2)


def schedule_problems(expression: str, timezone: str, path: str) -> list[Problem]:
    problems: list[Problem] = []
    fields = expression.split()
    if expression.startswith("@"):
        valid = len(fields) == 1 and croniter.is_valid(expression)
    else:
        valid = len(fields) == 5 and croniter.is_valid(expression)
    if not valid:
        problems.append(
            Problem(
                f"{path}.expression",
                f"'{expression}' is not a five-field cron expression (minute hour day month weekday)",
            )
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(f"{path}.timezone", f"unknown time zone '{timezone}' (use an IANA name)"))
    return problems


class CronClock:
    """The occurrences of one schedule after a starting instant, taken as the clock passes them."""

    def __init__(self, expression: str, timezone: str, start: datetime) -> None:
        self.expression = expression
        self.zone = ZoneInfo(timezone)
        self._last_wall: datetime | None = None  # the local wall time of the last occurrence taken
        self.due, self._due_wall = self._next(start)

    def take(self, now: datetime) -> datetime | None:
        """The latest occurrence in (previous take, now], or None; the clock moves past `now`."""
        if self.due > now:
            return None
        if now - self.due > _CATCH_UP:
            self.due, self._due_wall = self._next(now - _CATCH_UP)
        latest = None
        while self.due <= now:
            latest = self.due
            self._last_wall = self._due_wall
            self.due, self._due_wall = self._next(self.due)
        return latest

    def _next(self, after: datetime) -> tuple[datetime, datetime]:
        """The first occurrence after `after` whose local wall time is later than the last one taken."""
        series = croniter(self.expression, after.astimezone(self.zone))
        while True:
            candidate: datetime = series.get_next(datetime)
            wall = candidate.replace(tzinfo=None)
            if self._last_wall is None or wall > self._last_wall:
                return candidate.astimezone(UTC), wall
