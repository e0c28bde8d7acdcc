"""A bounded fuzz of the whole schema with schemathesis (GraphQL mode) against the real server: every
generated query and mutation gets an answer, never a 500, and every error carries one of our codes, never
an unmasked or internal one."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import schemathesis
from graphql import (
    BooleanValueNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teslasync.app import create_app
from teslasync.jobs.recompute import recompute
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.sources.replay import replay
from tests.conftest import make_settings
from tests.live_server import serve

SCHEMA = Path(__file__).resolve().parents[2] / "schema.graphql"
EXAMPLES_PER_OPERATION = 25


def _register_scalars() -> None:
    """Our scalars, well-formed mostly and sometimes not: the server must answer both with a coded error
    or data, never a crash."""

    def text(valid: st.SearchStrategy[str]) -> st.SearchStrategy[StringValueNode]:
        return st.one_of(valid, valid, valid, st.text(max_size=12)).map(
            lambda value: StringValueNode(value=value)
        )

    schemathesis.graphql.scalar("JSON", json_values().map(json_node))
    prices = st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False, allow_infinity=False)
    schemathesis.graphql.scalar("Decimal", text(prices.map(str)))
    schemathesis.graphql.scalar("Date", text(st.dates().map(date.isoformat)))


def json_values() -> st.SearchStrategy[Any]:
    """Small JSON documents: mostly objects, as the JSON arguments (channel settings, rules) expect."""
    leaves = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8)
    keys = st.sampled_from(["kind", "name", "url", "field", "value", "target", "vins", "x"])
    values = st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
        max_leaves=8,
    )
    return st.dictionaries(keys, values, max_size=4) | values


def json_node(value: Any) -> ValueNode:
    if isinstance(value, dict):
        fields = [ObjectFieldNode(name=NameNode(value=k), value=json_node(v)) for k, v in value.items()]
        return ObjectValueNode(fields=tuple(fields))
    if isinstance(value, list):
        return ListValueNode(values=tuple(json_node(item) for item in value))
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, int):
        return IntValueNode(value=str(value))
    if value is None:
        return NullValueNode()
    return StringValueNode(value=str(value))


def fuzz(base_url: str) -> dict[str, int]:
    """Runs in a thread (schemathesis calls are blocking); returns how many cases each operation ran."""
    _register_scalars()
    schema = schemathesis.graphql.from_path(SCHEMA)
    ran: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,  # the same cases on every run: CI is reproducible; a seed change explores
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(base_url=base_url)
            assert response.status_code < 500, (case.operation.label, case.body, response.text)
            body = response.json()
            for error in body.get("errors") or []:
                code = (error.get("extensions") or {}).get("code")
                assert code is not None, ("an error without a code", case.operation.label, case.body, error)
                assert code != "INTERNAL", ("an internal error", case.operation.label, case.body, error)
            ran[case.operation.label] = ran.get(case.operation.label, 0) + 1

        check()
    return ran


async def test_the_schema_under_fuzzing(tmp_path: Path, pipeline: Pipeline, fixtures_dir: Path) -> None:
    # a car with drives, a charge, states and signals, so `vehicles { ... }` runs every resolver
    await replay(pipeline, [fixtures_dir / "DCCharging1.txt", fixtures_dir / "DrivingByGear.txt"])
    await recompute(pipeline.db, "5YJ3E7EA3LF700000")
    app = create_app(make_settings(tmp_path, demo=True), pipeline.db, dispose_on_shutdown=False)
    async with serve(app) as port:
        ran = await asyncio.to_thread(fuzz, f"http://127.0.0.1:{port}/graphql")
    assert set(ran) >= {"Query.vehicles", "Query.vehicle", "Mutation.createTariff", "Mutation.createGeofence"}
    assert all(count >= 1 for count in ran.values())
