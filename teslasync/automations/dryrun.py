"""Dry run: what a rule would have done over stored history, so a user can try a rule before enabling it.

A fresh engine holding only this rule (enabled, whatever its stored flag) is fed the history in time order,
with clock ticks interleaved for cron schedules and debounces; the firings are returned and nothing is
carried out. At equal times, samples go first, then announcements, then the tick, as they would live.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from teslasync.analytics.samples import Sample
from teslasync.analytics.states import State
from teslasync.automations.engine import Firing, GeofenceLookup, RuleEngine
from teslasync.automations.rules import Rule, StoredRule

TICK = timedelta(minutes=1)
_SAMPLE, _EVENT, _TICK = 0, 1, 2
_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class StateChange:
    at: datetime
    state: State | str
    previous: State | str | None = None


@dataclass(frozen=True, slots=True)
class ChargingChange:
    at: datetime
    phase: str  # as `RuleEngine.observe_charging` takes it
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertRaised:
    at: datetime
    name: str


Event = StateChange | ChargingChange | AlertRaised


def dry_run(
    rule: Rule,
    samples_by_vin: Mapping[str, Iterable[Sample]],
    *,
    states: Mapping[str, Iterable[StateChange]] | None = None,
    charging: Mapping[str, Iterable[ChargingChange]] | None = None,
    alerts: Mapping[str, Iterable[AlertRaised]] | None = None,
    tags_by_vin: Mapping[str, Collection[str]] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    geofences: GeofenceLookup | None = None,
    tick_every: timedelta = TICK,
    rule_id: int = 0,
) -> list[Firing]:
    """The firings of `rule` over the history in [since, until] (default: the span of the history given).
    Vehicles are those with history or tags; `tags_by_vin` gives their tags for tag targets."""
    if tick_every <= timedelta(0):
        raise ValueError("tick_every must be positive")
    tags: dict[str, set[str]] = {vin: set() for vin in _vins(samples_by_vin, states, charging, alerts)}
    tags.update({vin: set(given) for vin, given in (tags_by_vin or {}).items()})
    items: list[tuple[datetime, int, str, Any]] = []
    for vin, samples in samples_by_vin.items():
        items.extend((sample.ts, _SAMPLE, vin, sample) for sample in samples)
    for source in (states, charging, alerts):
        for vin, events in (source or {}).items():
            items.extend((event.at, _EVENT, vin, event) for event in events)
    items = [
        item for item in items if (since is None or item[0] >= since) and (until is None or item[0] <= until)
    ]
    if not items and (since is None or until is None):
        return []
    start = since if since is not None else min(item[0] for item in items)
    end = until if until is not None else max(item[0] for item in items)
    tick = start
    while tick <= end:
        items.append((tick, _TICK, "", None))
        tick += tick_every
    items.sort(key=lambda item: (item[0], item[1]))

    engine = RuleEngine([StoredRule(rule_id, rule.model_copy(update={"enabled": True}))], geofences=geofences)
    engine.tick(start - _BEFORE, tags)  # starts the schedules' clocks, so an occurrence at `since` counts
    firings: list[Firing] = []
    for (at, order, vin), group in groupby(items, key=lambda item: item[:3]):
        batch = [item[3] for item in group]
        if order == _SAMPLE:
            firings.extend(engine.observe(vin, tags[vin], batch))
        elif order == _TICK:
            firings.extend(engine.tick(at, tags))
        else:
            for event in batch:
                firings.extend(_announce(engine, vin, tags[vin], event))
    return firings


def _announce(engine: RuleEngine, vin: str, tags: Collection[str], event: Event) -> list[Firing]:
    if isinstance(event, StateChange):
        return engine.observe_state(vin, tags, event.state, event.previous, event.at)
    if isinstance(event, ChargingChange):
        return engine.observe_charging(vin, tags, event.phase, event.at, started_at=event.started_at)
    return engine.observe_alert(vin, tags, event.name, event.at)


def _vins(*sources: Mapping[str, Any] | None) -> set[str]:
    return {vin for source in sources for vin in (source or {})}
