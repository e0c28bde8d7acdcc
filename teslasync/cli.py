"""The `teslasync` command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from teslasync.auth.principal import Scope
from teslasync.config import Settings, SettingsError, load_settings
from teslasync.observability.logs import configure_logging, register_secrets

app = typer.Typer(
    help="TeslaSync: a self-hosted, GraphQL-first platform for Tesla owners and small fleets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
keys_app = typer.Typer(help="Manage the keys that encrypt secrets at rest.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"teslasync: {message}", err=True)
    return typer.Exit(code)


def settings_or_exit(*, quiet: bool = True, **overrides: object) -> Settings:
    """Settings, or exit 2 with one line. One-off commands (`quiet`) log only warnings unless debugging."""
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise fail(str(exc), 2) from None
    level = settings.log_level
    configure_logging("warning" if quiet and level in ("info",) else level)
    register_secrets(settings)
    return settings


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The database URL for a one-off command, starting the embedded server for its duration if needed."""
    from teslasync.server import StartupError, start_database

    try:
        handle = start_database(settings, own=False)
    except StartupError as exc:
        raise fail(str(exc)) from None
    try:
        yield handle.url
    finally:
        handle.stop()


def run_with_db(settings: Settings, work: Callable[[Settings, str], Coroutine[object, object, T]]) -> T:
    from teslasync.server import StartupError

    with database(settings) as url:
        try:
            return asyncio.run(work(settings, url))
        except StartupError as exc:
            raise fail(str(exc)) from None


@app.command()
def serve(
    demo: Annotated[
        bool, typer.Option("--demo", help="Demo mode: a simulated car, GraphiQL, loopback anonymous.")
    ] = False,
    host: Annotated[str | None, typer.Option(help="Address to listen on (TESLASYNC_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (TESLASYNC_PORT).")] = None,
) -> None:
    """Serve the API: start (or reach) the database, apply migrations, listen on TESLASYNC_HOST:PORT."""
    from teslasync.server import StartupError
    from teslasync.server import serve as run_server

    settings = settings_or_exit(quiet=False, demo=demo or None, host=host, port=port)
    try:
        run_server(settings)
    except StartupError as exc:
        raise fail(str(exc)) from None


@app.command()
def migrate() -> None:
    """Apply the database migrations, then exit."""
    from teslasync.server import prepare_database

    async def work(settings: Settings, url: str) -> None:
        db = await prepare_database(settings, url)
        await db.dispose()

    run_with_db(settings_or_exit(), work)
    typer.echo("migrations applied")


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Argument(help="Where to write the SDL.")] = Path("schema.graphql"),
) -> None:
    """Write the GraphQL schema (SDL) to a file; `-` writes to standard output."""
    from teslasync.schema import schema

    sdl = schema.as_str() + "\n"
    if str(output) == "-":
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl)
        typer.echo(f"wrote {output}")


