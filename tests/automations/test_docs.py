"""Every JSON example in docs/automations.md is a valid rule or rule part."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from teslasync.automations import parse_rule
from tests.automations.helpers import NOTIFY

PAGE = Path(__file__).resolve().parents[2] / "docs" / "automations.md"
TRIGGERS = {"threshold", "equals", "geofence", "state", "charging", "alert", "schedule"}
CONDITIONS = {"time_window", "battery", "location", "signal"}


def documents() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for block in re.findall(r"```json\n(.*?)```", PAGE.read_text(), flags=re.DOTALL):
        try:
            found.append(json.loads(block))
        except json.JSONDecodeError:
            found.extend(json.loads(line) for line in block.splitlines() if line.strip())
    for row in re.findall(r"^\| `(\w+)` \| `(\{.*?\})` \|", PAGE.read_text(), flags=re.MULTILINE):
        found.append(json.loads(row[1]))
    return found


def as_rule(doc: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": "doc",
        "target": {"all": True},
        "trigger": {"kind": "alert"},
        "actions": [NOTIFY],
    }
    if "trigger" in doc:
        return doc
    kind = doc.get("kind")
    if kind in TRIGGERS:
        return {**rule, "trigger": doc}
    if kind in CONDITIONS:
        return {**rule, "conditions": [doc]}
    if kind is not None:
        return {**rule, "actions": [doc]}
    return {**rule, "target": doc}


def test_the_page_has_examples() -> None:
    kinds = {doc.get("kind") for doc in documents()}
    assert TRIGGERS | CONDITIONS | {"notify", "command", "webhook"} <= kinds


@pytest.mark.parametrize(
    "doc", documents(), ids=lambda doc: str(doc.get("kind", "rule" if "trigger" in doc else "target"))
)
def test_the_example_is_valid(doc: dict[str, Any]) -> None:
    parse_rule(as_rule(doc))
