"""Conditions that must hold for a while before they are worth telling (left unlocked, a door open)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class Period:
    """One such condition. An occurrence begins when the condition itself begins (the car is unlocked, a
    door opens) and is told at most once, even when the clock restarts within it (the driver sat in the car
    for a while, the car was driven and parked again): the occurrence's start is its identity and its key."""

    opened: datetime | None = None  # when the condition began: the occurrence
    since: datetime | None = None  # when it began to count (the car also parked, nobody in it)
    told: datetime | None = None  # the occurrence already told

    def update(self, condition: bool, counts: bool, at: datetime) -> None:
        if not condition:
            self.opened = self.since = None
            return
        if self.opened is None:
            self.opened = at
        if not counts:
            self.since = None
        elif self.since is None:
            self.since = max(at, self.opened)  # a state change can be dated before the condition began

    def due(self, now: datetime, after_s: float) -> datetime | None:
        """When the current occurrence became worth telling, if it has by `now` and was not told yet."""
        if self.opened is None or self.since is None or self.told == self.opened:
            return None
        at = self.since + timedelta(seconds=after_s)
        return at if at <= now else None

    def mark_told(self) -> datetime:
        assert self.opened is not None
        self.told = self.opened
        return self.opened
