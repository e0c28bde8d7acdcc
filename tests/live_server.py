"""The real app served by uvicorn on a free loopback port, inside the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from teslasync.config import Settings
from teslasync.server import uvicorn_config
from tests.services import free_port


@asynccontextmanager
async def serve(
    app: Starlette, *, tls: tuple[Path, Path] | None = None, settings: Settings | None = None
) -> AsyncIterator[int]:
    """Serve `app` until the block ends; `tls` (certificate, key) serves HTTPS; with `settings`, uvicorn
    runs as `teslasync serve` runs it (server.uvicorn_config)."""
    port = free_port()
    certificate, key = (str(tls[0]), str(tls[1])) if tls else (None, None)
    listen = {"host": "127.0.0.1", "port": port, "ssl_certfile": certificate, "ssl_keyfile": key}
    if settings is not None:
        config = uvicorn_config(app, settings, **listen)
    else:
        config = uvicorn.Config(app, log_config=None, lifespan="on", **listen)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
