"""Persisted queries: documents by sha256 from an allow-list, optionally the only ones allowed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from teslasync.db.engine import Database
from teslasync.schema.persisted import ManifestError, PersistedQueries, sha256
from tests.conftest import client_for, make_settings
from tests.live_server import serve

LISTED = "query Cars { vehicles { vin } }"
LIVE = "subscription Live($vin: String!) { signals(vin: $vin) { name } }"


def manifest(tmp_path: Path, *documents: str) -> Path:
    path = tmp_path / "persisted.json"
    path.write_text(json.dumps({sha256(document): document for document in documents}))
    return path


def by_hash(digest: str, query: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if query is not None:
        body["query"] = query
    return body


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_listed_documents_run_by_hash_and_others_as_usual(tmp_path: Path, db: Database) -> None:
    settings = make_settings(tmp_path, demo=True, persisted_queries=manifest(tmp_path, LISTED))
    async with client_for(settings, db) as client:
        listed = (await client.post("/graphql", json=by_hash(sha256(LISTED)))).json()
        unknown = (await client.post("/graphql", json=by_hash("0" * 64))).json()
        mismatch = (
            await client.post("/graphql", json=by_hash(sha256(LISTED), "{ vehicles { model } }"))
        ).json()
        malformed = (await client.post("/graphql", json=by_hash("not-a-hash"))).json()
        adhoc = (await client.post("/graphql", json={"query": "{ vehicles { model } }"})).json()
    assert listed == {"data": {"vehicles": []}}
    assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert code(mismatch) == "BAD_PERSISTED_QUERY"
    assert code(malformed) == "BAD_PERSISTED_QUERY"
    assert adhoc == {"data": {"vehicles": []}}


async def test_mandatory_refuses_anything_not_listed(tmp_path: Path, db: Database) -> None:
    settings = make_settings(
        tmp_path, demo=True, persisted_queries=manifest(tmp_path, LISTED), persisted_queries_only=True
    )
    async with client_for(settings, db) as client:
        adhoc = (await client.post("/graphql", json={"query": "{ vehicles { model } }"})).json()
        as_text = (await client.post("/graphql", json={"query": LISTED})).json()
        as_hash = (await client.post("/graphql", json=by_hash(sha256(LISTED)))).json()
    assert code(adhoc) == "PERSISTED_QUERY_REQUIRED"
    assert adhoc["data"] is None or adhoc["data"] == {}
    assert as_text == as_hash == {"data": {"vehicles": []}}


async def test_a_subscription_by_hash_over_a_websocket(tmp_path: Path, fresh_db: Database) -> None:
    import asyncio

    import websockets

    from teslasync.app import create_app
    from teslasync.telemetry.model import Form, Observation
    from teslasync.telemetry.pipeline import Batch
    from teslasync.telemetry.runtime import TelemetryRuntime

    settings = make_settings(
        tmp_path, demo=True, persisted_queries=manifest(tmp_path, LIVE), persisted_queries_only=True
    )
    runtime = TelemetryRuntime(settings, fresh_db)
    app = create_app(settings, fresh_db, telemetry=runtime, dispose_on_shutdown=False)
    async with (
        serve(app) as port,
        websockets.connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as socket,
    ):
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        refused = {"query": 'subscription { signals(vin: "5YJ3E7EB2NF000001") { name } }', "variables": {}}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": refused}))
        answer = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert answer["id"] == "1" and answer["type"] in ("error", "next")
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"

        # by hash alone (graphql-transport-ws wants a query string: an empty one), it runs and delivers
        vin = "5YJ3E7EB2NF000001"
        await runtime.pipeline.submit(
            Batch("mqtt", [Observation(vin, "Soc", 50.0, Form.MQTT, datetime.now(UTC))])
        )
        await runtime.pipeline.drain()
        listed = {**by_hash(sha256(LIVE), ""), "variables": {"vin": vin}}
        await socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": listed}))
        await asyncio.sleep(0.2)
        await runtime.pipeline.submit(
            Batch("mqtt", [Observation(vin, "Soc", 51.0, Form.MQTT, datetime.now(UTC))])
        )
        delivered = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert delivered == {"id": "2", "type": "next", "payload": {"data": {"signals": {"name": "Soc"}}}}


def test_the_list_is_checked_when_loaded(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"0" * 64: LISTED}))
    with pytest.raises(ManifestError, match="is not the sha256 of its document"):
        PersistedQueries.load(wrong, mandatory=False)
    apollo = tmp_path / "apollo.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": sha256(LISTED), "name": "Cars", "type": "query", "body": LISTED}],
            }
        )
    )
    assert PersistedQueries.load(apollo, mandatory=True).documents == {sha256(LISTED): LISTED}
    with pytest.raises(ManifestError, match="cannot read"):
        PersistedQueries.load(tmp_path / "missing.json", mandatory=False)


def test_mandatory_needs_a_list(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="needs TESLASYNC_PERSISTED_QUERIES"):
        make_settings(tmp_path, persisted_queries_only=True)
