"""Analytics at a year's scale: `recompute` over a year of one car's telemetry, and the GraphQL latency of a
page of drives.

    PYTHONPATH=. .venv/bin/python bench/analytics.py [--days 45] [--quick] [--drives 10000]
        [--iterations 200] [--profile]

The issue asks for a year: `--days 365` (about 20 minutes on two cores; the default of 45 days about five,
and prints what a year takes at the rates it measured).

Starts an embedded PostgreSQL (migrated, plain storage) in a temp dir, then:

1. generate: one `SimulatedCar` for `--days`, its phases scaled to a day (see `DAY`): two drives of about
   30 min, an AC charge of an hour and a 20-minute DC top-up, a few minutes parked awake in between, asleep
   the rest (about 21 h, sending nothing). Like a Fleet Telemetry config, the car sends a field when it
   changes, at most once a second. Values are normalised as the pipeline does and COPYed into `signals`
   (connectivity reports into `vehicle_events`) chunk by chunk while the next chunk is generated, so a year
   is never held in memory. Month partitions are prepared for the whole period first.
2. recompute: `recompute(db, vin)` over everything (wall time, samples/s, what it found, peak RSS of this
   process and of PostgreSQL), a second time (idempotence: the same rows), and `since` the last week (with
   its parts: the rewind, the state before the week, the week's samples). Then, over the last 14 days,
   the sample stream three ways: `samples_since` as recompute iterates it, the same SQL taken a batch at a
   time, and batches fed through the derivation (nothing written); and the plan of the stream query.
3. API: `--drives` drives with ~50-point tracks inserted for a second car, then the GraphQL drives page of
   100 through the ASGI app, `--iterations` requests one after another, for the first page and a page
   deep in the list (an `after` cursor); beside it the same page through `pages_for` (SQL and ORM) and as
   plain SQL on the asyncpg connection, so that the share of the API layer is visible; the GC pauses
   during each; and the first page again after `gc.freeze()`.

`--quick` is a short run (two weeks, 2,000 drives, 50 iterations). `--profile` adds a cProfile of the
second recompute and of the API page. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import hashlib
import io
import json
import logging
import math
import pstats
import random
import resource
import signal
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from httpx import ASGITransport, AsyncClient
from sqlalchemy import event, text

from teslasync.analytics.derivation import Derived, VehicleDerivation
from teslasync.app import create_app
from teslasync.config import Settings, StorageMode
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, make_engine
from teslasync.db.models import DriveRow
from teslasync.db.repositories import derived as derived_repo
from teslasync.db.repositories.derived import Page, pages_for
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.jobs.recompute import recompute, sample_of
from teslasync.resolvers.derived import encode_cursor
from teslasync.schema.derived import Drive as DriveType
from teslasync.server import settle_gc
from teslasync.telemetry.model import Form, Observation, Rejected
from teslasync.telemetry.normalise import normalise
from teslasync.telemetry.sources import simulator
from teslasync.telemetry.sources.simulator import BERLIN_LOOP, Durations, Phase, SimulatedCar
from tests.services import free_port

CAR_VIN = "5YJ3E7EB2NF000001"  # the year of telemetry
API_VIN = "5YJ3E7EB2NF000002"  # the drives the API pages through
SEED = 7
# A day: ~1 h driving (two drives), ~1 h 20 min charging (AC, then DC), 3 x 10 min parked awake, asleep
# the rest. Each phase varies by +-15 %, so the cycle drifts against the clock from day to day.
PARKED_S, DRIVING_S, AC_S, DC_S = 600.0, 1800.0, 3600.0, 1200.0
DAY = Durations(
    parked_s=PARKED_S,
    driving_s=DRIVING_S,
    ac_charging_s=AC_S,
    dc_charging_s=DC_S,
    asleep_s=86_400.0 - (3 * PARKED_S + 2 * DRIVING_S + AC_S + DC_S),
)
AWAKE_STEP_S = 1.0  # the car sends a field at most once a second
ASLEEP_STEP_S = 60.0  # asleep it sends nothing: the wake-up is noticed within a minute
CHUNK_ROWS = 50_000
SIGNAL_COLUMNS = ("vehicle_id", "field", "ts", "num", "txt", "doc", "approx")
EVENT_COLUMNS = ("vehicle_id", "kind", "name", "ts", "doc")
TRACK_POINTS = 50
PAGE = 100
# A year (--days 365) takes ~20 minutes on two cores, most of it in the two full recomputes (~5.5 min
# each) and generating the data (~5.5 min); the default keeps a run to about five minutes.
DEFAULT_DAYS = 45
BREAKDOWN_DAYS = 14  # the stream is timed three ways over this many days

DRIVES_QUERY = """
query($vin: String!, $first: Int!, $after: String) {
  vehicle(vin: $vin) {
    drives(first: $first, after: $after) {
      edges { node { id startedAt distanceKm energyUsedKwh track { latitude longitude } } }
      pageInfo { endCursor hasNextPage }
    }
  }
}
"""

DRIVES_QUERY_NO_TRACK = DRIVES_QUERY.replace(" track { latitude longitude }", "")
assert DRIVES_QUERY_NO_TRACK != DRIVES_QUERY

# The statement of `pages_for` as plain SQL for the asyncpg connection (the same plan, no ORM): $1 the
# vehicle ids, $2 the limit, then the cursor's (started_at, id) for a page after it.
RAW_PAGE = """
SELECT t.* FROM unnest($1::bigint[]) AS v(id)
JOIN LATERAL (
    SELECT * FROM drives WHERE drives.vehicle_id = v.id {after}
    ORDER BY started_at DESC, id DESC LIMIT $2
) AS t ON true
"""
RAW_FIRST = RAW_PAGE.format(after="")
RAW_AFTER = RAW_PAGE.format(after="AND (started_at, id) < ($3::timestamptz, $4::bigint)")

Record = tuple[Any, ...]


# --- 1. a year of telemetry --------------------------------------------------------------------------------


@contextlib.contextmanager
def coarse_substeps(seconds: float) -> Iterator[None]:
    """Let the simulator take `seconds` per physics substep (it takes 1 s). Only used while the car sleeps:
    asleep its physics is a constant draw and a cooling cabin, and it sends nothing, so a minute per substep
    changes nothing that is stored and makes a year of nights ~60x cheaper to simulate."""
    if not hasattr(simulator, "MAX_SUBSTEP_S"):
        yield
        return
    saved = simulator.MAX_SUBSTEP_S
    simulator.MAX_SUBSTEP_S = seconds
    try:
        yield
    finally:
        simulator.MAX_SUBSTEP_S = saved


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), allow_nan=False)


@dataclass
class Telemetry:
    """One simulated car's stream, as stored rows, in chunks."""

    vehicle_id: int
    start: datetime
    end: datetime
    car: SimulatedCar = field(init=False)
    rows: int = 0
    events: int = 0
    rejected: int = 0
    seconds: dict[Phase, float] = field(default_factory=dict)
    _rng: random.Random = field(init=False)
    _connection: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self.car = SimulatedCar(CAR_VIN, SEED, self.start, durations=DAY)
        self._rng = random.Random(SEED)

    @property
    def done(self) -> bool:
        return self.car.now >= self.end

    def _connectivity(self, status: str, at: datetime) -> Record:
        if status == "CONNECTED":
            self._connection = str(uuid.UUID(int=self._rng.getrandbits(128)))
        doc = {
            "ConnectionId": self._connection,
            "Status": status,
            "CreatedAt": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.events += 1
        return (self.vehicle_id, "connectivity", status, at, _json(doc))

    def take(self, wanted: int) -> tuple[list[Record], list[Record]]:
        """The next `wanted` rows or so (a step's rows stay together), and the connectivity events among
        them."""
        car, vin, vehicle_id = self.car, self.car.vin, self.vehicle_id
        rows: list[Record] = []
        events: list[Record] = []
        if self.rows == 0 and self.events == 0 and not car.asleep:
            events.append(self._connectivity("CONNECTED", car.now))
        while len(rows) < wanted and not self.done:
            was_asleep, phase = car.asleep, car.phase
            if was_asleep:
                with coarse_substeps(ASLEEP_STEP_S):
                    changes = car.step(ASLEEP_STEP_S)
                step = ASLEEP_STEP_S
            else:
                changes = car.step(AWAKE_STEP_S)
                step = AWAKE_STEP_S
            self.seconds[phase] = self.seconds.get(phase, 0.0) + step
            now = car.now
            if car.asleep != was_asleep:
                events.append(self._connectivity("DISCONNECTED" if car.asleep else "CONNECTED", now))
            for name, value in changes:
                try:
                    value_of = normalise(Observation(vin, name, value, Form.MQTT, now))
                except Rejected:
                    self.rejected += 1
                    continue
                rows.append(
                    (vehicle_id, name, now, value_of.num, value_of.txt, _json(value_of.doc), value_of.approx)
                )
        self.rows += len(rows)
        return rows, events


async def prepare_partitions(connection: asyncpg.Connection, start: datetime, end: datetime) -> int:
    """Month partitions for the whole period (the migration prepares only the months around today)."""
    created = 0
    month = start.date().replace(day=1)
    while month <= end.date():
        created += bool(await connection.fetchval("SELECT teslasync_ensure_signal_partition($1)", month))
        month = (month + timedelta(days=32)).replace(day=1)
    return created


async def load_telemetry(
    connection: asyncpg.Connection, telemetry: Telemetry, progress: Callable[[Telemetry], None]
) -> None:
    """Generate chunk n+1 (in a thread) while chunk n is COPYed."""

    async def copy(rows: list[Record], events: list[Record]) -> None:
        if rows:
            await connection.copy_records_to_table("signals", records=rows, columns=SIGNAL_COLUMNS)
        if events:
            await connection.copy_records_to_table("vehicle_events", records=events, columns=EVENT_COLUMNS)

    copying: asyncio.Task[None] | None = None
    while True:
        chunk = asyncio.create_task(asyncio.to_thread(telemetry.take, CHUNK_ROWS))
        if copying is not None:
            await copying
        rows, events = await chunk
        progress(telemetry)
        if not rows and not events:
            break
        copying = asyncio.create_task(copy(rows, events))


# --- measuring ---------------------------------------------------------------------------------------------


def high_water_mib() -> float:
    """This process's peak RSS since the last `reset_high_water` (VmHWM), else since it started."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_high_water() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def rss_mib() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


class PostgresMemory:
    """Peak of the summed RSS and USS of the postmaster and its children, sampled in a thread."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.rss = self.uss = 0.0
        self.backend_uss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def reset(self) -> None:
        self.rss = self.uss = self.backend_uss = 0.0

    def sample(self) -> None:
        try:
            postmaster = psutil.Process(int((self.pgdata / "postmaster.pid").read_text().split()[0]))
            infos = [proc.memory_full_info() for proc in [postmaster, *postmaster.children()]]
        except (OSError, ValueError, psutil.Error):
            return
        self.rss = max(self.rss, sum(info.rss for info in infos) / 2**20)
        self.uss = max(self.uss, sum(info.uss for info in infos) / 2**20)
        self.backend_uss = max(self.backend_uss, max(info.uss for info in infos) / 2**20)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.sample()

    def __enter__(self) -> PostgresMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


class GcPauses:
    """Pauses of this process's cyclic garbage collector while installed, by what was running (`label`)."""

    def __init__(self) -> None:
        self.label = ""
        self.pauses: dict[str, list[tuple[int, float]]] = {}
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            pause = (info["generation"], time.perf_counter() - self._started)
            self.pauses.setdefault(self.label, []).append(pause)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self, label: str) -> str:
        pauses = self.pauses.get(label, [])
        full = [seconds * 1000 for generation, seconds in pauses if generation == 2]
        young = [seconds * 1000 for generation, seconds in pauses if generation < 2]
        return (
            f"GC: {len(full)} full (max {max(full, default=0):.0f} ms, total {sum(full):.0f} ms), "
            f"{len(young)} young (max {max(young, default=0):.1f} ms)"
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def latency_line(label: str, values_ms: list[float]) -> str:
    return (
        f"    {label:<34} p50 {percentile(values_ms, 0.5):7.2f} ms  p95 {percentile(values_ms, 0.95):7.2f} ms  "
        f"p99 {percentile(values_ms, 0.99):7.2f} ms  mean {statistics.fmean(values_ms):7.2f} ms"
    )


async def timed(
    calls: dict[str, Callable[[], Awaitable[object]]], iterations: int, gc_pauses: GcPauses, warmup: int = 10
) -> dict[str, list[float]]:
    """Milliseconds of each call, `iterations` rounds of one call of each in turn (so that a change in the
    machine's load falls on all of them alike); GC pauses are told apart by the call they fell in."""
    for _ in range(warmup):
        for call in calls.values():
            await call()
    took: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(iterations):
        for label, call in calls.items():
            gc_pauses.label = label
            started = time.perf_counter()
            await call()
            took[label].append((time.perf_counter() - started) * 1000)
            gc_pauses.label = ""
    return took


def profile_report(profile: cProfile.Profile, top: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return "\n".join("    " + line for line in out.getvalue().splitlines() if line.strip())


def human(count: float) -> str:
    return f"{count / 1e6:.2f} M" if count >= 1e6 else f"{count:,.0f}"


# --- 2. recompute ------------------------------------------------------------------------------------------


async def fingerprint(db: Database, vehicle_id: int) -> dict[str, tuple[int, str]]:
    """Count and digest of each derived table of the vehicle: equal after a second recompute."""
    queries = {
        "drives": "started_at, ended_at, distance_km, energy_used_kwh, track",
        "charging_sessions": "started_at, ended_at, charger_type, energy_added_kwh, curve",
        "vehicle_states": "started_at, ended_at, state",
    }
    result: dict[str, tuple[int, str]] = {}
    async with db.transaction() as session:
        for table, columns in queries.items():
            rows = (
                await session.execute(
                    text(f"SELECT {columns} FROM {table} WHERE vehicle_id = :v ORDER BY started_at"),
                    {"v": vehicle_id},
                )
            ).all()
            digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()[:12]
            result[table] = (len(rows), digest)
    return result


STREAM_WHERE = "AND (CAST(:since AS timestamptz) IS NULL OR ts >= :since)"  # as samples_since has it


def stream_query() -> str:
    """The statement `samples_since` streams (built from the repository's own SQL)."""
    union = derived_repo._SAMPLES.format(where=STREAM_WHERE)
    return f'SELECT * FROM ({union}) s ORDER BY ts, field COLLATE "C"'


async def stream_as_is(db: Database, vehicle_id: int, since: datetime | None) -> int:
    """`samples_since` as recompute iterates it: an `async for` over the rows."""
    count = 0
    async with db.transaction() as session:
        async for _ in derived_repo.samples_since(session, vehicle_id, since):
            count += 1
    return count


async def stream_batched(
    db: Database, vehicle_id: int, since: datetime | None, derive: bool, batch: int = 10_000
) -> int:
    """The same statement, taken a batch at a time (`AsyncResult.partitions`: one greenlet switch per batch
    instead of one per row); with `derive`, each row rendered and fed through the derivation as recompute
    does (nothing written)."""
    derivation, derived = VehicleDerivation(), Derived()
    count = 0
    async with db.transaction() as session:
        result = await session.stream(
            text(stream_query()).execution_options(yield_per=batch),
            {"v": vehicle_id, "since": since, "connectivity": derived_repo.CONNECTIVITY},
        )
        async for rows in result.partitions():
            count += len(rows)
            if derive:
                for row in rows:
                    derived.add(derivation.feed(sample_of(row.ts, row.field, row.num, row.txt, row.doc)))
    return count


async def stream_plan(db: Database, vehicle_id: int, since: datetime | None) -> list[str]:
    """EXPLAIN ANALYZE of the statement `samples_since` streams, condensed: the sort, what was scanned."""
    async with db.transaction() as session:
        rows = await session.execute(
            text("EXPLAIN (ANALYZE, TIMING OFF) " + stream_query()),
            {"v": vehicle_id, "since": since, "connectivity": derived_repo.CONNECTIVITY},
        )
        plan = [str(row[0]).strip().removeprefix("->  ") for row in rows]
    lines = [line for line in plan if line.startswith(("Sort Method", "Execution Time"))]
    scans: dict[str, int] = {}
    for line in plan:
        if " on signals_" in line:
            kind = line.split(" on signals_")[0]
            scans[kind] = scans.get(kind, 0) + 1
    lines.append(
        "partitions of signals scanned: "
        + (", ".join(f"{count} by {kind}" for kind, count in scans.items()) or "none")
    )
    return lines


async def timed_once(call: Awaitable[int]) -> tuple[int, float]:
    started = time.perf_counter()
    count = await call
    return count, time.perf_counter() - started


async def bench_recompute(
    db: Database,
    pg_memory: PostgresMemory,
    vehicle_id: int,
    samples: int,
    period: tuple[datetime, datetime],
    profile: bool,
) -> None:
    start, end = period
    print("\n[2] recompute", flush=True)
    reset = reset_high_water()
    before_rss = rss_mib()
    pg_memory.reset()
    started = time.perf_counter()
    first = await recompute(db, CAR_VIN)
    took = time.perf_counter() - started
    peak = high_water_mib()
    print(
        f"  whole period: {took:.1f} s, {samples / took:,.0f} samples/s ({human(samples)} samples); "
        f"{first.drives:,} drives, {first.charging_sessions:,} charging sessions, {first.states:,} state spans"
    )
    days = (end - start).total_seconds() / 86_400
    if days < 365:
        print(f"  a year at this rate (linear): ~{took / days * 365:,.0f} s")
    print(
        f"  memory: this process peak RSS {peak:.0f} MiB ({'since the run began' if reset else 'since start'}; "
        f"{before_rss:.0f} MiB before, {rss_mib():.0f} MiB after); PostgreSQL peak RSS {pg_memory.rss:.0f} MiB, "
        f"USS {pg_memory.uss:.0f} MiB (largest backend {pg_memory.backend_uss:.0f} MiB)",
        flush=True,
    )
    before = await fingerprint(db, vehicle_id)

    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    second = await recompute(db, CAR_VIN)
    if profiler is not None:
        profiler.disable()
    took_again = time.perf_counter() - started
    after = await fingerprint(db, vehicle_id)
    same = before == after and (first.drives, first.charging_sessions) == (
        second.drives,
        second.charging_sessions,
    )
    print(
        f"  again (idempotence): {took_again:.1f} s, {samples / took_again:,.0f} samples/s; "
        f"same rows: {'yes' if same else 'NO'} "
        + " ".join(f"{table} {count:,}" for table, (count, _) in after.items())
    )
    if not same:
        print(f"    before {before}\n    after  {after}")

    since = end - timedelta(days=7)
    started = time.perf_counter()
    week = await recompute(db, CAR_VIN, since)
    took_week = time.perf_counter() - started
    async with db.transaction() as session:
        started = time.perf_counter()
        rewound = await derived_repo.rewind(session, vehicle_id, since)
        rewind_s = time.perf_counter() - started
        started = time.perf_counter()
        primed = await derived_repo.latest_before(session, vehicle_id, rewound)
        latest_s = time.perf_counter() - started
    week_samples, week_stream_s = await timed_once(stream_as_is(db, vehicle_id, rewound))
    print(
        f"  since the last week: {took_week:.2f} s ({week_samples:,} samples from {rewound:%Y-%m-%d %H:%M}, "
        f"rebuilt {week.drives} drives, {week.charging_sessions} sessions, {week.states} state spans); "
        f"measured apart: rewind {rewind_s:.2f} s, the state before it (latest_before, {len(primed)} fields) "
        f"{latest_s:.2f} s, the week's samples {week_stream_s:.2f} s"
    )
    settled = await fingerprint(db, vehicle_id)
    print(f"  whole-period rows unchanged by it: {'yes' if settled == after else 'NO'}", flush=True)

    window = min(BREAKDOWN_DAYS, (end - start).days)
    window_since = end - timedelta(days=window)
    print(f"  where the time goes, over the last {window} days:")
    streamed, as_is_s = await timed_once(stream_as_is(db, vehicle_id, window_since))
    _, batched_s = await timed_once(stream_batched(db, vehicle_id, window_since, derive=False))
    _, derived_s = await timed_once(stream_batched(db, vehicle_id, window_since, derive=True))
    for label, seconds in (
        ("samples_since as recompute iterates it", as_is_s),
        ("the same SQL taken in batches of 10,000", batched_s),
        ("batches, rendered, through the derivation", derived_s),
    ):
        print(
            f"    {label:<42} {seconds:6.2f} s  {streamed / seconds:>10,.0f} rows/s  "
            f"(a whole period: ~{samples / (streamed / seconds):,.0f} s)"
        )
    for label, since_at in (("whole period", None), ("since the last week", since)):
        print(f"    stream query plan, {label}: " + "; ".join(await stream_plan(db, vehicle_id, since_at)))
    if profiler is not None:
        print("\n  cProfile of the second recompute (tottime):\n" + profile_report(profiler))


# --- 3. API ------------------------------------------------------------------------------------------------


def track_points(rng: random.Random, started: datetime) -> tuple[list[list[object]], float]:
    """About 50 points 20 s apart along the Berlin loop from a random waypoint; (points, km)."""
    legs = len(BERLIN_LOOP)
    at = rng.uniform(0, legs)
    points: list[list[object]] = []
    km = 0.0
    previous: tuple[float, float] | None = None
    for index in range(TRACK_POINTS):
        leg = int(at) % legs
        share = at - int(at)
        a, b = BERLIN_LOOP[leg], BERLIN_LOOP[(leg + 1) % legs]
        lat = round(a[0] + (b[0] - a[0]) * share, 6)
        lon = round(a[1] + (b[1] - a[1]) * share, 6)
        if previous is not None:
            km += math.hypot((lat - previous[0]) * 110.574, (lon - previous[1]) * 67.9)
        previous = (lat, lon)
        points.append([(started + timedelta(seconds=20 * index)).isoformat(), lat, lon])
        at += rng.uniform(0.05, 0.12)
    return points, km


def drive_records(vehicle_id: int, count: int, end: datetime) -> Iterator[Record]:
    """`count` drives, newest ending about `end`, two or three a day going back."""
    rng = random.Random(SEED + 1)
    started = end - timedelta(hours=9 * count)
    odometer = 20_000.0
    battery = 80.0
    for _ in range(count):
        started += timedelta(hours=9, minutes=rng.uniform(-120, 120))
        track, km = track_points(rng, started)
        energy = km * rng.uniform(0.14, 0.2)
        used = energy / 75.0 * 100
        yield (
            vehicle_id,
            started,
            started + timedelta(seconds=20 * (TRACK_POINTS - 1) + 30),
            "park",
            track[0][1],
            track[0][2],
            track[-1][1],
            track[-1][2],
            odometer,
            odometer + km,
            km,
            rng.uniform(45, 70),
            battery,
            battery - used,
            battery * 4.8,
            (battery - used) * 4.8,
            energy,
            rng.uniform(-5, 25),
            _json(track),
        )
        odometer += km
        battery = battery - used if battery - used > 30 else 80.0


DRIVE_COLUMNS = (
    "vehicle_id",
    "started_at",
    "ended_at",
    "closed_by",
    "latitude",
    "longitude",
    "end_latitude",
    "end_longitude",
    "start_odometer_km",
    "end_odometer_km",
    "distance_km",
    "max_speed_kmh",
    "start_battery_level",
    "end_battery_level",
    "start_rated_range_km",
    "end_rated_range_km",
    "energy_used_kwh",
    "outside_temp_avg_c",
    "track",
)


@contextlib.asynccontextmanager
async def app_client(tmp: Path, db: Database) -> AsyncIterator[AsyncClient]:
    # a benchmark is a flood on purpose: the per-principal rate limit would answer it instead
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp / "data", demo=True, rate_limit_queries_per_minute=100_000_000, _env_file=None
    )
    app = create_app(settings, db, dispose_on_shutdown=False)
    transport = ASGITransport(app=app, client=("127.0.0.1", 50000))  # demo mode: loopback is trusted
    async with AsyncClient(transport=transport, base_url="http://teslasync.test") as client:
        yield client


Statement = tuple[str, tuple[Any, ...]]
REPLAYED = "the request's SQL, replayed alone"


async def statements_of(db: Database, call: Callable[[], Awaitable[object]]) -> list[Statement]:
    """The SQL statements (text and parameters, as sent to asyncpg) that `call` runs through `db`, in order."""
    seen: list[Statement] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, tuple(parameters or ())))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        await call()
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    return seen


