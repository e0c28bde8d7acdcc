from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from teslasync.analytics.samples import Sample
from teslasync.automations import Firing, Rule, RuleEngine, StoredRule, parse_rule

VIN = "5YJ3E7EA3LF700000"
OTHER = "5YJYGDEE1MF000002"
T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # a Monday
NOTIFY = {"kind": "notify", "title": "{rule}: {trigger}", "body": "{vin} at {value}"}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rule(trigger: dict[str, Any], **extra: Any) -> Rule:
    doc: dict[str, Any] = {
        "name": "test rule",
        "target": {"all": True},
        "trigger": trigger,
        "actions": [NOTIFY],
    }
    doc.update(extra)
    return parse_rule(doc)


def engine(*rules: Rule, **kwargs: Any) -> RuleEngine:
    return RuleEngine([StoredRule(index + 1, r) for index, r in enumerate(rules)], **kwargs)


def feed(
    eng: RuleEngine,
    field: str,
    values: Iterable[Any],
    *,
    step: float = 60,
    start: float = 0,
    vin: str = VIN,
    tags: Collection[str] = (),
) -> list[Firing]:
    """One sample per value, `step` seconds apart, each in its own batch, as live ingest delivers them."""
    firings: list[Firing] = []
    for index, value in enumerate(values):
        firings.extend(eng.observe(vin, tags, [Sample(at(start + index * step), field, value)]))
    return firings


def soc_below(value: float, **extra: Any) -> Rule:
    return rule({"kind": "threshold", "field": "Soc", "direction": "below", "value": value}, **extra)
