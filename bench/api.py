"""The GraphQL API beside the SQL that serves it, and live fan-out to many websocket subscribers.

    PYTHONPATH=. .venv/bin/python bench/api.py [--drives 10000] [--iterations 200] [--subscribers 1000]
        [--rate 10] [--seconds 10] [--quick] [--profile]

Starts an embedded PostgreSQL (migrated, plain storage) and a Mosquitto broker in a temp dir, then:

[2] the floor every request pays: `{ __typename }` and `vehicle(vin) { vin }` through GraphQL, beside the
   vehicle's SQL alone.

[3] drives (numbered as in bench/analytics.py, which measures it): a page of 100 out of `--drives` drives (tracks of ~50 points) through GraphQL, first page and
   a page deep in the list, against the same page through `pages_for` and as plain SQL (bench/analytics.py
   does the measuring).
[4] series: a year of hourly rollups for one car (8 numeric fields), then `Vehicle.series` for 30 days at
   500 points (2-hour buckets, from the rollup) through GraphQL, against `repo.buckets` and the rollup SQL
   alone on the asyncpg connection.
[5] fan-out: the app under uvicorn with its MQTT bridge; `--subscribers` graphql-transport-ws subscribers
   (in a process of their own) to one car's signals, `--rate` updates a second published over MQTT for
   `--seconds`; latency from publish to each subscriber's `next` (bench/ingest.py does the measuring).

Targets (from the issue): the API at most 1.5x the SQL that serves it; fan-out p99 under 100 ms.
Timings are printed, never asserted. `--quick`: 2,000 drives, 50 iterations, 200 subscribers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import math
import signal
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.analytics import (
    API_VIN,
    PAGE,
    RAW_FIRST,
    REPLAYED,
    GcPauses,
    app_client,
    bench_api,
    latency_line,
    percentile,
    replay,
    statement_summary,
    statements_of,
    timed,
)
from bench.ingest import live_latency, services
from teslasync.config import Settings, StorageMode
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, make_engine
from teslasync.db.repositories import series as series_repo
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.resolvers.series import step_for
from teslasync.server import settle_gc

SERIES_VIN = "5YJ3E7EB2NF000003"
FIELDS = (
    "BatteryLevel",
    "VehicleSpeed",
    "OutsideTemp",
    "InsideTemp",
    "PackVoltage",
    "PackCurrent",
    "RatedRange",
    "Odometer",
)
CHART = ("BatteryLevel", "VehicleSpeed", "OutsideTemp")
COLUMNS_QUERY = """
query($vin: String!, $since: DateTime!, $until: DateTime!, $names: [String!]!) {
  vehicle(vin: $vin) {
    series(names: $names, since: $since, until: $until, maxPoints: 500) {
      name unit bucketSeconds columns { at min max mean last count }
    }
  }
}"""
SERIES_QUERY = """
query($vin: String!, $since: DateTime!, $until: DateTime!, $names: [String!]!) {
  vehicle(vin: $vin) {
    series(names: $names, since: $since, until: $until, maxPoints: 500) {
      name unit bucketSeconds points { at min max mean last count }
    }
  }
}"""
# the rollup SQL of repo.buckets, for asyncpg's $n parameters
RAW_SERIES = (
    series_repo.HOURLY_SQL.replace(":vehicles", "$1")
    .replace(":fields", "$2")
    .replace(":since", "$3")
    .replace(":until", "$4")
    .replace(":step", "$5")
    .replace(":origin", "$6")
)


def rollup_rows(vehicle_id: int, end: datetime) -> list[tuple[Any, ...]]:
    """A year of hourly rollups: 3,600 values an hour per field, a daily wave plus a weekly drift."""
    rows = []
    start = end - timedelta(days=365)
    for hour in range(365 * 24):
        bucket = start + timedelta(hours=hour)
        for index, field in enumerate(FIELDS):
            mean = 50 + 20 * math.sin(hour / 24 * 2 * math.pi + index) + 5 * math.sin(hour / 168)
            rows.append(
                (
                    vehicle_id,
                    field,
                    bucket,
                    3600,
                    mean - 3,
                    mean + 3,
                    mean * 3600,
                    bucket + timedelta(minutes=59),
                    mean,
                )
            )
    return rows


POLYLINE_QUERY = """
query($vin: String!) {
  vehicle(vin: $vin) {
    drives(first: 100) {
      edges { node { id startedAt distanceKm energyUsedKwh trackPolyline } }
      pageInfo { endCursor hasNextPage }
    }
  }
}"""


async def bench_polyline(db: Database, connection: asyncpg.Connection, tmp: Path, iterations: int) -> None:
    print("\n[3b] the same first page with each track as an encoded polyline (`trackPolyline`)", flush=True)
    vehicle_id = await connection.fetchval("SELECT id FROM vehicles WHERE vin = $1", API_VIN)
    async with app_client(tmp, db) as client:

        async def api() -> Any:
            return await client.post(
                "/graphql", json={"query": POLYLINE_QUERY, "variables": {"vin": API_VIN}}
            )

        async def raw() -> Any:
            return await connection.fetch(RAW_FIRST, [vehicle_id], PAGE + 1)

        response = await api()
        edges = response.json()["data"]["vehicle"]["drives"]["edges"]
        print(f"  {len(edges)} drives, response {len(response.content) / 1024:.0f} KiB")
        with GcPauses() as pauses:
            took = await timed({"api": api, "raw": raw}, iterations, pauses)
    print(latency_line("GraphQL over ASGI (httpx)", took["api"]) + "  " + pauses.summary("api"))
    print(latency_line("SQL alone (asyncpg fetch)", took["raw"]))
    ratio = percentile(took["api"], 0.5) / percentile(took["raw"], 0.5)
    print(f"    API / SQL alone: {ratio:.2f}x (p50)", flush=True)


FLOOR_QUERY = "query($vin: String!) { vehicle(vin: $vin) { vin } }"


async def bench_floor(db: Database, connection: asyncpg.Connection, tmp: Path, iterations: int) -> None:
    """What every request pays whatever it asks: HTTP and the GraphQL view (`__typename`), then a session
    and one row (`vehicle(vin)`), beside that row's SQL alone."""
    print("\n[2] the floor: a request that reads nothing, and one that reads a vehicle", flush=True)
    async with db.transaction() as session:
        await ensure_vehicle(session, API_VIN, model="Model 3")
    async with app_client(tmp, db) as client:

        async def nothing() -> Any:
            return await client.post("/graphql", json={"query": "{ __typename }"})

        async def vehicle() -> Any:
            return await client.post("/graphql", json={"query": FLOOR_QUERY, "variables": {"vin": API_VIN}})

        body = (await vehicle()).json()
        if body.get("data", {}).get("vehicle") is None:
            raise RuntimeError(f"no vehicle: {body}")
        statements = await statements_of(db, vehicle)
        with GcPauses() as pauses:
            took = await timed(
                {"nothing": nothing, "vehicle": vehicle, REPLAYED: replay(connection, statements)},
                iterations,
                pauses,
            )
    print(latency_line("{ __typename }", took["nothing"]))
    print(latency_line("vehicle(vin) { vin }", took["vehicle"]))
    print(latency_line(REPLAYED, took[REPLAYED]))
    ratio = percentile(took["vehicle"], 0.5) / percentile(took[REPLAYED], 0.5)
    print(f"    vehicle(vin) / its SQL: {ratio:.1f}x (p50)", flush=True)


