"""Backup and restore of a year of one car's data.

    PYTHONPATH=. .venv/bin/python bench/backup.py [--days 365] [--no-recompute]

Starts an embedded PostgreSQL in a temp dir, fills it with `--days` of one car's telemetry as
bench/analytics.py generates it (a realistic day: two drives, an AC and a DC charge, parked, asleep), derives
drives, charging sessions and states (`recompute`, unless `--no-recompute`), then:

1. `backup`: wall time, rows/s, archive size, and the peak RSS of this process;
2. `restore` into a second, empty database: wall time and rows/s, then the row counts compared.

Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import text

from bench.analytics import (
    CAR_VIN,
    Telemetry,
    human,
    load_telemetry,
    prepare_partitions,
)
from bench.common import MemoryMark, run_on_embedded_postgres
from teslasync.config import Settings, StorageMode
from teslasync.db import migrate
from teslasync.db.backup import backup, restore
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, make_engine
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.jobs.recompute import recompute

MEMORY = MemoryMark()


async def counts(engine_url: str) -> dict[str, int]:
    engine = make_engine(engine_url)
    try:
        async with engine.connect() as connection:
            tables = (
                await connection.execute(
                    text(
                        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
                        "AND c.relname NOT IN ('alembic_version', 'storage_settings')"
                    )
                )
            ).scalars()
            return {
                table: int((await connection.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar() or 0)
                for table in list(tables)
            }
    finally:
        await engine.dispose()


async def bench(args: argparse.Namespace, tmp: Path, pg: EmbeddedPostgres) -> None:
    engine = make_engine(pg.url("postgres"))
    db = Database.from_engine(engine)
    connection = await asyncpg.connect(
        host=str(pg.socket_dir), port=pg.port, user="postgres", database="postgres"
    )
    settings = Settings(data_dir=tmp / "data", _env_file=None)  # type: ignore[call-arg]
    try:
        await migrate.upgrade(engine, StorageMode.PLAIN)
        async with db.transaction() as session:
            vehicle_id = (await ensure_vehicle(session, CAR_VIN, model="Model 3")).id
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(days=args.days)
        await prepare_partitions(connection, start, end)
        began = time.perf_counter()
        telemetry = Telemetry(vehicle_id, start, end)
        await load_telemetry(connection, telemetry, lambda _: None)
        print(
            f"[0] {args.days} days generated: {human(telemetry.rows)} signals in {time.perf_counter() - began:.0f} s"
        )
        if not args.no_recompute:
            began = time.perf_counter()
            result = await recompute(db, CAR_VIN)
            print(
                f"    recompute: {result.drives} drives, {result.charging_sessions} charges, "
                f"{result.states} state spans in {time.perf_counter() - began:.0f} s"
            )
        await connection.execute("VACUUM ANALYZE")
        database_size = await connection.fetchval("SELECT pg_size_pretty(pg_database_size('postgres'))")
        before = await counts(pg.url("postgres"))
        rows = sum(before.values())
        print(f"    database: {human(rows)} rows in {len(before)} tables, {database_size}", flush=True)

        MEMORY.reset()
        began = time.perf_counter()
        summary = await backup(settings, engine, tmp / "backups")
        took = time.perf_counter() - began
        print(
            f"[1] backup: {took:.1f} s, {rows / took:,.0f} rows/s, archive {summary.bytes / 2**20:,.1f} MiB "
            f"({summary.bytes / max(rows, 1):.1f} bytes a row); {MEMORY.peak()}",
            flush=True,
        )

        await connection.execute("CREATE DATABASE restored")
        target = make_engine(pg.url("restored"))
        target_settings = Settings(data_dir=tmp / "restored-data", _env_file=None)  # type: ignore[call-arg]
        try:
            MEMORY.reset()
            began = time.perf_counter()
            await restore(target_settings, target, summary.path)
            took = time.perf_counter() - began
        finally:
            await target.dispose()
        after = await counts(pg.url("restored"))
        print(
            f"[2] restore into an empty database: {took:.1f} s, {rows / took:,.0f} rows/s; "
            f"row counts {'equal' if after == before else 'DIFFER'}; {MEMORY.peak()}"
        )
    finally:
        await connection.close()
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=365, help="days of one car's telemetry (default 365)")
    parser.add_argument("--no-recompute", action="store_true", help="skip deriving drives and charges")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run_on_embedded_postgres("teslasync-bench-backup-", lambda tmp, pg: bench(args, tmp, pg))


if __name__ == "__main__":
    main()
