"""A page of drives or charging sessions reads their stored points (a drive's track, a session's curve) only
when its query asks for a field that shows them; every other field answers the same without them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import GraphQLObjectType, get_named_type, is_composite_type, is_required_argument
from httpx import AsyncClient
from sqlalchemy import event

from teslasync.analytics import polyline
from teslasync.db.engine import Database
from teslasync.db.models import ChargingSessionRow, DriveRow
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.schema import schema
from teslasync.schema.derived import DRIVE_POINTS, SESSION_POINTS

VIN = "5YJ3E7EB2NF000601"
START = datetime(2026, 3, 1, 8, tzinfo=UTC)


@pytest.fixture
async def seeded(db: Database) -> None:
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, VIN)
        for n in range(3):
            at = START + timedelta(days=n)
            session.add(
                DriveRow(
                    vehicle_id=vehicle.id,
                    started_at=at,
                    ended_at=at + timedelta(minutes=20),
                    closed_by="park",
                    distance_km=12.0,
                    start_rated_range_km=300.0,
                    end_rated_range_km=288.0,
                    track=[
                        [at.isoformat(), 52.5, 13.4],
                        [(at + timedelta(minutes=20)).isoformat(), 52.6, 13.5],
                    ],
                )
            )
            session.add(
                ChargingSessionRow(
                    vehicle_id=vehicle.id,
                    started_at=at + timedelta(hours=2),
                    ended_at=at + timedelta(hours=3),
                    charger_type="AC",
                    energy_added_kwh=10.0,
                    curve=[[(at + timedelta(hours=2)).isoformat(), 40.0, 11.0]],
                )
            )


def every_field_but(type_name: str, left_out: frozenset[str]) -> str:
    """A selection of every field of the type that takes no required argument, objects by their typename."""
    graphql_type = schema._schema.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType)
    fields = []
    for name, field in graphql_type.fields.items():
        if name in left_out or any(map(is_required_argument, field.args.values())):
            continue
        composite = is_composite_type(get_named_type(field.type))
        fields.append(f"{name} {{ __typename }}" if composite else name)
    assert len(fields) > 5
    return " ".join(fields)


@contextmanager
def page_statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "LATERAL" in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def page_of(client: AsyncClient, connection: str, node: str) -> dict[str, Any]:
    query = f"query($vin: String!) {{ vehicle(vin: $vin) {{ {connection}(first: 10) {{ edges {{ node {{ {node} }} }} }} }} }}"
    body = (await client.post("/graphql", json={"query": query, "variables": {"vin": VIN}})).json()
    assert "errors" not in body, body
    edges = body["data"]["vehicle"][connection]["edges"]
    assert len(edges) == 3
    return edges[0]["node"]


CASES = [
    ("drives", "Drive", DRIVE_POINTS, "track"),
    ("chargingSessions", "ChargingSession", SESSION_POINTS, "curve"),
]


@pytest.mark.parametrize(("connection", "type_name", "points", "column"), CASES, ids=["drives", "sessions"])
async def test_every_other_field_answers_on_a_page_that_does_not_read_the_points(
    client: AsyncClient,
    db: Database,
    seeded: None,
    connection: str,
    type_name: str,
    points: frozenset[str],
    column: str,
) -> None:
    with page_statements(db) as statements:
        node = await page_of(client, connection, every_field_but(type_name, points))
    assert len(statements) == 1
    assert f".{column}" not in statements[0]
    assert node["id"]


@pytest.mark.parametrize(
    ("connection", "selection", "column", "expected"),
    [
        ("drives", "t: track { latitude }", "track", {"t": [{"latitude": 52.5}, {"latitude": 52.6}]}),
        (
            "drives",
            "... on Drive { track { longitude } }",
            "track",
            {"track": [{"longitude": 13.4}, {"longitude": 13.5}]},
        ),
        ("chargingSessions", "curve { batteryLevel }", "curve", {"curve": [{"batteryLevel": 40.0}]}),
    ],
    ids=["alias", "inline-fragment", "curve"],
)
async def test_a_page_that_shows_the_points_reads_them(
    client: AsyncClient,
    db: Database,
    seeded: None,
    connection: str,
    selection: str,
    column: str,
    expected: dict[str, Any],
) -> None:
    with page_statements(db) as statements:
        node = await page_of(client, connection, selection)
    assert f".{column}" in statements[0]
    assert node == expected


async def test_points_asked_for_through_a_named_fragment_are_read(
    client: AsyncClient, db: Database, seeded: None
) -> None:
    query = """query($vin: String!) { vehicle(vin: $vin) { drives(first: 1) { ...Page } } }
    fragment Page on DriveConnection { edges { node { ...Shape } } }
    fragment Shape on Drive { id trackPolyline }"""
    with page_statements(db) as statements:
        body = (await client.post("/graphql", json={"query": query, "variables": {"vin": VIN}})).json()
    assert "errors" not in body, body
    shape = body["data"]["vehicle"]["drives"]["edges"][0]["node"]["trackPolyline"]
    assert polyline.decode(shape) == [(52.5, 13.4), (52.6, 13.5)]
    assert ".track" in statements[0]
