"""Geofences and tariffs through GraphQL: a charge gets its cost, priced again when a tariff changes;
refusals come back as data naming the field; only admins change prices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from teslasync.auth.principal import Scope
from teslasync.auth.tokens import create_token
from teslasync.jobs.recompute import recompute
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.sources.replay import replay
from tests.conftest import client_for, make_settings

VIN = "XP7YGCEK9PB000000"  # the car of ACCharging_typed: a home AC session, 13:51-14:42 Berlin time
TARIFF = """
mutation($input: TariffInput!) {
  createTariff(input: $input) {
    tariff { id name windows { weekdays start end pricePerKwh } }
    errors { __typename ... on InvalidInput { field message } ... on NotFoundProblem { field message } }
  }
}"""
UPDATE_TARIFF = """
mutation($id: ID!, $input: TariffInput!) {
  updateTariff(id: $id, input: $input) {
    tariff { id } repricedSessions
    errors { __typename ... on NotFoundProblem { field message } }
  }
}"""
GEOFENCE = """
mutation($input: GeofenceInput!) {
  createGeofence(input: $input) {
    geofence { id name tariff { name } } repricedSessions
    errors { __typename ... on InvalidInput { field message } ... on NotFoundProblem { field message } }
  }
}"""
DELETE_GEOFENCE = "mutation($id: ID!) { deleteGeofence(id: $id) { repricedSessions errors { __typename } } }"
COST = """
query($vin: String!) {
  vehicle(vin: $vin) { chargingSessions(first: 1) { edges { node {
    energyAddedKwh energyFromWallKwh latitude longitude geofence { name }
    cost { amount currency breakdown { label amount kwh unitPrice } }
  } } } }
}"""
HOME = {"currency": "EUR", "timezone": "Europe/Berlin", "name": "Home"}


async def gql(client: AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = (
        await client.post("/graphql", json={"query": query, "variables": variables})
    ).json()
    assert "errors" not in body, body
    return body["data"]


async def session_node(client: AsyncClient) -> dict[str, Any]:
    data = await gql(client, COST, vin=VIN)
    [edge] = data["vehicle"]["chargingSessions"]["edges"]
    node: dict[str, Any] = edge["node"]
    return node


async def test_a_charge_is_priced_by_its_geofence_and_again_when_the_tariff_changes(
    tmp_path: Path, pipeline: Pipeline, fixtures_dir: Path
) -> None:
    # the capture has no position: the car reports one at home (52.52, 13.405) before it charges
    parked = tmp_path / "parked.txt"
    parked.write_text(
        '{"data":[{"key":"Location","value":{"locationValue":{"latitude":52.52,"longitude":13.405}}}],'
        f'"createdAt":"2025-01-30T12:50:00Z","vin":"{VIN}"}}\n'
    )
    await replay(pipeline, [parked, fixtures_dir / "ACCharging_typed.txt"])
    await recompute(pipeline.db, VIN)
    async with client_for(make_settings(tmp_path, demo=True), pipeline.db) as client:
        before = await session_node(client)
        assert before["cost"] is None and before["geofence"] is None
        assert (before["latitude"], before["longitude"]) == (52.52, 13.405)
        wall = before["energyFromWallKwh"]
        assert round(wall, 2) == 1.72  # billed: the larger of battery (1.36) and wall energy

        refused = (
            await gql(
                client,
                TARIFF,
                input={
                    **HOME,
                    "pricePerKwh": "0.30",
                    "windows": [
                        {"weekdays": ["MONDAY"], "start": "22:00", "end": "06:00", "pricePerKwh": "0.10"},
                        {"weekdays": ["TUESDAY"], "start": "05:00", "end": "07:00", "pricePerKwh": "0.2"},
                    ],
                },
            )
        )["createTariff"]
        assert refused["tariff"] is None
        assert refused["errors"] == [
            {
                "__typename": "InvalidInput",
                "field": "windows[1]",
                "message": "windows[1] overlaps windows[0] on Tuesday 05:00-06:00",
            }
        ]
        bad_zone = await gql(client, TARIFF, input={**HOME, "timezone": "Mars/Olympus", "pricePerKwh": "1"})
        assert bad_zone["createTariff"]["errors"][0]["field"] == "timezone"

        created = (await gql(client, TARIFF, input={**HOME, "pricePerKwh": "0.30"}))["createTariff"]
        assert created["errors"] == []
        tariff_id = created["tariff"]["id"]
        far = await gql(
            client,
            GEOFENCE,
            input={"name": "Elsewhere", "latitude": 0, "longitude": 0, "radiusM": 100, "tariffId": tariff_id},
        )
        assert far["createGeofence"]["errors"] == [] and (await session_node(client))["cost"] is None

        home = (
            await gql(
                client,
                GEOFENCE,
                input={
                    "name": "Home",
                    "latitude": 52.52005,
                    "longitude": 13.40505,
                    "radiusM": 150,
                    "tariffId": tariff_id,
                },
            )
        )["createGeofence"]
        assert home["errors"] == [] and home["repricedSessions"] == 1
        assert home["geofence"]["tariff"] == {"name": "Home"}
        priced = await session_node(client)
        assert priced["geofence"] == {"name": "Home"}
        expected = round(round(wall, 3) * 0.30, 2)
        assert priced["cost"]["currency"] == "EUR"
        assert float(priced["cost"]["amount"]) == expected
        [part] = priced["cost"]["breakdown"]
        assert part["unitPrice"] == "0.30" and float(part["kwh"]) == round(wall, 3)

        # a cheap window over the whole session (Thursday 13:00-15:00 in Berlin): priced again at once
        cheaper = await gql(
            client,
            UPDATE_TARIFF,
            id=tariff_id,
            input={
                **HOME,
                "pricePerKwh": "0.30",
                "windows": [
                    {"weekdays": ["THURSDAY"], "start": "13:00", "end": "15:00", "pricePerKwh": "0.10"}
                ],
            },
        )
        assert cheaper["updateTariff"]["repricedSessions"] == 1
        assert float((await session_node(client))["cost"]["amount"]) == round(round(wall, 3) * 0.10, 2)

        missing = await gql(client, UPDATE_TARIFF, id="999", input={**HOME, "pricePerKwh": "1"})
        assert missing["updateTariff"]["errors"] == [
            {"__typename": "NotFoundProblem", "field": "id", "message": "no tariff 999"}
        ]
        gone = await gql(client, DELETE_GEOFENCE, id=home["geofence"]["id"])
        assert gone["deleteGeofence"] == {"repricedSessions": 1, "errors": []}
        assert (await session_node(client))["cost"] is None


async def test_geofence_input_is_checked_field_by_field(tmp_path: Path, pipeline: Pipeline) -> None:
    async with client_for(make_settings(tmp_path, demo=True), pipeline.db) as client:
        result = await gql(
            client,
            GEOFENCE,
            input={"name": " ", "latitude": 91, "longitude": 13, "radiusM": 0, "tariffId": "42"},
        )
    assert [(e["__typename"], e["field"]) for e in result["createGeofence"]["errors"]] == [
        ("InvalidInput", "name"),
        ("InvalidInput", "latitude"),
        ("InvalidInput", "radiusM"),
        ("NotFoundProblem", "tariffId"),
    ]


async def test_only_admins_change_prices(tmp_path: Path, pipeline: Pipeline) -> None:
    async with pipeline.db.transaction() as session:
        reader = (await create_token(session, "reader", [Scope.READ])).token
    async with client_for(make_settings(tmp_path), pipeline.db) as client:
        response = await client.post(
            "/graphql",
            json={"query": TARIFF, "variables": {"input": {**HOME, "pricePerKwh": "1"}}},
            headers={"Authorization": f"Bearer {reader}"},
        )
        listed = await client.post(
            "/graphql", json={"query": "{ tariffs { id } }"}, headers={"Authorization": f"Bearer {reader}"}
        )
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert listed.json() == {"data": {"tariffs": []}}


async def gql_named(tmp_path: Path, pipeline: Pipeline, bad_id: str) -> str:
    query = "mutation($id: ID!) { deleteTariff(id: $id) { errors { ... on NotFoundProblem { message } } } }"
    async with client_for(make_settings(tmp_path, demo=True), pipeline.db) as client:
        data = await gql(client, query, id=bad_id)
    return str(data["deleteTariff"]["errors"][0]["message"])


@pytest.mark.parametrize("bad_id", ["²", "99999999999999999999", "-1", "1e3", ""])
async def test_ids_that_name_no_row_are_not_found(tmp_path: Path, pipeline: Pipeline, bad_id: str) -> None:
    """Found by the schema fuzz: '²' passed str.isdigit() and failed in int(); a 20-digit id overflowed
    bigint in PostgreSQL. Both were internal errors."""
    async with client_for(make_settings(tmp_path, demo=True), pipeline.db) as client:
        deleted = await gql(
            client, "mutation($id: ID!) { deleteTariff(id: $id) { errors { __typename } } }", id=bad_id
        )
        fence = await gql(
            client,
            GEOFENCE,
            input={"name": "x", "latitude": 1, "longitude": 1, "radiusM": 10, "tariffId": bad_id},
        )
    assert deleted["deleteTariff"]["errors"] == [{"__typename": "NotFoundProblem"}]
    named = await gql_named(tmp_path, pipeline, bad_id)
    assert named == f"no tariff {bad_id}", "the refusal names the id the client gave"
    assert fence["createGeofence"]["errors"][0]["__typename"] == "NotFoundProblem"


async def test_a_window_time_that_is_not_a_time_of_day_names_its_field(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    window = {"weekdays": ["MONDAY"], "start": "25:00", "end": "xx", "pricePerKwh": "0.1"}
    async with client_for(make_settings(tmp_path, demo=True), pipeline.db) as client:
        refused = (await gql(client, TARIFF, input={**HOME, "pricePerKwh": "1", "windows": [window]}))[
            "createTariff"
        ]
    assert refused["tariff"] is None
    assert [(e["field"], e["message"]) for e in refused["errors"]] == [
        ("windows[0].start", "windows[0].start: '25:00' is not a time of day (HH:MM)"),
        ("windows[0].end", "windows[0].end: 'xx' is not a time of day (HH:MM)"),
    ]