def replay(connection: asyncpg.Connection, statements: list[Statement]) -> Callable[[], Awaitable[None]]:
    """The statements run again alone, one after the other, as a query runs them (outside a transaction:
    `Database.read_sessions`): the SQL that serves the request, without the ORM, the executor or HTTP."""

    async def run() -> None:
        for statement, parameters in statements:
            await connection.fetch(statement, *parameters)

    return run


def statement_summary(statements: list[Statement]) -> str:
    return "; ".join(" ".join(statement.split())[:60] + "…" for statement, _ in statements)


@dataclass
class PageCalls:
    """One page three ways: through the API, through `pages_for`, and as plain SQL."""

    api: Callable[[], Awaitable[Any]]
    api_no_track: Callable[[], Awaitable[Any]]
    orm: Callable[[], Awaitable[dict[int, list[Any]]]]
    raw: Callable[[], Awaitable[Any]]
    explain: Callable[[], Awaitable[float]]
    db: Database
    connection: asyncpg.Connection


def page_calls(
    client: AsyncClient,
    db: Database,
    connection: asyncpg.Connection,
    vehicle_id: int,
    after: tuple[datetime, int] | None,
) -> PageCalls:
    variables = {"vin": API_VIN, "first": PAGE, "after": encode_cursor(*after) if after else None}
    page = Page(PAGE, after, None, None)
    query, params = (RAW_AFTER, tuple(after)) if after else (RAW_FIRST, ())

    async def api() -> Any:
        return await client.post("/graphql", json={"query": DRIVES_QUERY, "variables": variables})

    async def api_no_track() -> Any:
        return await client.post("/graphql", json={"query": DRIVES_QUERY_NO_TRACK, "variables": variables})

    async def orm() -> dict[int, list[Any]]:
        async with db.transaction() as session:
            return await pages_for(session, DriveRow, [vehicle_id], page)

    async def raw() -> Any:
        return await connection.fetch(query, [vehicle_id], PAGE + 1, *params)

    async def explain() -> float:
        plan = await connection.fetchval(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + query, [vehicle_id], PAGE + 1, *params
        )
        return float(json.loads(plan)[0]["Execution Time"])

    return PageCalls(api, api_no_track, orm, raw, explain, db, connection)


