"""Exports of ten million signal rows: rows/s and peak memory per format.

    PYTHONPATH=. .venv/bin/python bench/export.py [--rows 10000000] [--formats parquet,csv,jsonl]

Starts an embedded PostgreSQL (migrated, plain storage) in a temp dir and COPYs `--rows` signal rows of one
car into it: ten fields a second (seven numbers, two words and a Location), the next chunk generated in a
thread while the last is COPYed. Then, each after a reset of this process's peak RSS:

0. the rows streamed from the repository and nothing else (what the database and the driver cost);
1. `write_export` of the signals dataset with the default redaction (VIN masked, locations rounded to 3
   decimals) to each format: wall time, rows/s, file size, and the peak RSS of this process since the
   reset beside its RSS before it (flat memory: the peak does not grow with the number of rows).

Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.analytics import human, prepare_partitions
from bench.common import MemoryMark, run_on_embedded_postgres
from teslasync.config import StorageMode
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, make_engine
from teslasync.db.repositories import exports as export_repo
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.jobs.exports import Dataset, ExportSpec, Format, write_export

VIN = "5YJ3E7EB2NF000001"
COLUMNS = ("vehicle_id", "field", "ts", "num", "txt", "doc", "approx")
NUMBERS = (
    "BatteryLevel",
    "EstBatteryRange",
    "Odometer",
    "OutsideTemp",
    "PackCurrent",
    "PackVoltage",
    "VehicleSpeed",
)
PER_SECOND = len(NUMBERS) + 3  # and Gear, DetailedChargeState, Location
CHUNK_ROWS = 100_000
Record = tuple[Any, ...]

MEMORY = MemoryMark()


class Signals:
    """`total` rows of one car, a second at a time from `start`, in chunks."""

    def __init__(self, vehicle_id: int, start: datetime, total: int) -> None:
        self.vehicle_id, self.start, self.total = vehicle_id, start, total
        self.made = 0
        self.second = 0
        self.rng = random.Random(7)
        self.lat, self.lon = 52.52, 13.405

    def take(self, wanted: int) -> list[Record]:
        rows: list[Record] = []
        rng, v = self.rng, self.vehicle_id
        while len(rows) < wanted and self.made + len(rows) < self.total:
            ts = self.start + timedelta(seconds=self.second, microseconds=rng.randrange(1_000_000))
            self.lat += rng.uniform(-1e-4, 1e-4)
            self.lon += rng.uniform(-1e-4, 1e-4)
            second = [(v, name, ts, rng.uniform(0, 400), None, None, False) for name in NUMBERS]
            second.append((v, "Gear", ts, None, rng.choice(("P", "D", "R")), None, False))
            second.append((v, "DetailedChargeState", ts, None, "Disconnected", None, False))
            location = json.dumps({"latitude": round(self.lat, 6), "longitude": round(self.lon, 6)})
            second.append((v, "Location", ts, None, None, location, False))
            rows += second[: self.total - self.made - len(rows)]
            self.second += 1
        self.made += len(rows)
        return rows


async def load(connection: asyncpg.Connection, signals: Signals) -> None:
    """Generate chunk n+1 (in a thread) while chunk n is COPYed."""
    copying: asyncio.Task[None] | None = None
    while True:
        chunk = asyncio.create_task(asyncio.to_thread(signals.take, CHUNK_ROWS))
        if copying is not None:
            await copying
        rows = await chunk
        if not rows:
            break
        copying = asyncio.create_task(
            connection.copy_records_to_table("signals", records=rows, columns=COLUMNS)
        )


async def bench(args: argparse.Namespace, tmp: Path, pg: EmbeddedPostgres) -> None:
    engine = make_engine(pg.url("postgres"))
    db = Database.from_engine(engine)
    connection = await asyncpg.connect(
        host=str(pg.socket_dir), port=pg.port, user="postgres", database="postgres"
    )
    try:
        await migrate.upgrade(engine, StorageMode.PLAIN)
        async with db.transaction() as session:
            vehicle_id = (await ensure_vehicle(session, VIN, model="Model 3")).id
        seconds = -(-args.rows // PER_SECOND)
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(seconds=seconds + 1)
        await prepare_partitions(connection, start, end)
        began = time.perf_counter()
        await load(connection, signals := Signals(vehicle_id, start, args.rows))
        await connection.execute("VACUUM ANALYZE signals")
        took = time.perf_counter() - began
        size = await connection.fetchval(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
            "WHERE inhparent = 'signals'::regclass"
        )
        print(
            f"[0] loaded {human(signals.made)} signal rows ({(end - start) / timedelta(days=1):.1f} days of one car) in {took:.0f} s "
            f"({signals.made / took:,.0f} rows/s); signals {size}",
            flush=True,
        )

        MEMORY.reset()
        began, streamed = time.perf_counter(), 0
        async with db.transaction() as session:
            async for rows in export_repo.signals(session, [vehicle_id], start, end):
                streamed += len(rows)
        took = time.perf_counter() - began
        print(
            f"    stream only (the repository, nothing written): {took:.1f} s, {streamed / took:,.0f} rows/s; "
            f"{MEMORY.peak()}",
            flush=True,
        )

        for n, name in enumerate(args.formats.split(","), start=1):
            fmt = Format(name)
            spec = ExportSpec(Dataset.SIGNALS, fmt, (vehicle_id,), start, end)
            path = tmp / f"signals{fmt.suffix}"
            MEMORY.reset()
            began = time.perf_counter()
            result = await write_export(db, spec, path)
            took = time.perf_counter() - began
            print(
                f"[{n}] {fmt.value}: {human(result.rows)} rows in {took:.1f} s, {result.rows / took:,.0f} rows/s, "
                f"{result.bytes / 2**20:,.1f} MiB ({result.bytes / max(result.rows, 1):.1f} bytes a row); "
                f"{MEMORY.peak()}",
                flush=True,
            )
            path.unlink()
    finally:
        await connection.close()
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="signal rows (default 10,000,000)")
    parser.add_argument(
        "--formats", default="parquet,csv,jsonl", help="comma-separated, in order (default parquet,csv,jsonl)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run_on_embedded_postgres("teslasync-bench-export-", lambda tmp, pg: bench(args, tmp, pg))


if __name__ == "__main__":
    main()
