"""`teslasync serve --demo` as `make run` starts it: a real process, a real port, the embedded database."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import websockets

from teslasync.app import create_app
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database
from teslasync.server import GC_THRESHOLDS, settle_gc
from tests.cli_helpers import TESLASYNC, clean_env, run_cli
from tests.conftest import make_settings
from tests.live_server import serve
from tests.services import free_port


@contextmanager
def serving(data_dir: Path, port: int, *args: str, **extra_env: str) -> Iterator[subprocess.Popen[str]]:
    env = clean_env(TESLASYNC_DATA_DIR=str(data_dir), TESLASYNC_PORT=str(port), **extra_env)
    process = subprocess.Popen(
        [*TESLASYNC, "serve", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise TimeoutError("teslasync did not become healthy")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)
    return process.returncode, stdout, stderr


def _graphql(port: int, query: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, headers=headers, timeout=10)


def test_demo_serves_vehicles_stops_cleanly_and_reuses_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    with serving(data_dir, port, "--demo") as process:
        response = _graphql(port, "{ vehicles { vin model } }")
        assert response.status_code == 200
        assert response.json()["data"]["vehicles"] == [{"vin": "5YJ3E7EB2NF000001", "model": "Model 3"}]
        # the simulated car streams live in demo mode
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            car = _graphql(
                port, '{ vehicle(vin: "5YJ3E7EB2NF000001") { displayName streamState signals { name } } }'
            )
            vehicle = car.json()["data"]["vehicle"]
            if vehicle["streamState"] == "LIVE" and len(vehicle["signals"]) > 20:
                break
            time.sleep(0.5)
        assert vehicle["streamState"] == "LIVE"
        assert {"BatteryLevel", "Odometer", "Location", "Gear"} <= {s["name"] for s in vehicle["signals"]}
        assert vehicle["displayName"] == "Demo Model 3"
        # A one-off command while the service runs uses the same embedded database and leaves it running.
        created = run_cli(
            "token",
            "create",
            "--name",
            "e2e",
            "--scope",
            "read",
            cwd=tmp_path,
            TESLASYNC_DATA_DIR=str(data_dir),
        )
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip()
        assert _graphql(port, "{ vehicles { vin } }").status_code == 200
        code, stdout, _ = _stop(process, signal.SIGINT)
    assert code == 0
    assert f"GraphQL:  http://127.0.0.1:{port}/graphql" in stdout
    assert "anonymous requests from loopback are allowed" in stdout
    assert not EmbeddedPostgres(data_dir).running(), "Ctrl-C must stop the embedded database"

    # Second start, outside demo mode: the same data, and now nothing is anonymous.
    with serving(data_dir, port) as process:
        assert _graphql(port, "{ vehicles { vin } }").status_code == 401
        response = _graphql(port, "{ vehicles { vin } }", token=token)
        assert response.json() == {"data": {"vehicles": [{"vin": "5YJ3E7EB2NF000001"}]}}
        code, stdout, _ = _stop(process, signal.SIGTERM)
    assert code == 0
    assert "Requests need 'Authorization: Bearer <token>'" in stdout
    assert not EmbeddedPostgres(data_dir).running(), "SIGTERM must stop the embedded database"


def test_killed_service_leaves_a_database_the_next_start_adopts(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    with serving(data_dir, port, "--demo") as process:
        process.kill()
        process.wait()
    assert EmbeddedPostgres(data_dir).running()
    with serving(data_dir, port, "--demo") as process:
        assert _graphql(port, "{ vehicles { vin } }").status_code == 200
        code, _, _ = _stop(process, signal.SIGINT)
    assert code == 0
    assert not EmbeddedPostgres(data_dir).running()


def test_stop_closes_open_websockets_and_exits_promptly(tmp_path: Path) -> None:
    port = free_port()
    with serving(tmp_path / "data", port, "--demo") as process:

        async def hold_socket_through_shutdown() -> int | None:
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/graphql",
                subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            ) as socket:
                await socket.send(json.dumps({"type": "connection_init"}))
                assert json.loads(await socket.recv())["type"] == "connection_ack"
                started = time.monotonic()
                process.send_signal(signal.SIGINT)
                with contextlib.suppress(websockets.ConnectionClosed):
                    while True:
                        await socket.recv()
                assert time.monotonic() - started < 10
                return socket.close_code

        close_code = asyncio.run(hold_socket_through_shutdown())
        process.wait(timeout=30)
    assert close_code == 1012, "clients are told the service is restarting"
    assert process.returncode == 0
    assert not EmbeddedPostgres(tmp_path / "data").running()


async def test_websocket_compression_is_off_unless_turned_on(tmp_path: Path, db: Database) -> None:
    for compression in (False, True):
        settings = make_settings(tmp_path, demo=True, ws_compression=compression)
        app = create_app(settings, db, dispose_on_shutdown=False)
        # the client offers permessage-deflate, as browsers do
        async with (
            serve(app, settings=settings) as port,
            websockets.connect(
                f"ws://127.0.0.1:{port}/graphql",
                subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            ) as ws,
        ):
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            assert ws.response is not None
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
        assert ("permessage-deflate" in extensions) is compression, extensions


def test_settling_the_collector_freezes_start_up_and_collects_young_objects_less_often() -> None:
    thresholds = gc.get_threshold()
    try:
        settle_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == GC_THRESHOLDS
        assert GC_THRESHOLDS[0] > thresholds[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
