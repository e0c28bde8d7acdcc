"""WebSockets outside demo mode: the token comes in connection_init (browsers cannot set headers), and a
connection may hold a bounded number of operations."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets

from teslasync.app import create_app
from teslasync.auth.principal import Scope
from teslasync.auth.tokens import create_token
from teslasync.db.engine import Database
from teslasync.db.repositories.vehicles import ensure_vehicle
from tests.conftest import make_settings
from tests.live_server import serve

PROTOCOL = [websockets.Subprotocol("graphql-transport-ws")]


@pytest.fixture
async def production(tmp_path: Path, fresh_db: Database) -> AsyncIterator[tuple[int, str]]:
    async with fresh_db.transaction() as session:
        token = (await create_token(session, "browser", [Scope.READ])).token
        await ensure_vehicle(session, "5YJ3E7EB2NF000001")  # subscriptions to it stay open
    settings = make_settings(tmp_path, demo=False, graphql_max_subscriptions_per_connection=2)
    async with serve(create_app(settings, fresh_db, dispose_on_shutdown=False)) as port:
        yield port, token


async def init(
    port: int, payload: dict[str, object] | None
) -> tuple[websockets.ClientConnection, dict[str, object] | None]:
    socket = await websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=PROTOCOL)
    message: dict[str, object] = {"type": "connection_init"}
    if payload is not None:
        message["payload"] = payload
    await socket.send(json.dumps(message))
    try:
        return socket, json.loads(await socket.recv())
    except websockets.ConnectionClosed:
        return socket, None


async def test_token_in_connection_init(production: tuple[int, str]) -> None:
    port, token = production
    for payload in ({"authorization": f"Bearer {token}"}, {"token": token}):
        socket, reply = await init(port, payload)
        assert reply == {"type": "connection_ack"}
        await socket.send(
            json.dumps({"id": "q", "type": "subscribe", "payload": {"query": "{ vehicles { vin } }"}})
        )
        assert json.loads(await socket.recv()) == {
            "id": "q",
            "type": "next",
            "payload": {"data": {"vehicles": [{"vin": "5YJ3E7EB2NF000001"}]}},
        }
        await socket.close()


@pytest.mark.parametrize("payload", [None, {}, {"token": "tsk_nope_nope"}, {"authorization": "Bearer "}])
async def test_no_or_bad_token_is_refused(
    production: tuple[int, str], payload: dict[str, object] | None
) -> None:
    port, _ = production
    socket, reply = await init(port, payload)
    assert reply is None
    assert socket.close_code == 4403


async def test_a_bad_header_is_refused_before_the_handshake(production: tuple[int, str]) -> None:
    port, _ = production
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(
            f"ws://127.0.0.1:{port}/graphql",
            subprotocols=PROTOCOL,
            additional_headers={"Authorization": "Bearer tsk_bad_token"},
        )


async def test_operations_per_connection_are_limited(production: tuple[int, str]) -> None:
    port, token = production
    socket, _ = await init(port, {"token": token})
    query = 'subscription { signals(vin: "5YJ3E7EB2NF000001") { name } }'
    try:
        for operation in ("1", "2", "3"):
            await socket.send(json.dumps({"id": operation, "type": "subscribe", "payload": {"query": query}}))
        replies = [json.loads(await socket.recv()) for _ in range(3)]
    finally:
        await socket.close()
    limited = [
        r
        for r in replies
        if r["type"] == "error" and r["payload"][0]["message"] == "Subscription limit reached"
    ]
    assert len(limited) == 1 and limited[0]["id"] == "3"


async def test_forward_auth_headers_on_the_upgrade_sign_the_socket_in(
    tmp_path: Path, fresh_db: Database
) -> None:
    """From a trusted proxy the user is who the headers say, and sees only what is shared with them; the same
    headers from elsewhere are refused before the handshake."""
    async with fresh_db.transaction() as session:
        await ensure_vehicle(session, "5YJ3E7EB2NF000001")
    headers = {"Remote-User": "ada", "Remote-Groups": "family"}
    for trusted, expected in (("127.0.0.1/32", "ack"), ("10.9.9.0/24", "refused")):
        settings = make_settings(tmp_path, forward_auth="authelia", trusted_proxies=[trusted])
        async with serve(create_app(settings, fresh_db, dispose_on_shutdown=False)) as port:
            url = f"ws://127.0.0.1:{port}/graphql"
            if expected == "refused":
                with pytest.raises(websockets.InvalidStatus):
                    await websockets.connect(url, subprotocols=PROTOCOL, additional_headers=headers)
                continue
            socket = await websockets.connect(url, subprotocols=PROTOCOL, additional_headers=headers)
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv()) == {"type": "connection_ack"}
            query = 'subscription { vehicleState(vin: "5YJ3E7EB2NF000001") { state } }'
            await socket.send(json.dumps({"id": "s", "type": "subscribe", "payload": {"query": query}}))
            reply = json.loads(await socket.recv())
            assert reply["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
            listing = {"query": "{ me { user { username } } vehicles { vin } }"}
            await socket.send(json.dumps({"id": "q", "type": "subscribe", "payload": listing}))
            while (message := json.loads(await socket.recv()))["id"] != "q":
                pass
            assert message["payload"]["data"] == {"me": {"user": {"username": "ada"}}, "vehicles": []}
            await socket.close()
