"""Shared subscriptions: one execution for every subscriber asking the same thing, bounded mailboxes, and
the execution ends with its last subscriber."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import websockets

from teslasync.app import create_app
from teslasync.db.engine import Database
from teslasync.schema.multicast import MAILBOX, Multicast
from teslasync.telemetry.model import Form, Observation
from teslasync.telemetry.pipeline import Batch
from teslasync.telemetry.runtime import TelemetryRuntime
from tests.conftest import make_settings
from tests.live_server import serve

VIN = "5YJ3E7EB2NF000077"
LIVE = "subscription($vin: String!, $names: [String!]) { signals(vin: $vin, names: $names) { name value } }"


class Source:
    """An upstream that yields what is put into it, and says when it was closed."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.closed = asyncio.Event()

    async def results(self) -> AsyncIterator[int]:
        try:
            while True:
                yield await self.queue.get()
        finally:
            self.closed.set()


async def test_listeners_of_one_key_share_one_source_until_the_last_leaves() -> None:
    multicast, source = Multicast(), Source()
    first = multicast.listen("k", source.results)
    second = multicast.listen("k", lambda: (_ for _ in ()).throw(AssertionError("opened twice")))  # type: ignore[arg-type, return-value]
    pending = [asyncio.ensure_future(first.__anext__()), asyncio.ensure_future(second.__anext__())]
    await asyncio.sleep(0)
    source.queue.put_nowait(1)
    assert await asyncio.gather(*pending) == [1, 1]
    assert multicast.executions == 1 and multicast.open == 1
    await first.aclose()
    assert not source.closed.is_set(), "one listener is left"
    await second.aclose()
    await asyncio.wait_for(source.closed.wait(), 1)
    assert multicast.open == 0


async def test_a_slow_listener_keeps_only_the_newest_results() -> None:
    multicast, source = Multicast(), Source()
    listener = multicast.listen("k", source.results)
    first = asyncio.ensure_future(listener.__anext__())
    await asyncio.sleep(0)
    for value in range(MAILBOX * 3):
        source.queue.put_nowait(value)
    await asyncio.sleep(0.01)  # the source runs ahead of the listener, which keeps the newest only
    received = [await first] + [await listener.__anext__() for _ in range(MAILBOX - 1)]
    assert received == list(range(MAILBOX * 2, MAILBOX * 3))
    await listener.aclose()


async def test_websocket_subscribers_asking_the_same_share_one_execution(
    tmp_path: Path, fresh_db: Database
) -> None:
    settings = make_settings(tmp_path, demo=True)
    runtime = TelemetryRuntime(settings, fresh_db)
    app = create_app(settings, fresh_db, telemetry=runtime, dispose_on_shutdown=False)
    multicast: Multicast = app.state.graphql.multicast

    async def store(value: float) -> None:
        await runtime.pipeline.submit(
            Batch("mqtt", [Observation(VIN, "Soc", value, Form.MQTT, datetime.now(UTC))])
        )
        await runtime.pipeline.drain()

    async def subscriber(names: list[str], got: list[object], ready: asyncio.Event) -> None:
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            json.loads(await socket.recv())
            payload = {"query": LIVE, "variables": {"vin": VIN, "names": names}}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            ready.set()
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            got.append(message["payload"]["data"]["signals"])

    async with serve(app) as port:
        await store(40.0)
        received: list[list[object]] = [[] for _ in range(21)]
        readies = [asyncio.Event() for _ in range(21)]
        tasks = [asyncio.create_task(subscriber(["Soc"], received[i], readies[i])) for i in range(20)] + [
            asyncio.create_task(subscriber(["Soc", "Odometer"], received[20], readies[20]))
        ]
        await asyncio.gather(*(ready.wait() for ready in readies))
        await asyncio.sleep(0.3)  # every subscription is running
        assert multicast.executions == 2, "twenty alike share one execution; other names get their own"
        await store(41.0)
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert all(got == [{"name": "Soc", "value": 41.0}] for got in received)
    await asyncio.sleep(0.1)
    assert multicast.open == 0, "the executions ended with their subscribers"


async def test_legacy_graphql_ws_subscribers_share_too_and_run_persisted_queries(
    tmp_path: Path, fresh_db: Database
) -> None:
    from teslasync.schema.persisted import sha256
    from tests.schema.test_persisted import by_hash, manifest

    settings = make_settings(tmp_path, demo=True, persisted_queries=manifest(tmp_path, LIVE))
    runtime = TelemetryRuntime(settings, fresh_db)
    app = create_app(settings, fresh_db, telemetry=runtime, dispose_on_shutdown=False)
    multicast: Multicast = app.state.graphql.multicast

    async def store(value: float) -> None:
        await runtime.pipeline.submit(
            Batch("mqtt", [Observation(VIN, "Soc", value, Form.MQTT, datetime.now(UTC))])
        )
        await runtime.pipeline.drain()

    async def subscriber(payload: dict[str, object], got: list[object], ready: asyncio.Event) -> None:
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=[websockets.Subprotocol("graphql-ws")]
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(json.dumps({"id": "1", "type": "start", "payload": payload}))
            ready.set()
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 10))
                if message["type"] != "ka":
                    break
            got.append(message)

    async with serve(app) as port:
        await store(40.0)
        plain = {"query": LIVE, "variables": {"vin": VIN, "names": ["Soc"]}}
        hashed = {**by_hash(sha256(LIVE), None), "variables": {"vin": VIN, "names": ["Soc"]}}
        received: list[list[object]] = [[] for _ in range(6)]
        readies = [asyncio.Event() for _ in range(6)]
        tasks = [asyncio.create_task(subscriber(plain, received[i], readies[i])) for i in range(5)]
        tasks.append(asyncio.create_task(subscriber(hashed, received[5], readies[5])))
        await asyncio.gather(*(ready.wait() for ready in readies))
        await asyncio.sleep(0.3)
        assert multicast.executions == 1, "the same document by text or by hash: one execution"
        await store(41.0)
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
    expected = {"id": "1", "type": "data", "payload": {"data": {"signals": {"name": "Soc", "value": 41.0}}}}
    assert all(got == [expected] for got in received), received