async def measure_page(
    label: str, calls: PageCalls, vehicle_id: int, iterations: int, *, details: bool, profile: bool
) -> None:
    response = await calls.api()
    body = response.json()
    if "errors" in body:
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    drives = body["data"]["vehicle"]["drives"]
    rows = (await calls.orm())[vehicle_id]
    same = [edge["node"]["id"] for edge in drives["edges"]] == [str(row.id) for row in rows[:PAGE]]
    points = sum(len(edge["node"]["track"]) for edge in drives["edges"])
    print(
        f"  {label}: {len(drives['edges'])} drives, {points:,} track points, "
        f"response {len(response.content) / 1024:.0f} KiB, same drives as pages_for: {'yes' if same else 'NO'}, "
        f"hasNextPage {drives['pageInfo']['hasNextPage']}",
        flush=True,
    )
    statements = await statements_of(calls.db, calls.api)
    print(f"    the request runs {len(statements)} statements: {statement_summary(statements)}", flush=True)
    calls_by_label: dict[str, Callable[[], Awaitable[object]]] = {
        "GraphQL over ASGI (httpx)": calls.api,
        "SQL + ORM (pages_for)": calls.orm,
        "SQL alone (asyncpg fetch)": calls.raw,
        REPLAYED: replay(calls.connection, statements),
    }
    if details:
        calls_by_label["GraphQL, the same without track"] = calls.api_no_track
    with GcPauses() as pauses:
        took = await timed(calls_by_label, iterations, pauses)
    for label, values in took.items():
        print(latency_line(label, values) + f"  {pauses.summary(label)}")
    server_ms = [await calls.explain() for _ in range(5)]
    print(f"    {'server execution (EXPLAIN ANALYZE)':<34} {statistics.median(server_ms):.2f} ms")
    api_p50 = percentile(took["GraphQL over ASGI (httpx)"], 0.5)
    print(
        f"    API / SQL+ORM: {api_p50 / percentile(took['SQL + ORM (pages_for)'], 0.5):.1f}x, "
        f"API / SQL alone: {api_p50 / percentile(took['SQL alone (asyncpg fetch)'], 0.5):.1f}x, "
        f"API / the request's SQL: {api_p50 / percentile(took[REPLAYED], 0.5):.1f}x (p50)",
        flush=True,
    )
    if details:
        conversions: list[float] = []
        for _ in range(20):
            started = time.perf_counter()
            for row in rows[:PAGE]:
                DriveType.from_row(row)
            conversions.append((time.perf_counter() - started) * 1000)
        print(
            f"    {'Drive.from_row for the 100 rows':<34} {statistics.median(conversions):.2f} ms "
            "(tracks are converted only when a query asks for them)",
            flush=True,
        )
    if profile:
        # the collector off: a full collection is charged to whichever call allocated last, which hid where
        # the time goes (orjson.loads looked like a third of the page)
        gc.collect()
        gc.disable()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(min(iterations, 50)):
            await calls.api()
        profiler.disable()
        gc.enable()
        print("\n    cProfile of the API page, the collector off (tottime):\n" + profile_report(profiler, 40))


