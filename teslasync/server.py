"""`teslasync serve`: bind the port, start or reach the database, migrate, and serve until a signal.

Start-up problems (a port in use, an unreachable database, a bad setting) end in one clear line and a non-zero
exit, never in a traceback: they raise `StartupError`, which the CLI prints.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import signal
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import uvicorn
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from teslasync import __version__
from teslasync.config import Settings
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres, EmbeddedPostgresError
from teslasync.db.engine import Database, make_engine, redact_url
from teslasync.db.storage import StorageError
from teslasync.observability import tracing

if TYPE_CHECKING:
    from starlette.types import ASGIApp

log = logging.getLogger("teslasync.server")


class StartupError(Exception):
    pass


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"port {port} on {host} is already in use (set TESLASYNC_PORT)") from None
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass
class DatabaseHandle:
    url: str
    embedded: EmbeddedPostgres | None
    owned: bool

    def stop(self) -> None:
        if self.embedded is not None and self.owned:
            self.embedded.stop()


def start_database(settings: Settings, *, own: bool) -> DatabaseHandle:
    """The database URL; the embedded server is started (or adopted) when no URL is configured.

    `own`: stop the embedded server when done even if it was already running (the server process owns it;
    a one-off command such as `token create` leaves a running server alone)."""
    if settings.database_url is not None:
        return DatabaseHandle(settings.database_url.get_secret_value(), None, owned=False)
    try:
        embedded = EmbeddedPostgres(settings.resolved_data_dir)
        started = embedded.start()
    except (EmbeddedPostgresError, OSError) as exc:
        raise StartupError(str(exc)) from None
    return DatabaseHandle(embedded.url(), embedded, owned=own or started)


async def prepare_database(settings: Settings, url: str) -> Database:
    """Connect (failing fast with a clear line) and apply the migrations."""
    engine = make_engine(url, settings.database_pool_size, settings.database_connect_timeout_s)
    db = Database.from_engine(engine)
    try:
        await db.ping(timeout_s=settings.database_connect_timeout_s)
    except (TimeoutError, OSError, SQLAlchemyError) as exc:
        await db.dispose()
        reason = _reason(exc)
        raise StartupError(f"cannot reach the database at {redact_url(url)}: {reason}") from None
    try:
        await migrate.upgrade(engine, settings.storage)
    except (StorageError, SQLAlchemyError) as exc:
        await db.dispose()
        raise StartupError(f"database migration failed: {_reason(exc)}") from None
    return db


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig).strip().splitlines()[0]
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def banner(settings: Settings, started: float) -> str:
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        f"TeslaSync {__version__} ready in {time.monotonic() - started:.1f}s"
        + (" (demo mode)" if settings.demo else ""),
        f"  GraphQL:  {base}/graphql"
        + ("  (GraphiQL: open it in a browser)" if settings.graphiql_enabled else ""),
        f"  Health:   {base}/healthz  {base}/readyz  {base}/metrics",
        "  Database: "
        + (
            "embedded, data in " + str(settings.resolved_data_dir)
            if settings.embedded_database
            else "external"
        ),
    ]
    if settings.demo:
        lines.append("  Demo mode: anonymous requests from loopback are allowed; nothing else is anonymous.")
    else:
        lines.append("  Requests need 'Authorization: Bearer <token>' (create one: teslasync token create).")
    lines.append(
        "  Ctrl-C stops TeslaSync" + (" and its embedded database." if settings.embedded_database else ".")
    )
    return "\n".join(lines)


# Young collections after 50,000 allocations rather than 700: objects in flight (a fan-out's thousand sends, a
# page's rows) die young instead of being promoted early, so full collections, which walk every connection's
# objects, come ~70x less often. A young collection then takes 5-20 ms.
GC_THRESHOLDS = (50_000, 10, 10)


def settle_gc() -> None:
    """Tune the collector for a long-running server, once start-up is done.

    What start-up built (the schema, modules, the catalogue) lives as long as the process: frozen out of the
    collector, a full collection no longer walks it (bench/analytics.py: the longest pauses under load fell
    from ~240 ms to ~40 ms). With 1,000 subscribers, the thresholds took the fan-out's p99 from ~280 ms, a
    full collection in the window, to ~80 ms (bench/api.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def uvicorn_config(app: ASGIApp, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """How the service runs its app under uvicorn (bench/ingest.py runs it the same way)."""
    options: dict[str, Any] = {
        "log_config": None,
        "log_level": settings.log_level,
        "timeout_graceful_shutdown": settings.shutdown_grace_s,
        "ws_ping_interval": 20,
        "ws_ping_timeout": 20,
        "ws_per_message_deflate": settings.ws_compression,
        "lifespan": "on",
        # the peer must stay the TCP peer: forward-auth trusts identity headers by the proxy's own address,
        # and auth/forward.py reads X-Forwarded-For itself, from trusted proxies only
        "proxy_headers": False,
    }
    return uvicorn.Config(app, **(options | overrides))


async def _serve(settings: Settings, sock: socket.socket, url: str, started: float) -> None:
    from teslasync.app import create_app
    from teslasync.demo import seed_demo
    from teslasync.jobs.derivation import DerivationListener, attach_derivation
    from teslasync.schema.persisted import ManifestError
    from teslasync.telemetry.runtime import TelemetryRuntime

    db = await prepare_database(settings, url)
    if tracing.configure_tracing(__version__):
        tracing.instrument_engine(db.engine)
    if settings.demo:
        await seed_demo(db)
    telemetry = TelemetryRuntime(settings, db)
    listeners: list[DerivationListener] = []
    attach_derivation(telemetry, listeners)
    try:
        app = create_app(settings, db, telemetry=telemetry, listeners=listeners)
    except ManifestError as exc:
        raise StartupError(str(exc)) from None
    settle_gc()
    server = uvicorn.Server(uvicorn_config(app, settings))
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        print(banner(settings, started), flush=True)

    server.startup = startup  # type: ignore[method-assign]
    await server.serve(sockets=[sock])


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # uvicorn re-raises the signal it caught once it has drained; exiting through SystemExit (rather than
    # the default handler's immediate death) lets the embedded database be stopped below.
    raise SystemExit(0)


def serve(settings: Settings) -> None:
    started = time.monotonic()
    sock = bind_socket(settings.host, settings.port)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        handle = start_database(settings, own=True)
        try:
            asyncio.run(_serve(settings, sock, handle.url, started))
        except KeyboardInterrupt:
            pass
        finally:
            tracing.shutdown_tracing()
            handle.stop()
    finally:
        sock.close()
        signal.signal(signal.SIGTERM, previous)