async def bench_series(db: Database, connection: asyncpg.Connection, tmp: Path, iterations: int) -> None:
    print("\n[4] series: 30 days at 500 points, from a year of hourly rollups (8 fields)", flush=True)
    async with db.transaction() as session:
        vehicle_id = (await ensure_vehicle(session, SERIES_VIN, model="Model Y")).id
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    await connection.copy_records_to_table(
        "signal_rollups_hourly",
        records=rollup_rows(vehicle_id, end),
        columns=("vehicle_id", "field", "bucket", "n", "vmin", "vmax", "vsum", "last_ts", "last_num"),
    )
    await connection.execute("ANALYZE signal_rollups_hourly")
    print(f"  {365 * 24 * len(FIELDS):,} rollup rows loaded in {time.perf_counter() - started:.1f} s")
    since, until = end - timedelta(days=30), end
    step = step_for(since, until, 500)
    variables = {
        "vin": SERIES_VIN,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "names": list(CHART),
    }
    async with app_client(tmp, db) as client:

        async def api() -> Any:
            return await client.post("/graphql", json={"query": SERIES_QUERY, "variables": variables})

        body = (await api()).json()
        if "errors" in body:
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        series = body["data"]["vehicle"]["series"]
        print(
            f"  {len(series)} series x {len(series[0]['points'])} points, buckets of "
            f"{series[0]['bucketSeconds'] // 3600} h"
        )

        async def orm() -> Any:
            async with db.transaction() as session:
                return await series_repo.buckets(session, [vehicle_id], list(CHART), since, until, step)

        async def raw() -> Any:
            return await connection.fetch(
                RAW_SERIES, [vehicle_id], list(CHART), since, until, step, series_repo.ORIGIN
            )

        async def columns() -> Any:
            return await client.post("/graphql", json={"query": COLUMNS_QUERY, "variables": variables})

        statements = await statements_of(db, api)
        print(f"  the request runs {len(statements)} statements: {statement_summary(statements)}")
        replayed = replay(connection, statements)
        with GcPauses() as pauses:
            took = await timed(
                {"api": api, "columns": columns, "orm": orm, "raw": raw, "replayed": replayed},
                iterations,
                pauses,
            )
    api_ms, orm_ms, raw_ms = took["api"], took["orm"], took["raw"]
    print(latency_line("GraphQL over ASGI (httpx)", api_ms) + "  " + pauses.summary("api"))
    print(latency_line("GraphQL, as `columns`", took["columns"]) + "  " + pauses.summary("columns"))
    print(latency_line("SQL + SQLAlchemy (buckets)", orm_ms) + "  " + pauses.summary("orm"))
    print(latency_line("SQL alone (asyncpg fetch)", raw_ms))
    print(latency_line(REPLAYED, took["replayed"]))
    api_p50 = percentile(api_ms, 0.5)
    columns_p50 = percentile(took["columns"], 0.5)
    print(
        f"    API / SQL+SQLAlchemy: {api_p50 / percentile(orm_ms, 0.5):.2f}x, "
        f"API / SQL alone: {api_p50 / percentile(raw_ms, 0.5):.2f}x (p50); as columns: "
        f"{columns_p50 / percentile(orm_ms, 0.5):.2f}x and {columns_p50 / percentile(raw_ms, 0.5):.2f}x; "
        f"API / the request's SQL: {api_p50 / percentile(took['replayed'], 0.5):.2f}x, as columns "
        f"{columns_p50 / percentile(took['replayed'], 0.5):.2f}x",
        flush=True,
    )


