"""The API's safety defaults: depth, alias and token limits, introspection, content types, GET, origins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import websockets
from httpx import AsyncClient

from teslasync.app import create_app
from teslasync.db.engine import Database
from tests.auth.helpers import gql
from tests.conftest import client_for, make_settings
from tests.live_server import serve


def code(body: dict[str, object]) -> str:
    errors = body["errors"]
    assert isinstance(errors, list)
    return str(errors[0]["extensions"]["code"])


async def test_depth_limit(tmp_path: Path, db: Database) -> None:
    query = "{ vehicles { signals { name } } }"  # depth 2: the root field is depth 0
    async with client_for(make_settings(tmp_path, demo=True, graphql_max_depth=1), db) as client:
        body = (await client.post("/graphql", json={"query": query})).json()
    assert code(body) == "GRAPHQL_VALIDATION_FAILED"
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    async with client_for(make_settings(tmp_path, demo=True, graphql_max_depth=2), db) as client:
        assert "errors" not in (await client.post("/graphql", json={"query": query})).json()


async def test_alias_limit(client: AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: vehicles {{ vin }}" for i in range(31)) + " }"
    body = (await client.post("/graphql", json={"query": query})).json()
    assert code(body) == "GRAPHQL_VALIDATION_FAILED"
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_token_limit(tmp_path: Path, db: Database) -> None:
    query = "{ " + " ".join(["vehicles { vin }"] * 60) + " }"
    async with client_for(make_settings(tmp_path, demo=True, graphql_max_tokens=100), db) as client:
        body = (await client.post("/graphql", json={"query": query})).json()
    assert "token" in body["errors"][0]["message"].lower()


@pytest.mark.parametrize(
    ("demo", "introspection", "allowed"), [(True, None, True), (False, None, False), (False, True, True)]
)
async def test_introspection_is_off_outside_demo_unless_enabled(
    tmp_path: Path, db: Database, demo: bool, introspection: bool | None, allowed: bool
) -> None:
    from teslasync.auth.principal import Scope
    from teslasync.auth.tokens import create_token

    async with db.transaction() as session:
        token = (await create_token(session, "t", [Scope.READ])).token
    settings = make_settings(tmp_path, demo=demo, introspection=introspection)
    async with client_for(settings, db) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ __schema { queryType { name } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    if allowed:
        assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    else:
        assert code(body) == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
async def test_requests_need_a_json_content_type(client: AsyncClient, content_type: str) -> None:
    # a cross-site form can send these without a CORS preflight: they must never run an operation
    response = await client.post(
        "/graphql", content=b'{"query":"{ vehicles { vin } }"}', headers={"content-type": content_type}
    )
    assert response.status_code in (400, 415)
    assert "vehicles" not in response.text


async def test_no_mutation_over_get(client: AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "mutation { anything }"})
    assert response.status_code in (400, 405)
    assert "not allowed" in response.text.lower()


async def test_websocket_origin_is_checked(tmp_path: Path, fresh_db: Database) -> None:
    settings = make_settings(tmp_path, demo=True, allowed_origins="https://app.example")
    async with serve(create_app(settings, fresh_db, dispose_on_shutdown=False)) as port:
        url = f"ws://127.0.0.1:{port}/graphql"
        protocols = [websockets.Subprotocol("graphql-transport-ws")]

        async def opens(origin: str | None) -> bool:
            headers = {"Origin": origin} if origin else {}
            try:
                async with websockets.connect(
                    url, subprotocols=protocols, additional_headers=headers
                ) as socket:
                    await socket.send(json.dumps({"type": "connection_init"}))
                    return json.loads(await socket.recv())["type"] == "connection_ack"
            except (websockets.ConnectionClosed, websockets.InvalidStatus):
                return False

        assert await opens(None), "non-browser clients send no Origin"
        assert await opens("https://app.example"), "configured origins are allowed"
        assert await opens(f"http://127.0.0.1:{port}"), "same origin is allowed"
        assert not await opens("https://evil.example")


async def test_nul_characters_in_text_are_refused_precisely(tmp_path: Path, db: Database) -> None:
    """PostgreSQL text cannot hold NUL: found by the schema fuzz as an internal error on vehicle(vin)."""
    async with client_for(make_settings(tmp_path, demo=True), db) as client:
        literal = await client.post("/graphql", json={"query": '{ vehicle(vin: "\\u0000") { vin } }'})
        # the same NUL written as a variable-width escape, and as the character itself (graphql-core takes it)
        braced = await client.post("/graphql", json={"query": '{ vehicle(vin: "5YJ\\u{0}") { vin } }'})
        raw = await client.post("/graphql", json={"query": '{ vehicle(vin: """5YJ\x00""") { vin } }'})
        variable = await client.post(
            "/graphql",
            json={"query": "query($v: String!) { vehicle(vin: $v) { vin } }", "variables": {"v": "5YJ\x00"}},
        )
    for response in (literal, braced, raw, variable):
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_ARGUMENT"
        assert "NUL" in error["message"]


async def test_a_malformed_date_variable_is_the_callers_error_not_an_internal_one(
    client: AsyncClient,
) -> None:
    query = 'query($since: DateTime) { vehicleAlerts(vin: "5YJ3E7EB2NF000001", since: $since) { name } }'
    body = await gql(client, query, {"since": "yesterday-ish"})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_VARIABLE"
    assert error["message"].startswith("Variable '$since' has invalid value")