async def bench_api(
    db: Database, connection: asyncpg.Connection, tmp: Path, drives: int, iterations: int, profile: bool
) -> None:
    print(
        f"\n[3] API: a drives page of {PAGE} out of {drives:,} (tracks of {TRACK_POINTS} points), "
        f"{iterations} requests each, one at a time",
        flush=True,
    )
    async with db.transaction() as session:
        vehicle_id = (await ensure_vehicle(session, API_VIN, model="Model 3")).id
    started = time.perf_counter()
    await connection.copy_records_to_table(
        "drives", records=drive_records(vehicle_id, drives, datetime.now(UTC)), columns=DRIVE_COLUMNS
    )
    await connection.execute("ANALYZE drives")
    size = await connection.fetchval("SELECT pg_size_pretty(pg_total_relation_size('drives'))")
    print(f"  inserted {drives:,} drives in {time.perf_counter() - started:.1f} s (drives table now {size})")

    deep_index = min(drives - PAGE - 1, drives * 9 // 10)
    deep = await connection.fetchrow(
        "SELECT started_at, id FROM drives WHERE vehicle_id = $1 "
        "ORDER BY started_at DESC, id DESC OFFSET $2 LIMIT 1",
        vehicle_id,
        deep_index - 1,
    )
    assert deep is not None
    gc.collect()
    started = time.perf_counter()
    gc.collect()
    print(
        f"  this process: {len(gc.get_objects()):,} objects tracked by the GC; "
        f"a full collection takes {(time.perf_counter() - started) * 1000:.0f} ms",
        flush=True,
    )
    async with app_client(tmp, db) as client:
        first = page_calls(client, db, connection, vehicle_id, None)
        await measure_page("first page", first, vehicle_id, iterations, details=True, profile=profile)
        after = (deep["started_at"], deep["id"])
        deeper = page_calls(client, db, connection, vehicle_id, after)
        await measure_page(
            f"deep page (after drive {deep_index:,})",
            deeper,
            vehicle_id,
            iterations,
            details=False,
            profile=False,
        )
        thresholds = gc.get_threshold()
        settle_gc()  # as `teslasync serve` does once started: start-up frozen, young collections less often
        try:
            with GcPauses() as frozen_gc:
                frozen = await timed({"frozen": first.api}, iterations, frozen_gc)
                frozen_no_track = await timed({"frozen": first.api_no_track}, iterations, frozen_gc)
            print(
                "  first page again, the collector settled as the server settles it (server.settle_gc):\n"
                + latency_line("GraphQL over ASGI (httpx)", frozen["frozen"])
                + f"  {frozen_gc.summary('frozen')}\n"
                + latency_line("GraphQL, the same without track", frozen_no_track["frozen"])
            )
        finally:
            gc.unfreeze()
            gc.set_threshold(*thresholds)


# --- orchestration -----------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace, tmp: Path, pg: EmbeddedPostgres) -> None:
    engine = make_engine(pg.url("postgres"))
    db = Database.from_engine(engine)
    connection = await asyncpg.connect(
        host=str(pg.socket_dir), port=pg.port, user="postgres", database="postgres"
    )
    try:
        await migrate.upgrade(engine, StorageMode.PLAIN)
        async with db.transaction() as session:
            vehicle_id = (await ensure_vehicle(session, CAR_VIN, model="Model 3")).id
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(days=args.days)
        partitions = await prepare_partitions(connection, start, end)

        print(
            f"\n[1] generate and load: {args.days} days of {CAR_VIN} from {start:%Y-%m-%d} "
            f"(month partitions: {partitions} added to the migration's)",
            flush=True,
        )
        telemetry = Telemetry(vehicle_id, start, end)
        started = time.perf_counter()
        report_every = max(1, args.days // 6)
        reported = [0]

        def progress(t: Telemetry) -> None:
            day = int((t.car.now - start).total_seconds() // 86_400)
            if day >= reported[0] + report_every and not t.done:
                reported[0] = day
                took = time.perf_counter() - started
                print(
                    f"  day {day}: {human(t.rows)} rows, {took:.0f} s, {t.rows / took:,.0f} rows/s",
                    flush=True,
                )

        await load_telemetry(connection, telemetry, progress)
        took = time.perf_counter() - started
        stored = await connection.fetchval("SELECT count(*) FROM signals WHERE vehicle_id = $1", vehicle_id)
        days = (telemetry.car.now - start).total_seconds() / 86_400
        hours = {phase.value: seconds / 3600 / days for phase, seconds in telemetry.seconds.items()}
        print(
            f"  {human(telemetry.rows)} rows ({telemetry.rows / days:,.0f} a day) and {telemetry.events:,} "
            f"connectivity events in {took:.1f} s: {telemetry.rows / took:,.0f} rows/s generated and COPYed"
            + (f"; {telemetry.rejected} values rejected" if telemetry.rejected else "")
        )
        if days < 365:
            print(
                f"  a year at this rate (linear): ~{human(telemetry.rows / days * 365)} rows in "
                f"~{took / days * 365:,.0f} s"
            )
        print(
            "  a simulated day, hours: "
            + ", ".join(f"{name} {value:.2f}" for name, value in sorted(hours.items(), key=lambda kv: -kv[1]))
        )
        started = time.perf_counter()
        await connection.execute("VACUUM (ANALYZE) signals, vehicle_events")
        size = await connection.fetchval(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
            "WHERE inhparent = 'signals'::regclass"
        )
        parts = await connection.fetchval(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'signals'::regclass"
        )
        print(
            f"  stored: {human(stored)} rows in signals, {size} with indexes over {parts} partitions; "
            f"VACUUM ANALYZE {time.perf_counter() - started:.1f} s",
            flush=True,
        )

        samples = stored + telemetry.events
        with PostgresMemory(pg.pgdata) as pg_memory:
            await bench_recompute(
                db, pg_memory, vehicle_id, samples, (start, telemetry.car.now), args.profile
            )
        await bench_api(db, connection, tmp, args.drives, args.iterations, args.profile)
    finally:
        await connection.close()
        await db.dispose()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, help=f"days of telemetry to generate (default {DEFAULT_DAYS})")
    parser.add_argument("--drives", type=int, help="drives of the API car (default 10000)")
    parser.add_argument("--iterations", type=int, help="requests per measurement (default 200)")
    parser.add_argument("--quick", action="store_true", help="two weeks, 2,000 drives, 50 iterations")
    parser.add_argument("--profile", action="store_true", help="cProfile the second recompute and the API")
    args = parser.parse_args()
    defaults = (14, 2_000, 50) if args.quick else (DEFAULT_DAYS, 10_000, 200)
    for name, default in zip(("days", "drives", "iterations"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.days < 8 or args.drives < PAGE + 2 or args.iterations < 1:
        parser.error(f"--days must be at least 8, --drives at least {PAGE + 2}, --iterations at least 1")

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _interrupt)  # unwind like Ctrl-C: the server stops, the temp dir goes
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="teslasync-bench-") as name:
        tmp = Path(name)
        pg = EmbeddedPostgres(tmp / "pg", port=free_port())
        pg.start()
        try:
            print(f"embedded PostgreSQL up in {time.monotonic() - started:.1f} s")
            asyncio.run(bench(args, tmp, pg))
        finally:
            pg.stop()
    print(f"\ntotal run time: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
