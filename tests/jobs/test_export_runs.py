"""Exports as a user runs them: `createExport` over HTTP, `exportProgress` followed with the `gql` client
until done, the file downloaded from its signed link; a tampered or stale link refused; the file deleted
after the retention period; raw locations refused without a step-up."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from gql.transport.websockets_protocol import WebsocketsProtocolTransportBase

from teslasync.app import create_app
from teslasync.auth.principal import Scope
from teslasync.auth.secrets import Keyring
from teslasync.auth.tokens import create_token
from teslasync.db.engine import Database
from teslasync.jobs.export_runs import clean_up_exports, download_link
from tests.conftest import make_settings
from tests.jobs.test_exports import BASE, VINS, copy_signals, prepare
from tests.live_server import serve

ROWS = 20_000
CREATE = """
mutation($input: ExportInput!) {
  createExport(input: $input) {
    export { id status }
    errors { __typename ... on InvalidInput { field message } }
  }
}
"""


async def _seed(db: Database) -> None:
    vehicle_ids = await prepare(db)
    records = [
        (vehicle_ids[0], "VehicleSpeed", BASE + timedelta(seconds=i), float(i % 130), None, None, False)
        for i in range(ROWS)
    ]
    await copy_signals(db, records)


def _input(**overrides: Any) -> dict[str, Any]:
    return {
        "dataset": "SIGNALS",
        "format": "CSV",
        "vins": [VINS[0]],
        "since": BASE.isoformat(),
        "until": (BASE + timedelta(days=1)).isoformat(),
        **overrides,
    }


async def test_an_export_runs_is_followed_and_downloads_until_it_expires(
    tmp_path: Path, fresh_db: Database
) -> None:
    settings = make_settings(tmp_path)
    await _seed(fresh_db)
    async with fresh_db.transaction() as session:
        token = (await create_token(session, "exports", [Scope.READ])).token
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(settings, fresh_db, dispose_on_shutdown=False)
    async with serve(app) as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        created = (
            await http.post(
                "/graphql", json={"query": CREATE, "variables": {"input": _input()}}, headers=headers
            )
        ).json()
        assert created["data"]["createExport"]["errors"] == []
        export_id = created["data"]["createExport"]["export"]["id"]

        transport = WebsocketsTransport(
            url=f"ws://127.0.0.1:{port}/graphql",
            subprotocols=[WebsocketsProtocolTransportBase.GRAPHQLWS_SUBPROTOCOL],
            init_payload={"authorization": f"Bearer {token}"},
        )
        progress = gql("subscription($id: ID!) { exportProgress(id: $id) { status rows bytes downloadUrl } }")
        progress.variable_values = {"id": export_id}
        seen: list[dict[str, Any]] = []
        async with Client(transport=transport) as client:

            async def follow() -> None:
                async for result in client.subscribe(progress):
                    seen.append(result["exportProgress"])

            await asyncio.wait_for(follow(), 60)
        assert seen[-1]["status"] == "DONE" and seen[-1]["rows"] == ROWS
        assert {update["status"] for update in seen} <= {"QUEUED", "RUNNING", "DONE"}
        url = seen[-1]["downloadUrl"]
        assert url.startswith(f"/exports/{export_id}/download?")

        downloaded = await http.get(url)
        assert downloaded.status_code == 200
        assert downloaded.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(downloaded.text)))
        assert len(rows) == ROWS and seen[-1]["bytes"] == len(downloaded.content)
        assert {row["vin"] for row in rows} == {"5YJ3***********01"}  # redacted by default

        tampered = url.replace("expires=", "expires=9")
        assert (await http.get(tampered)).status_code == 403
        keys = Keyring.from_settings(settings)
        stale = download_link(settings, keys, int(export_id), now=datetime.now(UTC) - timedelta(hours=1))
        assert (await http.get(stale)).status_code == 403

        removed = await clean_up_exports(settings, fresh_db, now=datetime.now(UTC) + timedelta(days=4))
        assert removed == 1
        assert list(settings.resolved_export_dir.iterdir()) == []
        assert (await http.get(url)).status_code == 410
        listed = (
            await http.post(
                "/graphql",
                json={"query": "{ exports { edges { node { id status downloadUrl } } } }"},
                headers=headers,
            )
        ).json()
        assert listed["data"]["exports"]["edges"] == [
            {"node": {"id": export_id, "status": "EXPIRED", "downloadUrl": None}}
        ]


async def test_exact_locations_need_a_step_up_and_bad_input_is_named(
    tmp_path: Path, fresh_db: Database
) -> None:
    settings = make_settings(tmp_path)
    await prepare(fresh_db)
    async with fresh_db.transaction() as session:
        token = (await create_token(session, "exports", [Scope.READ])).token
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        serve(create_app(settings, fresh_db, dispose_on_shutdown=False)) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        exact = _input(dataset="POSITIONS", redaction={"locationDecimals": None})
        refused = (
            await http.post(
                "/graphql", json={"query": CREATE, "variables": {"input": exact}}, headers=headers
            )
        ).json()
        assert refused["errors"][0]["extensions"]["code"] == "TOTP_ENROLMENT_REQUIRED"

        unknown = _input(vins=["5YJ3E7EB2NF999999"])
        answer = (
            await http.post(
                "/graphql", json={"query": CREATE, "variables": {"input": unknown}}, headers=headers
            )
        ).json()
        assert answer["data"]["createExport"] == {
            "export": None,
            "errors": [
                {"__typename": "InvalidInput", "field": "vins", "message": "no vehicle 5YJ3E7EB2NF999999"}
            ],
        }
        backwards = _input(until=BASE.isoformat())
        answer = (
            await http.post(
                "/graphql", json={"query": CREATE, "variables": {"input": backwards}}, headers=headers
            )
        ).json()
        assert answer["data"]["createExport"]["errors"][0]["message"] == "since must be before until"
