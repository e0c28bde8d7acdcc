"""The charging events: started, complete, stopped unexpectedly, limit reached.

Which signal says the car charges:
- `DetailedChargeState` (fw 2024.38+, and what the Fleet API poller maps `charging_state` to): authoritative.
- Otherwise `ChargeState`, when it carries the same words (`Charging`, `ChargeStateCharging`...).
- Otherwise (a legacy stream whose `ChargeState` reads `Idle`, `Enable`, `Startup`...: those words cannot
  tell charging from preconditioning) the derived `charging` state, which the analytics only enter when
  energy flows into the pack.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from teslasync.analytics.samples import number
from teslasync.analytics.states import State
from teslasync.notify.detect import messages
from teslasync.notify.detect.readings import STOP_PHASES, charge_phase
from teslasync.notify.detect.settings import DetectorSettings
from teslasync.notify.events import Event

CHARGE_STATE_FIELDS = frozenset({"DetailedChargeState", "ChargeState"})
CHARGE_LEVEL_FIELDS = frozenset({"BatteryLevel", "Soc", "ChargeLimitSoc"})
ENDED = "Ended"  # a legacy car stopped charging for a reason the data cannot tell


class ChargeTracker:
    """The charge phase of one car and the session it is in. `value(field)` reads the latest value."""

    def __init__(self, vin: str, settings: DetectorSettings, value: Callable[[str], Any]) -> None:
        self.vin = vin
        self.settings = settings
        self._value = value
        self._typed = False  # the car sends DetailedChargeState
        self._worded = False  # its ChargeState carries DetailedChargeState words
        self._phase: str | None = None  # None: not known yet (the first word is the baseline)
        self._session: datetime | None = None  # when the current charge began
        self._limit_told = False

    def on_charge_state(self, field: str, ts: datetime) -> list[Event]:
        """A new DetailedChargeState or ChargeState value."""
        if field == "ChargeState" and self._typed:
            return []
        phase = charge_phase(self._value(field))
        if field == "DetailedChargeState" or phase is not None:
            self._take_charge_state_from_the_car(typed=field == "DetailedChargeState")
        return self._move(phase, ts)

    def on_level(self, ts: datetime) -> list[Event]:
        """A new BatteryLevel, Soc or ChargeLimitSoc: once per charge, the level reaching the limit."""
        if self._phase != "Charging" or self._limit_told or self._session is None or not self._at_limit():
            return []
        self._limit_told = True
        level, limit = self._level(), self._limit()
        assert level is not None and limit is not None
        return [messages.charge_limit_reached(self.vin, ts, self._session, level, limit)]

    def on_state(self, old: str | None, new: str, at: datetime) -> list[Event]:
        """A derived state change, for a car whose charge state is only legacy words: `charging` is the
        charge. Its end is told only when the car stays online (complete at the limit, stopped below it);
        offline or asleep says nothing about why it ended."""
        if self._typed or self._worded:
            return []
        if new == State.CHARGING:
            return self._move("Charging", at)
        if old != State.CHARGING or self._phase != "Charging":
            self._phase = self._phase or ENDED  # the baseline: not charging
            return []
        level, limit = self._level(), self._limit()
        if new != State.ONLINE or level is None or limit is None:
            return self._move(ENDED, at)
        complete = level >= limit - self.settings.stop_margin_pct
        return self._move("Complete" if complete else "Stopped", at)

    def _take_charge_state_from_the_car(self, *, typed: bool) -> None:
        """The car says how it charges: what the derived state made of it so far is dropped, and the car's
        first word is the baseline (a capture can begin mid-charge while the state reads `online`)."""
        if not (self._typed or self._worded):
            self._phase = self._session = None
        self._typed = self._typed or typed
        self._worded = self._worded or not typed

    def _move(self, phase: str | None, ts: datetime) -> list[Event]:
        """Charging -> started; Charging -> Complete; Charging -> Stopped/Disconnected/NoPower below the limit."""
        if phase is None:
            return []  # Unknown, or a legacy word: says nothing
        old, self._phase = self._phase, phase
        if old == phase:
            return []
        if phase == "Charging":
            return self._begin(ts, baseline=old is None)
        session, self._session = self._session, None
        if old != "Charging" or session is None:
            return []
        level, limit = self._level(), self._limit()
        if phase == "Complete":
            return [messages.charge_complete(self.vin, ts, session, level, limit)]
        margin = self.settings.stop_margin_pct
        if phase in STOP_PHASES and level is not None and limit is not None and level < limit - margin:
            return [messages.charge_stopped(self.vin, ts, session, phase, level, limit)]
        return []

    def _begin(self, ts: datetime, *, baseline: bool) -> list[Event]:
        self._session, self._limit_told = ts, False
        if baseline:  # charging already when first seen: nothing to tell, the limit perhaps reached
            self._limit_told = self._at_limit()
            return []
        fast = self._value("FastChargerPresent") is True
        started = messages.charge_started(self.vin, ts, self._level(), self._limit(), fast)
        return [started, *self.on_level(ts)]

    def _level(self) -> float | None:
        """The level the charge limit is set against (BatteryLevel), else the usable level (Soc)."""
        level = number(self._value("BatteryLevel"))
        return level if level is not None else number(self._value("Soc"))

    def _limit(self) -> float | None:
        return number(self._value("ChargeLimitSoc"))

    def _at_limit(self) -> bool:
        level, limit = self._level(), self._limit()
        return level is not None and limit is not None and level >= limit - self.settings.limit_tolerance_pct
