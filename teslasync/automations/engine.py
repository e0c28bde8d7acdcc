"""The rule engine: turns what a vehicle reports into the firings of the rules that target it.

Pure and synchronous: it reads samples, announcements (state changes, charging sessions, alerts) and clock
ticks, keeps per-vehicle and per-(rule, vehicle) memory, and returns `Firing`s whose actions the caller
carries out. Nothing here does I/O, so the live path, a restart and a dry run over stored history all
behave the same.

Firing, precisely:
- Signal triggers (threshold, equals, geofence) fire once per rising edge of their side; the first value
  seen for a (rule, vehicle) only sets the side. Samples are taken in time order per vehicle; one no newer
  than the latest already seen for its field is ignored (out-of-order or redelivered).
- `debounce_s`: the rising edge starts a wait; the rule fires at the first moment the engine learns of at
  least `debounce_s` later (a sample of that vehicle, or a tick) while the side has stayed active. If the
  side turns back first, nothing fires.
- `cooldown_s`: a firing closer than that to the previous firing of the rule for the vehicle is dropped.
- Conditions are evaluated at firing time with the vehicle's latest values; an edge that fails them (or
  falls in the cool-down) is dropped, not postponed.
- Charging, state and alert announcements and cron schedules: see the `observe_*` methods and `tick`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from teslasync.analytics.samples import Sample, number, position
from teslasync.analytics.states import State
from teslasync.automations.actions import Action
from teslasync.automations.facts import Facts
from teslasync.automations.geofences import Circle
from teslasync.automations.rules import Rule, RuleInvalid, StoredRule
from teslasync.automations.schedule import CronClock
from teslasync.automations.triggers import (
    AlertTrigger,
    ChargingTrigger,
    GeofenceTrigger,
    ScheduleTrigger,
    SignalTrigger,
    StateTrigger,
    ThresholdTrigger,
)

log = logging.getLogger("teslasync.automations")

Key = tuple[int, str]  # (rule id, VIN)
GeofenceLookup = Callable[[int], Circle | None] | Mapping[int, Circle]

CHARGE_STATE = "DetailedChargeState"
# the charge states that say how a session is going; Disconnected and Unknown say nothing about its outcome
_CHARGE_OUTCOMES = frozenset({"Starting", "Charging", "Complete", "Stopped", "NoPower"})
CHARGING_PHASES = ("open", "started", "closed", "completed", "stopped")
_ALERT_MEMORY = 256  # alert names remembered per vehicle, for redelivery


@dataclass(frozen=True, slots=True)
class Firing:
    rule_id: int
    vin: str
    at: datetime
    trigger_detail: str
    values: dict[str, Any]  # the template placeholders, JSON-serialisable
    actions: list[Action]  # notification texts already filled in

    def as_json(self) -> dict[str, Any]:
        return {
            "ruleId": self.rule_id,
            "vin": self.vin,
            "at": self.at.isoformat(),
            "trigger": self.trigger_detail,
            "values": dict(self.values),
            "actions": [action.model_dump(mode="json", exclude_none=True) for action in self.actions],
        }


@dataclass(slots=True)
class _Session:
    started_at: datetime
    closed: bool = False


@dataclass(slots=True)
class _Vehicle:
    facts: Facts = field(default_factory=Facts)
    first_seen: datetime | None = None  # the time of the first sample seen since the engine started
    state: tuple[datetime, str] | None = None
    session: _Session | None = None
    charge_state: str | None = None  # the latest charge state that tells a session's outcome
    alerts: dict[str, datetime] = field(default_factory=dict)

    def charging_outcome(self) -> str:
        if self.charge_state is not None:
            return "completed" if self.charge_state == "Complete" else "stopped"
        level, limit = self.facts.battery(), number(self.facts.get("ChargeLimitSoc"))
        return "completed" if level is not None and limit is not None and level >= limit - 1 else "stopped"


class RuleEngine:
    def __init__(
        self,
        rules: Iterable[StoredRule],
        *,
        last_fired: Mapping[Key, datetime] | None = None,
        geofences: GeofenceLookup | None = None,
    ) -> None:
        """`last_fired` restores cool-downs across a restart; `geofences` resolves the rules' geofence ids
        (a rule naming one it cannot resolve is skipped, and listed in `skipped`)."""
        self.geofences = geofences
        self.skipped: dict[int, str] = {}
        self._rules: dict[int, Rule] = {}
        self._signals: dict[str, list[int]] = {}
        self._kinds: dict[str, list[int]] = {}
        self._edges: dict[Key, bool] = {}  # the side last seen
        self._pending: dict[Key, datetime] = {}  # debounces under way: since when
        self._last_fired: dict[Key, datetime] = dict(last_fired or {})
        self._vehicles: dict[str, _Vehicle] = {}
        self._clocks: dict[int, CronClock] = {}
        self._last_tick: datetime | None = None
        self.replace_rules(rules)

    # --- rules -------------------------------------------------------------------------------------------

    def replace_rules(self, rules: Iterable[StoredRule]) -> None:
        """Swap the rule set. An unchanged rule keeps all its state; a changed one starts afresh (its next
        value only sets the side again) but keeps its last firing times, so editing a rule does not defeat
        its cool-down; a removed or disabled one is forgotten."""
        active: dict[int, Rule] = {}
        self.skipped = {}
        for stored in rules:
            if not stored.rule.enabled:
                continue
            rule = self._resolved(stored)
            if rule is not None:
                active[stored.id] = rule
        for rule_id, old in self._rules.items():
            if active.get(rule_id) != old:
                self._forget(rule_id, keep_firings=rule_id in active)
        self._rules = active
        self._signals, self._kinds = {}, {}
        for rule_id, rule in active.items():
            self._kinds.setdefault(rule.trigger.kind, []).append(rule_id)
            if isinstance(rule.trigger, SignalTrigger):
                self._signals.setdefault(rule.trigger.signal, []).append(rule_id)

    @property
    def rules(self) -> Mapping[int, Rule]:
        return dict(self._rules)

    @property
    def last_fired(self) -> dict[Key, datetime]:
        """When each rule last fired for each vehicle; persist it to keep cool-downs across restarts."""
        return dict(self._last_fired)

    def _resolved(self, stored: StoredRule) -> Rule | None:
        rule = stored.rule
        if self.geofences is None or not rule.geofence_ids():
            if not rule.unresolved():
                return rule
            self.skipped[stored.id] = "names a geofence, and no geofences were given to resolve it"
            return None
        try:
            return rule.with_geofences(self.geofences)
        except RuleInvalid as error:
            self.skipped[stored.id] = error.message
            log.warning("automation rule %s skipped: %s", stored.id, error.message)
            return None

    def _forget(self, rule_id: int, *, keep_firings: bool) -> None:
        for memory in (self._edges, self._pending, *(() if keep_firings else (self._last_fired,))):
            for key in [key for key in memory if key[0] == rule_id]:
                del memory[key]
        self._clocks.pop(rule_id, None)

    @staticmethod
    def _signal(rule: Rule) -> SignalTrigger:
        assert isinstance(rule.trigger, SignalTrigger)
        return rule.trigger

    # --- inputs ------------------------------------------------------------------------------------------

    def observe(self, vin: str, tags: Collection[str], samples: Sequence[Sample]) -> list[Firing]:
        """Telemetry of one vehicle (values already normalised and metric, in any order)."""
        vehicle = self._vehicle(vin)
        firings: list[Firing] = []
        for ts, group in groupby(sorted(samples, key=lambda sample: sample.ts), key=lambda sample: sample.ts):
            if vehicle.first_seen is None:
                vehicle.first_seen = ts
            fresh = [sample for sample in group if vehicle.facts.accept(sample)]
            for sample in fresh:
                if sample.field == CHARGE_STATE and sample.value in _CHARGE_OUTCOMES:
                    vehicle.charge_state = sample.value
            for sample in fresh:
                for rule_id in self._signals.get(sample.field, ()):
                    rule = self._rules[rule_id]
                    if rule.target.matches(vin, tags):
                        firings.extend(self._edge(rule_id, rule, vin, sample.value, ts))
            firings.extend(self._confirm(ts, vin))
        return firings

    def observe_state(
        self, vin: str, tags: Collection[str], state: State | str, previous: State | str | None, at: datetime
    ) -> list[Firing]:
        """The vehicle's state changed (analytics' `$state` announcement). `previous` may be None; the engine
        then uses the state it last saw. With neither (the first announcement after a start) the state is
        only recorded. A repeated or older announcement is ignored."""
        vehicle = self._vehicle(vin)
        now = State(state).value
        known = vehicle.state
        if known is not None and (at < known[0] or known[1] == now):
            return []
        before = State(previous).value if previous is not None else (known[1] if known else None)
        vehicle.state = (at, now)
        if before is None or before == now:
            return []
        firings = []
        for rule_id, rule in self._matching("state", vin, tags):
            assert isinstance(rule.trigger, StateTrigger)
            if rule.trigger.matches(now, before):
                detail = f"state changed from {before} to {now}"
                values = {"state": now, "previous": before, "value": now}
                firings.extend(self._fire(rule_id, rule, vin, at, detail, values))
        return firings

    def observe_charging(
        self, vin: str, tags: Collection[str], phase: str, at: datetime, *, started_at: datetime | None = None
    ) -> list[Firing]:
        """A charging session event. `phase` is an event (`started`, `completed`, `stopped`) or a status as
        analytics announces it on `$charging` (`open`, repeated while a session runs; `closed`), with the
        session's `started_at`. `open` counts as `started` once per session, and not for a session that began
        before the first sample the engine saw of the vehicle (it was running before a restart); `closed` is
        `completed` if the last charge state was Complete (or, without one, the battery reached the charge
        limit), else `stopped`."""
        if phase not in CHARGING_PHASES:
            raise ValueError(f"unknown charging phase '{phase}' (one of: {', '.join(CHARGING_PHASES)})")
        vehicle = self._vehicle(vin)
        session, started = vehicle.session, started_at or at
        known = session is not None and session.started_at == started
        if phase in ("open", "started"):
            if known:
                return []
            vehicle.session = _Session(started)
            if phase == "open" and (vehicle.first_seen is None or started < vehicle.first_seen):
                return []
            event = "started"
        else:
            if known and session is not None and session.closed:
                return []
            vehicle.session = _Session(started, closed=True)
            event = vehicle.charging_outcome() if phase == "closed" else phase
        firings = []
        for rule_id, rule in self._matching("charging", vin, tags):
            assert isinstance(rule.trigger, ChargingTrigger)
            if rule.trigger.event == event:
                detail = f"charging {event}"
                firings.extend(self._fire(rule_id, rule, vin, at, detail, {"event": event, "value": event}))
        return firings

    def observe_alert(self, vin: str, tags: Collection[str], name: str, at: datetime) -> list[Firing]:
        """A vehicle alert was raised at `at` (its start); the same alert again, or an older one, is ignored."""
        vehicle = self._vehicle(vin)
        seen = vehicle.alerts.pop(name, None)
        vehicle.alerts[name] = max(at, seen) if seen is not None else at
        while len(vehicle.alerts) > _ALERT_MEMORY:
            del vehicle.alerts[next(iter(vehicle.alerts))]
        if seen is not None and at <= seen:
            return []
        firings = []
        for rule_id, rule in self._matching("alert", vin, tags):
            assert isinstance(rule.trigger, AlertTrigger)
            if rule.trigger.matches(name):
                firings.extend(
                    self._fire(rule_id, rule, vin, at, f"alert {name}", {"alert": name, "value": name})
                )
        return firings

    def tick(self, now: datetime, vehicles: Mapping[str, Collection[str]]) -> list[Firing]:
        """The clock passed `now`: confirm debounces that have waited long enough, and fire cron schedules
        for each vehicle of `vehicles` (VIN -> tags) their target matches. The first tick only starts the
        schedules' clocks; a schedule fires once for the latest occurrence since the previous tick, at that
        occurrence's time."""
        firings = self._confirm(now, None)
        start = self._last_tick or now
        for rule_id, rule in self._by_kind("schedule"):
            trigger = rule.trigger
            assert isinstance(trigger, ScheduleTrigger)
            clock = self._clocks.get(rule_id)
            if clock is None:
                clock = self._clocks[rule_id] = CronClock(trigger.expression, trigger.timezone, start)
            occurred = clock.take(now)
            if occurred is None:
                continue
            detail = trigger.describe(occurred)
            local = f"{occurred.astimezone(clock.zone):%Y-%m-%d %H:%M}"
            for vin, tags in vehicles.items():
                if rule.target.matches(vin, tags):
                    self._vehicle(vin)
                    firings.extend(self._fire(rule_id, rule, vin, occurred, detail, {"value": local}))
        self._last_tick = max(now, self._last_tick) if self._last_tick is not None else now
        return firings

    # --- firing ------------------------------------------------------------------------------------------

    def _edge(self, rule_id: int, rule: Rule, vin: str, value: Any, at: datetime) -> list[Firing]:
        trigger = self._signal(rule)
        key = (rule_id, vin)
        before = self._edges.get(key)
        side = trigger.side(value, before)
        if side is None:
            return []
        self._edges[key] = side
        if not side:
            self._pending.pop(key, None)
            return []
        if before is None or before:
            return []
        if rule.debounce_s:
            self._pending[key] = at
            return []
        return self._fire(
            rule_id, rule, vin, at, trigger.describe(value), self._signal_values(trigger, value)
        )

    def _confirm(self, now: datetime, vin: str | None) -> list[Firing]:
        firings = []
        for key, since in list(self._pending.items()):
            rule_id, pending_vin = key
            rule = self._rules[rule_id]
            if (vin is not None and pending_vin != vin) or now - since < timedelta(seconds=rule.debounce_s):
                continue
            del self._pending[key]
            trigger = self._signal(rule)
            value = self._vehicle(pending_vin).facts.get(trigger.signal)
            detail = f"{trigger.describe(value)}, held for {rule.debounce_s:g} s"
            firings.extend(
                self._fire(rule_id, rule, pending_vin, now, detail, self._signal_values(trigger, value))
            )
        return firings

    @staticmethod
    def _signal_values(trigger: SignalTrigger, value: Any) -> dict[str, Any]:
        if isinstance(trigger, GeofenceTrigger):
            where = position(value)
            latitude, longitude = where if where is not None else (None, None)
            return {
                "geofence": trigger.label(),
                "value": trigger.label(),
                "latitude": latitude,
                "longitude": longitude,
            }
        values: dict[str, Any] = {"field": trigger.field, "value": value}
        if isinstance(trigger, ThresholdTrigger):
            values["threshold"] = trigger.value
        return values

    def _fire(
        self, rule_id: int, rule: Rule, vin: str, at: datetime, detail: str, extra: Mapping[str, Any]
    ) -> list[Firing]:
        key = (rule_id, vin)
        last = self._last_fired.get(key)
        if rule.cooldown_s and last is not None and at - last < timedelta(seconds=rule.cooldown_s):
            return []
        facts = self._vehicle(vin).facts
        if not all(condition.holds(facts, at) for condition in rule.conditions):
            return []
        self._last_fired[key] = max(at, last) if last is not None else at
        values: dict[str, Any] = {
            "vin": vin,
            "rule": rule.name,
            "rule_id": rule_id,
            "at": at.isoformat(),
            "trigger": detail,
            "battery": facts.battery(),
            **extra,
        }
        actions: list[Action] = [action.rendered(values) for action in rule.actions]
        return [Firing(rule_id, vin, at, detail, values, actions)]

    def _vehicle(self, vin: str) -> _Vehicle:
        vehicle = self._vehicles.get(vin)
        if vehicle is None:
            vehicle = self._vehicles[vin] = _Vehicle()
        return vehicle

    def _by_kind(self, kind: str) -> list[tuple[int, Rule]]:
        return [(rule_id, self._rules[rule_id]) for rule_id in self._kinds.get(kind, ())]

    def _matching(self, kind: str, vin: str, tags: Collection[str]) -> list[tuple[int, Rule]]:
        return [(rule_id, rule) for rule_id, rule in self._by_kind(kind) if rule.target.matches(vin, tags)]
