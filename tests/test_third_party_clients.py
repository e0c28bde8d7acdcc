"""Real third-party clients against the real server: the `gql` client subscribes over
graphql-transport-ws (authenticated in connection_init, as browsers must) and receives live values; plain
HTTP queries with nothing but a JSON POST."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from gql.transport.websockets_protocol import WebsocketsProtocolTransportBase

from teslasync.app import create_app
from teslasync.auth.principal import Scope
from teslasync.auth.tokens import create_token
from teslasync.db.engine import Database
from teslasync.telemetry.model import Form, Observation
from teslasync.telemetry.pipeline import Batch
from teslasync.telemetry.runtime import TelemetryRuntime
from tests.conftest import make_settings
from tests.live_server import serve

VIN = "5YJ3E7EB2NF000042"


async def test_gql_subscribes_over_graphql_transport_ws_and_http_queries(
    tmp_path: Path, fresh_db: Database
) -> None:
    settings = make_settings(tmp_path)  # not demo: every request must authenticate
    async with fresh_db.transaction() as session:
        token = (await create_token(session, "integration", [Scope.READ])).token
    runtime = TelemetryRuntime(settings, fresh_db)

    async def store(value: float) -> None:
        await runtime.pipeline.submit(
            Batch("mqtt", [Observation(VIN, "BatteryLevel", value, Form.MQTT, datetime.now(UTC))])
        )
        await runtime.pipeline.drain()

    async with serve(create_app(settings, fresh_db, telemetry=runtime, dispose_on_shutdown=False)) as port:
        await store(80.0)
        transport = WebsocketsTransport(
            url=f"ws://127.0.0.1:{port}/graphql",
            subprotocols=[WebsocketsProtocolTransportBase.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
            init_payload={"authorization": f"Bearer {token}"},
        )
        live = gql(
            'subscription($vin: String!) { signals(vin: $vin, names: ["BatteryLevel"]) { name value unit } }'
        )
        live.variable_values = {"vin": VIN}
        received: list[dict[str, object]] = []
        async with Client(transport=transport) as client:

            async def listen() -> None:
                async for result in client.subscribe(live):
                    received.append(result["signals"])
                    if len(received) == 2:
                        return

            listener = asyncio.create_task(listen())
            await asyncio.sleep(0.3)  # subscribed
            await store(79.0)
            await store(78.5)
            await asyncio.wait_for(listener, 10)
        assert received == [
            {"name": "BatteryLevel", "value": 79.0, "unit": "%"},
            {"name": "BatteryLevel", "value": 78.5, "unit": "%"},
        ]

        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"http://127.0.0.1:{port}/graphql",
                json={
                    "query": 'query($vin: String!) { vehicle(vin: $vin) { vin signals(names: ["BatteryLevel"]) { value } } }',
                    "variables": {"vin": VIN},
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            anonymous = await http.post(
                f"http://127.0.0.1:{port}/graphql", json={"query": "{ vehicles { vin } }"}
            )
    assert response.status_code == 200
    assert response.json() == {"data": {"vehicle": {"vin": VIN, "signals": [{"value": 78.5}]}}}
    assert anonymous.status_code == 401
