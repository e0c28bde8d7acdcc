"""Every GraphQL example in docs/api.md runs against the real schema: queries return data without
errors, subscriptions validate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from teslasync.db.engine import Database
from teslasync.schema import schema
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.sources.replay import replay
from tests.conftest import client_for, make_settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
EXAMPLES = re.findall(r"```graphql\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
VIN = "5YJ3E7EA3LF700000"


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_is_valid(example: str) -> None:
    assert validate(schema._schema, parse(example)) == []


@pytest.mark.parametrize("example", [e for e in EXAMPLES if not e.lstrip().startswith("subscription")])
async def test_query_example_runs(
    tmp_path: Path, pipeline: Pipeline, fixtures_dir: Path, example: str
) -> None:
    from teslasync.jobs.recompute import recompute

    await replay(pipeline, [fixtures_dir / "DrivingByGear.txt"])
    await recompute(pipeline.db, VIN)
    db: Database = pipeline.db
    async with client_for(make_settings(tmp_path, demo=True), db) as client:
        body = (await client.post("/graphql", json={"query": example, "variables": {"vin": VIN}})).json()
    assert "errors" not in body, body
    assert body["data"]