async def bench_fanout(settings: Settings, db: Database, mqtt_port: int, args: argparse.Namespace) -> None:
    print(
        f"\n[5] fan-out: {args.subscribers:,} websocket subscribers to one car, {args.rate:g} updates/s "
        f"for {args.seconds:g} s, published over MQTT",
        flush=True,
    )
    live = argparse.Namespace(vehicles=1, subscribers=args.subscribers, rate=args.rate, seconds=args.seconds)
    # the server runs in this process, which holds the earlier phases' objects: the collector is settled as
    # `teslasync serve` settles it (server.py: start-up objects frozen, young collections less often), or
    # its full collections (~250 ms here) land in the latencies
    thresholds = gc.get_threshold()
    settle_gc()
    try:
        result = await live_latency(settings, db, mqtt_port, live)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    latencies = [latency * 1000 for _, latency in result["latencies"]]  # type: ignore[attr-defined]
    delivered, expected = len(latencies), result["expected"]
    print(f"  delivered {delivered:,} of {expected:,} expected updates; errors: {result['errors'] or 'none'}")
    if latencies:
        print(latency_line("publish -> websocket next", latencies))
    print(f"  server CPU {result['server_cpu']:.0%} of a core; load process {result['load_cpu']:.0%}")
    load_gc: list[tuple[int, float]] = result["load_gc"]  # type: ignore[assignment]
    full = [ms for generation, ms in load_gc if generation == 2]
    print(
        f"  load process collector in the window (its subscribers' objects frozen once connected): "
        f"{len(full)} full (max {max(full, default=0):.0f} ms), {len(load_gc) - len(full)} young "
        f"(max {max((ms for g, ms in load_gc if g < 2), default=0):.1f} ms)"
    )


async def bench(args: argparse.Namespace, tmp: Path, pg: EmbeddedPostgres, mqtt_port: int) -> None:
    engine = make_engine(pg.url("postgres"))
    db = Database.from_engine(engine)
    connection = await asyncpg.connect(
        host=str(pg.socket_dir), port=pg.port, user="postgres", database="postgres"
    )
    try:
        await migrate.upgrade(engine, StorageMode.PLAIN)
        await bench_floor(db, connection, tmp, args.iterations)
        await bench_api(db, connection, tmp, args.drives, args.iterations, profile=args.profile)
        await bench_polyline(db, connection, tmp, args.iterations)
        await bench_series(db, connection, tmp, args.iterations)
        settings = Settings(  # type: ignore[call-arg]
            data_dir=tmp / "data",
            mqtt_url=f"mqtt://127.0.0.1:{mqtt_port}",
            mqtt_client_id="bench-api",
            demo=True,
            rate_limit_queries_per_minute=100_000_000,  # a flood on purpose: not for the rate limit to answer
            _env_file=None,
        )
        await bench_fanout(settings, db, mqtt_port, args)
    finally:
        await connection.close()
        await db.dispose()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drives", type=int, default=10_000, help="drives in the paged list")
    parser.add_argument("--iterations", type=int, default=200, help="requests per measured call")
    parser.add_argument("--subscribers", type=int, default=1000, help="websocket subscribers")
    parser.add_argument("--rate", type=float, default=10, help="updates a second during the fan-out")
    parser.add_argument("--seconds", type=float, default=10, help="length of the fan-out run")
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--profile", action="store_true", help="add a cProfile of the drives page")
    args = parser.parse_args()
    if args.quick:
        args.drives, args.iterations, args.subscribers = 2_000, 50, 200
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="teslasync-bench-api-") as name,
        services(Path(name)) as (pg, mqtt_port, _broker_pid),
    ):
        asyncio.run(bench(args, Path(name), pg, mqtt_port))
    print(f"\ntotal run time: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
