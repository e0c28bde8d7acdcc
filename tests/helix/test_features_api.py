"""Helix as a client meets it, through GraphQL with the deterministic mock provider: off by default (nothing
contacted, nothing enabled); features enabled one by one by an administrator; help answered from the docs
with citations; a streamed answer followed over a WebSocket; the command assistant only proposes; ask-my-data
run as a viewer cannot read a car they do not see; a budget refuses a call; every call is audited."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from teslasync.app import create_app
from teslasync.auth.principal import Scope
from teslasync.auth.tokens import create_token
from teslasync.db.engine import Database
from teslasync.db.models import DriveRow
from teslasync.db.repositories import users as users_repo
from teslasync.db.repositories.vehicles import ensure_vehicle
from tests.conftest import make_settings
from tests.live_server import serve

SHARED = "5YJ3E7EB2NF000101"
PRIVATE = "5YJ3E7EB2NF000202"
RUN = """
mutation($feature: String!, $input: JSON!, $stream: Boolean! = false) {
  runHelixFeature(feature: $feature, input: $input, stream: $stream) {
    run { id status text data citations { path anchor } unsupported toolCalls
          proposal { command valid problems } }
    unavailable { code message }
  }
}
"""


@dataclass
class Api:
    http: httpx.AsyncClient
    port: int
    admin: dict[str, str]
    viewer: dict[str, str]
    app: Any

    async def gql(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        body = (
            await self.http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers or self.admin
            )
        ).json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    async def enable(self, *names: str) -> None:
        for name in names:
            await self.gql(
                "mutation($n: String!) { setHelixFeature(name: $n, enabled: true) { name } }", n=name
            )


async def _api(tmp_path: Path, db: Database, **overrides: object) -> AsyncIterator[Api]:
    overrides.setdefault("rate_limit_mutations_per_minute", 10_000)
    settings = make_settings(tmp_path, demo=True, **overrides)
    async with db.transaction() as session:
        shared = await ensure_vehicle(session, SHARED)
        private = await ensure_vehicle(session, PRIVATE)
        admin = (await create_token(session, "admin", [Scope.ADMIN])).token
        viewer_user = await users_repo.upsert_seen(
            session,
            "viewer",
            email=None,
            display_name=None,
            groups=[],
            is_admin=False,
            seen_at=datetime.now(UTC),
        )
        await users_repo.grant(session, viewer_user.id, shared.id, "viewer")
        viewer = (await create_token(session, "viewer", [Scope.READ], user_id=viewer_user.id)).token
        start = datetime.now(UTC) - timedelta(days=1)
        for vehicle, km in ((shared, 12.5), (private, 987.6)):
            session.add(
                DriveRow(
                    vehicle_id=vehicle.id,
                    started_at=start,
                    ended_at=start + timedelta(minutes=30),
                    closed_by="test",
                    distance_km=km,
                    track=[],
                )
            )
    app = create_app(settings, db, dispose_on_shutdown=False)
    async with serve(app) as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield Api(
            http, port, {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {viewer}"}, app
        )


@pytest.fixture
async def api(tmp_path: Path, fresh_db: Database) -> AsyncIterator[Api]:
    async for value in _api(
        tmp_path,
        fresh_db,
        helix_enabled=True,
        helix_provider="mock",
        helix_model="mock-1",
        helix_embedding_model="mock-embed",
    ):
        yield value


async def test_with_helix_off_nothing_is_enabled_or_contacted(tmp_path: Path, fresh_db: Database) -> None:
    # a provider that cannot even be built (no key): any attempt to reach it would fail loudly
    async for api in _api(tmp_path, fresh_db, helix_provider="openai"):
        await api.enable("help_chat")
        features = (await api.gql("{ helixFeatures { name enabled toggled } }"))["helixFeatures"]
        assert len(features) == 12 and not any(f["enabled"] for f in features)
        assert next(f for f in features if f["name"] == "help_chat")["toggled"] is True
        answer = await api.gql(RUN, feature="help_chat", input={"question": "How do I back up?"})
        assert answer["runHelixFeature"]["unavailable"]["code"] == "HELIX_DISABLED"
        assert api.app.state.graphql.helix._client is None  # no provider was ever built
        status = (await api.gql("{ helix { enabled provider } }"))["helix"]
        assert status == {"enabled": False, "provider": "openai"}


async def test_a_feature_runs_only_once_enabled_and_help_cites_the_docs(api: Api) -> None:
    refused = await api.gql(RUN, feature="help_chat", input={"question": "How do I back up TeslaSync?"})
    assert refused["runHelixFeature"]["unavailable"]["code"] == "HELIX_DISABLED"
    await api.enable("help_chat")
    await api.app.state.graphql.helix.index()
    answer = (
        await api.gql(RUN, feature="help_chat", input={"question": "How do I back up and restore TeslaSync?"})
    )["runHelixFeature"]
    assert answer["unavailable"] is None
    run = answer["run"]
    assert run["status"] == "done" and run["text"].startswith("Mock answer")
    assert any(c["path"] == "operations.md" and c["anchor"] == "backup-and-restore" for c in run["citations"])
    bad = await api.gql(RUN, feature="help_chat", input={"question": 42})
    assert bad["runHelixFeature"]["unavailable"] == {
        "code": "BAD_INPUT",
        "message": "input.question: must be a string",
    }


async def test_a_streamed_answer_arrives_in_pieces_over_a_websocket(api: Api) -> None:
    await api.enable("help_chat")
    started = (await api.gql(RUN, feature="help_chat", input={"question": "What is Helix?"}, stream=True))[
        "runHelixFeature"
    ]["run"]
    token = api.admin["Authorization"].removeprefix("Bearer ")
    events: list[dict[str, Any]] = []
    async with websockets.connect(
        f"ws://127.0.0.1:{api.port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = "subscription($id: ID!) { helixStream(runId: $id) { delta status run { text citations { path } } } }"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"id": started["id"]}},
                }
            )
        )
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if message["type"] == "complete":
                break
            assert message["type"] == "next", message
            events.append(message["payload"]["data"]["helixStream"])
    assert events[-1]["status"] == "done"
    assert "".join(event["delta"] for event in events) == events[-1]["run"]["text"]
    assert events[-1]["run"]["text"].startswith("Mock answer")


async def test_the_command_assistant_only_proposes(api: Api) -> None:
    await api.enable("command_assistant")
    answer = (
        await api.gql(RUN, feature="command_assistant", input={"vin": SHARED, "request": "charge to 80 %"})
    )["runHelixFeature"]["run"]
    proposal = answer["proposal"]
    assert (
        proposal is not None and proposal["valid"] is False and proposal["problems"]
    )  # the mock's empty command
    history = await api.gql(
        "query($vin: String!) { commands(vin: $vin) { edges { node { id } } } }", vin=SHARED
    )
    assert history["commands"]["edges"] == []  # nothing was sent


async def test_ask_my_data_as_a_viewer_cannot_read_a_car_they_do_not_see(api: Api) -> None:
    await api.enable("ask_my_data")
    mine = (
        await api.gql(
            RUN,
            api.viewer,
            feature="ask_my_data",
            input={"question": "How far were my drives?", "vin": SHARED},
        )
    )["runHelixFeature"]["run"]
    assert mine["toolCalls"] == [{"name": "drives", "arguments": {"vin": SHARED}}]
    assert "12.5" in mine["text"]  # the shared car's drive, through the tool
    theirs = (
        await api.gql(
            RUN,
            api.viewer,
            feature="ask_my_data",
            input={"question": "How far were the drives?", "vin": PRIVATE},
        )
    )["runHelixFeature"]["run"]
    assert theirs["toolCalls"] == [{"name": "drives", "arguments": {"vin": PRIVATE}}]  # it tried
    assert "987.6" not in theirs["text"]  # and got nothing: the car is not theirs


async def test_a_budget_refuses_a_call_and_every_call_is_audited(api: Api) -> None:
    await api.enable("help_chat")
    await api.gql(
        'mutation { setHelixPrice(model: "mock-1", inputPerMtok: "1000", outputPerMtok: "1000") { model } }'
    )
    await api.gql(
        'mutation { setHelixFeature(name: "help_chat", monthlyBudget: "0.0001") { monthlyBudget } }'
    )
    refused = await api.gql(RUN, feature="help_chat", input={"question": "How do I back up TeslaSync?"})
    assert refused["runHelixFeature"]["unavailable"]["code"] == "HELIX_BUDGET_EXCEEDED"
    calls = (await api.gql("{ helixCalls { edges { node { feature model outcome errorCode } } } }"))[
        "helixCalls"
    ]["edges"]
    assert {
        "feature": "help_chat",
        "model": "mock-1",
        "outcome": "error",
        "errorCode": "HELIX_BUDGET_EXCEEDED",
    } in [e["node"] for e in calls]
    viewer_tries = (
        await api.http.post(
            "/graphql", json={"query": "{ helixCalls { edges { node { id } } } }"}, headers=api.viewer
        )
    ).json()
    assert viewer_tries["errors"][0]["extensions"]["code"] == "FORBIDDEN"


INPUTS: dict[str, dict[str, Any]] = {
    "drive_summary": {"vin": SHARED},
    "charging_summary": {"vin": SHARED},
    "cost_outlier": {"vin": SHARED, "sessionId": "1"},
    "efficiency_explanation": {"vin": SHARED, "driveId": "1"},
    "weekly_digest": {"vin": SHARED, "weekOf": "2026-11-23"},
    "battery_narrative": {"vin": SHARED},
    "alert_narration": {
        "vin": SHARED,
        "alert": {"name": "BMS_a066_w_Low_Battery", "audiences": ["Customer"]},
    },
    "route_comparison": {"vin": SHARED, "driveIds": ["1", "2"]},
    "maintenance_hints": {"vin": SHARED},
    "ask_my_data": {"question": "What are the latest values?", "vin": SHARED},
    "command_assistant": {"vin": SHARED, "request": "warm the cabin to 21 degrees"},
    "help_chat": {"question": "How do notifications work?"},
}


async def test_every_feature_runs_end_to_end_with_the_mock(api: Api) -> None:
    features = [f["name"] for f in (await api.gql("{ helixFeatures { name } }"))["helixFeatures"]]
    assert sorted(features) == sorted(INPUTS)
    await api.enable(*features)
    for name, given in INPUTS.items():
        answer = (await api.gql(RUN, feature=name, input=given))["runHelixFeature"]
        assert answer["unavailable"] is None, (name, answer)
        run = answer["run"]
        assert run["status"] == "done" and run["text"], name
        if name == "command_assistant":
            assert run["data"] is not None and run["proposal"] is not None
    spent = (await api.gql("{ helixCalls(first: 100) { edges { node { feature outcome } } } }"))["helixCalls"]
    assert {edge["node"]["feature"] for edge in spent["edges"]} == set(
        INPUTS
    )  # every one went through the audit
