"""The query cost limit: estimated from the document before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse

from teslasync.db.engine import Database
from teslasync.schema import schema
from teslasync.schema.query_cost import estimate
from tests.conftest import client_for, make_settings


def cost(document: str, **variables: object) -> int:
    return estimate(schema._schema, parse(document), variables)


def test_fields_count_once_per_item_expected() -> None:
    assert cost("{ vehicles { vin model } }") == 1 + 20 * 2  # a list of unknown size counts 20
    # a page of 50: the connection and its edges list once, each of the 50 edges its node and id
    assert cost('{ vehicle(vin: "X") { drives(first: 50) { edges { node { id } } } } }') == 1 + (
        1 + (1 + 50 * (1 + 1))
    )
    # variables are read
    assert cost(
        'query($n: Int!) { vehicle(vin: "X") { drives(first: $n) { edges { cursor } } } }', n=3
    ) == 1 + (1 + (1 + 3 * 1))
    # three series of 100 points, each point 2 values
    series = '{ vehicle(vin: "X") { series(names: ["A", "B", "C"], since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z", maxPoints: 100) { name points { min max } } } }'
    assert cost(series) == 1 + (1 + 3 * (1 + (1 + 100 * 2)))


def test_fragments_count_where_they_are_spread() -> None:
    plain = cost('{ vehicle(vin: "X") { drives(first: 10) { edges { node { id distanceKm } } } } }')
    spread = cost(
        'fragment D on Drive { id distanceKm } { vehicle(vin: "X") { drives(first: 10) { edges { node { ...D } } } } }'
    )
    assert spread == plain


async def test_a_costly_query_is_refused_before_it_runs(tmp_path: Path, db: Database) -> None:
    settings = make_settings(tmp_path, demo=True, graphql_max_cost=1000)
    cheap = "{ vehicles { vin } }"
    costly = "{ vehicles { drives(first: 100) { edges { node { track { latitude longitude } } } } } }"
    async with client_for(settings, db) as client:
        ok = (await client.post("/graphql", json={"query": cheap})).json()
        refused = (await client.post("/graphql", json={"query": costly})).json()
    assert ok == {"data": {"vehicles": []}}
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    expected = cost(costly)
    assert error["message"] == f"query cost {expected} is over the limit of 1000"
    assert refused.get("data") is None


@pytest.mark.parametrize("limit", [100, 99])
def test_the_limit_is_a_setting_with_a_floor(tmp_path: Path, limit: int) -> None:
    from pydantic import ValidationError

    if limit < 100:
        with pytest.raises(ValidationError):
            make_settings(tmp_path, graphql_max_cost=limit)
    else:
        assert make_settings(tmp_path, graphql_max_cost=limit).graphql_max_cost == limit