@app.command()
def replay(
    files: Annotated[
        list[Path], typer.Argument(help="Files of Fleet Telemetry records, one JSON Payload a line.")
    ],
    speed: Annotated[
        str, typer.Option(help="'full' (as fast as possible) or 'original' (as the car sent them).")
    ] = "full",
    max_pause: Annotated[
        float, typer.Option(help="At original speed, the longest pause between records (s).")
    ] = 60.0,
) -> None:
    """Feed recorded telemetry through the same pipeline as live data (log prefixes are accepted)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from teslasync.jobs.derivation import attach_derivation
    from teslasync.server import prepare_database
    from teslasync.telemetry.runtime import TelemetryRuntime
    from teslasync.telemetry.sources.replay import Speed
    from teslasync.telemetry.sources.replay import replay as run_replay

    if speed not in ("full", "original"):
        raise fail("--speed must be 'full' or 'original'", 2)
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise fail(f"no such file: {', '.join(missing)}", 2)

    async def work(settings: Settings, url: str) -> tuple[int, int, int]:
        db = await prepare_database(settings, url)
        runtime = TelemetryRuntime(settings, db)
        attach_derivation(runtime)
        await runtime.start()
        try:
            total = sum(path.stat().st_size for path in files)
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task("replaying", total=total)
                summary = await run_replay(
                    runtime.pipeline,
                    files,
                    speed=Speed(speed),
                    max_pause_s=max_pause,
                    progress=lambda size: bar.advance(task, size),
                )
        finally:
            await runtime.stop()
            await db.dispose()
        return summary.records, summary.values, summary.dead_letters

    records, values, dead = run_with_db(settings_or_exit(), work)
    typer.echo(f"replayed {records} records ({values} values); {dead} lines dead-lettered")


@app.command()
def simulate(
    vehicles: Annotated[int, typer.Option("--vehicles", min=1, max=10_000, help="How many cars.")] = 1,
    mqtt_url: Annotated[
        str | None, typer.Option(help="Broker to publish to (default TESLASYNC_MQTT_URL).")
    ] = None,
    topic_base: Annotated[
        str | None, typer.Option(help="Topic base (default TESLASYNC_MQTT_TOPIC_BASE).")
    ] = None,
    speedup: Annotated[
        float, typer.Option(min=0.01, help="Run the cars' phases this many times faster.")
    ] = 1.0,
    duration: Annotated[float | None, typer.Option(min=0, help="Stop after this many seconds.")] = None,
) -> None:
    """Publish realistic Fleet Telemetry over MQTT, as Tesla's fleet-telemetry MQTT dispatcher does:
    parked, driving, AC and DC charging, asleep, with physically consistent values."""
    from datetime import UTC, datetime

    import aiomqtt

    from teslasync.telemetry.sources.simulator import SimulatedCar, demo_vins, run_over_mqtt

    settings = settings_or_exit()
    url = mqtt_url or (settings.mqtt_url.get_secret_value() if settings.mqtt_url else None)
    if url is None:
        raise fail("no broker: pass --mqtt-url or set TESLASYNC_MQTT_URL", 2)
    start = datetime.now(UTC)
    cars = [
        SimulatedCar(vin, seed=i + 1, start=start, speedup=speedup)
        for i, vin in enumerate(demo_vins(vehicles))
    ]

    async def work() -> int:
        stop = asyncio.Event()
        if duration is not None:
            asyncio.get_running_loop().call_later(duration, stop.set)
        return await run_over_mqtt(url, topic_base or settings.mqtt_topic_base, cars, stop=stop)

    try:
        published = asyncio.run(work())
    except KeyboardInterrupt:
        return
    except (OSError, ValueError, aiomqtt.MqttError) as exc:
        raise fail(f"simulation stopped: {exc}") from None
    typer.echo(f"published {published} messages for {vehicles} vehicles")


@app.command()
def recompute(
    vin: Annotated[str, typer.Option("--vin", help="The vehicle.")],
    since: Annotated[
        str | None, typer.Option(help="Rebuild from this ISO 8601 time on (default: all).")
    ] = None,
) -> None:
    """Rebuild a vehicle's drives, charging sessions and states from its stored signals (idempotent)."""
    from datetime import UTC, datetime

    from teslasync.errors import NotFound
    from teslasync.jobs.recompute import RecomputeResult
    from teslasync.jobs.recompute import recompute as run_recompute
    from teslasync.server import prepare_database

    start: datetime | None = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise fail(f"--since: not an ISO 8601 time: {since!r}", 2) from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)

    async def work(settings: Settings, url: str) -> RecomputeResult:
        db = await prepare_database(settings, url)
        try:
            return await run_recompute(db, vin.strip().upper(), start)
        finally:
            await db.dispose()

    try:
        result = run_with_db(settings_or_exit(), work)
    except NotFound as exc:
        raise fail(exc.message) from None
    typer.echo(
        f"rebuilt {result.drives} drives, {result.charging_sessions} charging sessions "
        f"and {result.states} state spans"
    )


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    scope: Annotated[list[Scope], typer.Option("--scope", help="read, command or admin (repeatable).")],
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Expire after N days.")
    ] = None,
) -> None:
    """Create an API token for the administrator. It is printed once and stored only as a hash."""
    from teslasync.auth.tokens import create_token
    from teslasync.server import prepare_database

    async def work(settings: Settings, url: str) -> str:
        db = await prepare_database(settings, url)
        try:
            async with db.transaction() as session:
                issued = await create_token(
                    session, name, scope, timedelta(days=expires_days) if expires_days else None
                )
        finally:
            await db.dispose()
        return issued.token

    token = run_with_db(settings_or_exit(), work)
    typer.echo(token)
    typer.echo("Store it now: it is not shown again.", err=True)


@token_app.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    from teslasync.db.repositories.tokens import list_tokens
    from teslasync.server import prepare_database

    async def work(settings: Settings, url: str) -> list[str]:
        db = await prepare_database(settings, url)
        try:
            async with db.transaction() as session:
                rows = await list_tokens(session)
        finally:
            await db.dispose()
        return [
            "\t".join(
                [
                    str(row.id),
                    row.name,
                    ",".join(row.scopes),
                    row.created_at.isoformat(timespec="seconds"),
                    row.expires_at.isoformat(timespec="seconds") if row.expires_at else "never",
                    row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "unused",
                    "revoked" if row.revoked_at else "active",
                ]
            )
            for row in rows
        ]

    lines = run_with_db(settings_or_exit(), work)
    typer.echo("id\tname\tscopes\tcreated\texpires\tlast used\tstatus")
    for line in lines:
        typer.echo(line)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id (see `token list`).")]) -> None:
    """Revoke a token; requests carrying it are refused from then on."""
    from teslasync.db.repositories.tokens import revoke
    from teslasync.server import prepare_database

    async def work(settings: Settings, url: str) -> bool:
        db = await prepare_database(settings, url)
        try:
            async with db.transaction() as session:
                return await revoke(session, token_id)
        finally:
            await db.dispose()

    if not run_with_db(settings_or_exit(), work):
        raise fail(f"no active token with id {token_id}")
    typer.echo(f"revoked token {token_id}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Make a new current key and re-encrypt every secret at rest under it, while the service runs.

    Old keys stay in the key file for envelopes written meanwhile; running processes reload the file on
    their own."""
    from teslasync.jobs.keys import Rotation, rotate
    from teslasync.server import prepare_database

    async def work(settings: Settings, url: str) -> Rotation:
        db = await prepare_database(settings, url)
        try:
            return await rotate(settings, db)
        finally:
            await db.dispose()

    settings = settings_or_exit()
    result = run_with_db(settings, work)
    typer.echo(
        f"current key {result.current_key} (was {result.previous_key}); "
        f"re-encrypted {result.reencrypted} rows, {result.skipped} changed meanwhile"
    )


def main() -> None:
    app()
