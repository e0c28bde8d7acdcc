"""Ingest throughput and live-subscription latency, against real services started on free ports.

    PYTHONPATH=. .venv/bin/python bench/ingest.py [--messages 50000] [--vehicles 50] [--subscribers 100]
        [--rate 1000] [--seconds 10] [--publishers 1] [--profile]

Starts an embedded PostgreSQL (migrated, plain storage) and a Mosquitto broker in a temp dir, then:

1. bare subscriber: an aiomqtt client (MQTT 5, QoS 1, acknowledged on receipt, the bridge's Receive
   Maximum) counts the messages a publisher floods; its receive rate is the reference for the pipeline.
2. pipeline: a `TelemetryRuntime` (MQTT bridge -> pipeline -> PostgreSQL) gets the same flood, spread over a
   simulated fleet; rows in `signals` are counted until all are stored.
3. live latency: the app (uvicorn, in this process) with GraphQL subscriptions over websockets; a load
   process opens the subscribers, publishes Odometer values at a steady rate with a counter in the value,
   and measures publish -> websocket `next` latency.
4. peak memory of this process (TeslaSync: bridge, pipeline, app), the embedded PostgreSQL and the broker.

The load generators (MQTT publishers, bare subscriber, websocket clients) run in processes of their own, so
that they take no event-loop time or memory from what is measured. Rates are given end to end (first
publish to last message received / stored), while the publisher ran, and between 10% and 90% of the
messages, with a per-second timeline. `--profile` adds a cProfile of the pipeline run. Timings are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import json
import logging
import pstats
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt
import paho.mqtt.client as paho
import psutil
import uvicorn
import websockets
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from prometheus_client import REGISTRY
from sqlalchemy import text

from teslasync.app import create_app
from teslasync.config import Settings, StorageMode
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, make_engine
from teslasync.server import uvicorn_config
from teslasync.telemetry.runtime import TelemetryRuntime
from teslasync.telemetry.sources.mqtt import RECEIVE_MAXIMUM
from tests.services import _process, find_binary, free_port, mosquitto_config

TOPIC_BASE = "telemetry"
MI_TO_KM = 1.609344
FIELDS = ("VehicleSpeed", "Odometer", "BatteryLevel", "Location", "Gear")
GEARS = ("ShiftStateD", "ShiftStateD", "ShiftStateD", "ShiftStateR", "ShiftStateP")
PUBLISHER_INFLIGHT = 50  # measured: paho publishes faster with 50 in flight than with 1000
LIVE_ODOMETER_BASE = 50_000.0
SUBSCRIPTION = "subscription($vin: String!) { signals(vin: $vin) { vin name value at } }"


def fleet(vehicles: int) -> list[str]:
    return [f"5YJ3E7EB2NF{i:06d}" for i in range(vehicles)]


def topic(vin: str, name: str) -> str:
    return f"{TOPIC_BASE}/{vin}/v/{name}"


def flood_message(i: int, vins: list[str]) -> tuple[str, bytes]:
    """Message `i` of the flood: the fleet round-robin, each car cycling through FIELDS, values as the
    fleet-telemetry MQTT dispatcher sends them (JSON numbers, a location object, enum names)."""
    vin = vins[i % len(vins)]
    step = i // len(vins)
    name = FIELDS[step % len(FIELDS)]
    value: object
    if name == "VehicleSpeed":
        value = round(30 + (step % 40) * 1.37, 2)
    elif name == "Odometer":
        value = round(12_000 + step * 0.1, 1)
    elif name == "BatteryLevel":
        value = round(80 - (step % 600) * 0.05, 2)
    elif name == "Location":
        value = {"latitude": round(52.52 + step * 1e-4, 6), "longitude": round(13.405 + step * 1e-4, 6)}
    else:
        value = GEARS[step % len(GEARS)]
    return topic(vin, name), json.dumps(value).encode()


# --- load generators (run as separate processes: `--worker flood|live`) ----------------------------------


def _publisher(port: int, client_id: str) -> paho.Client:
    connected = threading.Event()
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTProtocolVersion.MQTTv311
    )
    client.max_inflight_messages_set(PUBLISHER_INFLIGHT)
    client.max_queued_messages_set(0)
    client.on_connect = lambda *_: connected.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    if not connected.wait(10):
        raise TimeoutError("publisher could not connect")
    return client


def flood_worker(port: int, messages: int, vehicles: int, index: int, publishers: int) -> dict[str, float]:
    """Publish this worker's share of the flood at QoS 1 as fast as the broker acknowledges."""
    vins = fleet(vehicles)
    payloads = [flood_message(i, vins) for i in range(index, messages, publishers)]
    done = threading.Event()
    acked = 0

    def on_publish(*_: object) -> None:
        nonlocal acked
        acked += 1
        if acked >= len(payloads):
            done.set()

    client = _publisher(port, f"bench-car-{index}")
    client.on_publish = on_publish
    start = time.monotonic()
    for name, payload in payloads:
        client.publish(name, payload, qos=1)
    if payloads and not done.wait(600):
        raise TimeoutError(f"publisher {index}: {acked} of {len(payloads)} acknowledged")
    end = time.monotonic()
    client.disconnect()
    client.loop_stop()
    return {"start": start, "end": end, "sent": len(payloads)}


async def live_worker(
    mqtt_port: int, http_port: int, vehicles: int, subscribers: int, rate: float, seconds: float
) -> dict[str, object]:
    """Open the websocket subscribers, publish Odometer values at `rate`, measure publish -> `next`."""
    vins = fleet(vehicles)
    url = f"ws://127.0.0.1:{http_port}/graphql"
    sent: dict[int, float] = {}
    latencies: list[tuple[float, float]] = []  # (sent, latency)
    warm: set[int] = set()
    errors: list[str] = []
    subscribed = 0

    async def subscriber(i: int) -> None:
        nonlocal subscribed
        vin = vins[i % len(vins)]
        async with websockets.connect(
            url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")], max_size=None
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            ack = json.loads(await ws.recv())
            if ack.get("type") != "connection_ack":
                errors.append(f"no connection_ack: {ack}")
                return
            payload = {"query": SUBSCRIPTION, "variables": {"vin": vin}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            subscribed += 1
            async for raw in ws:
                now = time.monotonic()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif kind == "next":
                    if message["payload"].get("errors"):
                        errors.append(str(message["payload"]["errors"])[:300])
                        return
                    update = message["payload"]["data"]["signals"]
                    warm.add(i)
                    if update["name"] == "Odometer":
                        counter = round((update["value"] / MI_TO_KM - LIVE_ODOMETER_BASE) * 10)
                        at = sent.get(counter)
                        if at is not None:
                            latencies.append((at, now - at))
                elif kind in ("error", "complete"):
                    errors.append(str(message)[:300])
                    return

    gc_pauses: list[tuple[int, float]] = []  # (generation, ms) in the load process during the window
    gc_started = [0.0]

    def load_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses.append((info["generation"], (time.perf_counter() - gc_started[0]) * 1000))

    clients = [asyncio.create_task(subscriber(i)) for i in range(subscribers)]
    client = _publisher(mqtt_port, "bench-live-publisher")
    cpu_before = cpu = 0.0
    try:
        # warm-up: until every subscriber has seen a value, so that all subscriptions are live
        deadline = time.monotonic() + 60
        level = 0
        while len(warm) < subscribers:
            if errors or time.monotonic() > deadline or all(task.done() for task in clients):
                raise RuntimeError(
                    f"{len(warm)} of {subscribers} subscribers live ({subscribed} subscribed): {errors[:3]}"
                )
            level += 1
            for vin in vins:
                client.publish(topic(vin, "BatteryLevel"), json.dumps(50 + level % 40), qos=1)
            await asyncio.sleep(0.25)
        await asyncio.sleep(0.5)
        # A thousand clients in one process share one collector, whose full collections (their sockets'
        # objects) would stall them all at once: freeze what the warm-up built, as separate clients would
        # not share a pause, and report what the collector still does during the window.
        gc.collect()
        gc.freeze()
        gc.callbacks.append(load_gc)
        latencies.clear()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = usage.ru_utime + usage.ru_stime

        total = int(rate * seconds)
        per_vin = [0] * len(vins)
        for i in range(subscribers):
            per_vin[i % len(vins)] += 1
        expected = 0
        start = time.monotonic()
        counter = 0
        while counter < total:
            due = min(total, int((time.monotonic() - start) * rate) + 1)
            while counter < due:
                counter += 1
                vin_index = counter % len(vins)
                expected += per_vin[vin_index]
                value = LIVE_ODOMETER_BASE + counter / 10
                sent[counter] = time.monotonic()
                client.publish(topic(vins[vin_index], "Odometer"), json.dumps(value), qos=1)
            await asyncio.sleep(0.002)
        published_s = time.monotonic() - start
        await asyncio.sleep(2.0)  # stragglers
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (usage.ru_utime + usage.ru_stime - cpu_before) / (time.monotonic() - start)
    finally:
        if load_gc in gc.callbacks:
            gc.callbacks.remove(load_gc)
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
        client.disconnect()
        client.loop_stop()
    return {
        "load_gc": gc_pauses,
        "published": total,
        "publish_rate": total / published_s,
        "expected": expected,
        "latencies": [(at - start, latency) for at, latency in latencies],
        "errors": errors[:5],
        "load_cpu": cpu,
    }


def worker_main(args: argparse.Namespace) -> None:
    if args.worker == "flood":
        result: object = flood_worker(
            args.mqtt_port, args.messages, args.vehicles, args.index, args.publishers
        )
    elif args.worker == "bare":
        result = asyncio.run(bare_worker(args.mqtt_port, args.messages))
    else:
        result = asyncio.run(
            live_worker(
                args.mqtt_port, args.http_port, args.vehicles, args.subscribers, args.rate, args.seconds
            )
        )
    sys.stdout.write(json.dumps(result) + "\n")


async def run_worker(*argv: str, ready: asyncio.Event | None = None) -> object:
    """Run `--worker ...` in a new process; its last stdout line is its JSON result. A `READY` line sets
    `ready`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--worker", *argv, stdout=subprocess.PIPE, limit=2**28
    )
    lines: list[bytes] = []
    try:
        assert process.stdout is not None
        async for line in process.stdout:
            if line.strip() == b"READY" and ready is not None:
                ready.set()
            elif line.strip():
                lines.append(line)
        await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"worker {argv[0]} exited with {process.returncode}")
    return json.loads(lines[-1])


@dataclass
class Flood:
    start: float
    end: float
    sent: int

    @property
    def rate(self) -> float:
        return self.sent / max(self.end - self.start, 1e-9)


async def flood(mqtt_port: int, messages: int, vehicles: int, publishers: int) -> Flood:
    results = await asyncio.gather(
        *(
            run_worker(
                "flood",
                f"--mqtt-port={mqtt_port}",
                f"--messages={messages}",
                f"--vehicles={vehicles}",
                f"--index={index}",
                f"--publishers={publishers}",
            )
            for index in range(publishers)
        )
    )
    parts = [r for r in results if isinstance(r, dict)]
    return Flood(min(r["start"] for r in parts), max(r["end"] for r in parts), sum(r["sent"] for r in parts))


# --- measurement ------------------------------------------------------------------------------------------


@dataclass
class Progress:
    """(time, count) samples of something growing to `total`."""

    total: int
    samples: list[tuple[float, int]] = field(default_factory=list)

    def add(self, count: int, at: float | None = None) -> None:
        self.samples.append((time.monotonic() if at is None else at, count))

    def time_at(self, count: float) -> float:
        """When the count reached `count`, interpolated between samples."""
        previous = self.samples[0]
        for sample in self.samples:
            if sample[1] >= count:
                if sample[1] == previous[1]:
                    return sample[0]
                fraction = (count - previous[1]) / (sample[1] - previous[1])
                return previous[0] + fraction * (sample[0] - previous[0])
            previous = sample
        raise ValueError(f"never reached {count}")

    def sustained(self, low: float = 0.1, high: float = 0.9) -> float:
        lo, hi = self.total * low, self.total * high
        return (hi - lo) / max(self.time_at(hi) - self.time_at(lo), 1e-9)

    @property
    def finished(self) -> float:
        return self.time_at(self.total)

    def timeline(self, start: float, bucket_s: float = 1.0) -> str:
        """Messages per second in each `bucket_s` from `start` until done, in thousands."""
        rates, edge, done = [], start, self.finished
        while edge < done:
            top = min(edge + bucket_s, done)
            rates.append((self.count_at(top) - self.count_at(edge)) / (top - edge) / 1000)
            edge = top
        return " ".join(f"{rate:.1f}" for rate in rates)

    def count_at(self, at: float) -> float:
        previous = self.samples[0]
        if at <= previous[0]:
            return float(previous[1])
        for sample in self.samples:
            if sample[0] >= at:
                fraction = (at - previous[0]) / max(sample[0] - previous[0], 1e-9)
                return previous[1] + fraction * (sample[1] - previous[1])
            previous = sample
        return float(previous[1])


def rate_line(label: str, progress: Progress, published: Flood) -> str:
    took = progress.finished - published.start
    flooding = published.end - published.start
    line = (
        f"  {label}: end to end {progress.total / max(took, 1e-9):,.0f} msg/s ({progress.total:,} in "
        f"{took:.2f} s); while the publisher ran {progress.count_at(published.end) / flooding:,.0f} msg/s; "
        f"10%..90% {progress.sustained():,.0f} msg/s"
    )
    if progress.finished - published.end < 0.25:
        line += "\n  (!) kept up with the publisher: publisher-limited, try --publishers 2"
    return line


async def bare_subscriber(mqtt_port: int, args: argparse.Namespace) -> tuple[Progress, Flood, float]:
    """The bare subscriber runs in a process of its own, like the pipeline in this one: its unbounded
    in-memory queue (auto-ack) must not count towards TeslaSync's memory."""
    progress = Progress(args.messages)
    ready = asyncio.Event()
    subscriber = asyncio.create_task(
        run_worker("bare", f"--mqtt-port={mqtt_port}", f"--messages={args.messages}", ready=ready)
    )
    waiting = asyncio.create_task(ready.wait())
    try:
        await asyncio.wait({subscriber, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.is_set():
            await subscriber
            raise RuntimeError("the bare subscriber ended before subscribing")
        published = await flood(mqtt_port, args.messages, args.vehicles, args.publishers)
        async with asyncio.timeout(max(120, args.messages / 500)):
            outcome = await subscriber
    finally:
        for task in (subscriber, waiting):
            task.cancel()
        await asyncio.gather(subscriber, waiting, return_exceptions=True)
    assert isinstance(outcome, dict)
    progress.samples = [(published.start, 0), *((t, c) for t, c in outcome["samples"])]
    return progress, published, float(outcome["max_rss_mib"])


async def bare_worker(mqtt_port: int, messages: int) -> dict[str, object]:
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    samples: list[tuple[float, int]] = []
    step = max(messages // 200, 1)
    async with aiomqtt.Client(
        "127.0.0.1",
        mqtt_port,
        identifier="bench-bare",
        protocol=aiomqtt.ProtocolVersion.V5,
        clean_start=True,
        properties=properties,
    ) as client:
        await client.subscribe(f"{TOPIC_BASE}/#", qos=1)
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        count = 0
        async for _ in client.messages:
            count += 1
            if count % step == 0 or count == messages:
                samples.append((time.monotonic(), count))
            if count >= messages:
                break
    return {"samples": samples, "max_rss_mib": peak_rss_mib()}


async def count_signals(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(text("SELECT count(*) FROM signals")) or 0)


async def pipeline_flood(
    settings: Settings, db: Database, mqtt_port: int, args: argparse.Namespace
) -> tuple[Progress, Progress, Flood, str | None]:
    runtime = TelemetryRuntime(settings, db)
    stored, received = Progress(args.messages), Progress(args.messages)
    profiler = cProfile.Profile() if args.profile else None
    before = await count_signals(db)
    await runtime.start()
    try:
        assert runtime.mqtt is not None
        await asyncio.wait_for(runtime.mqtt.state.connected_event.wait(), 15)
        if profiler is not None:
            profiler.enable()
        publishing = asyncio.create_task(flood(mqtt_port, args.messages, args.vehicles, args.publishers))
        try:
            last_change, last = time.monotonic(), -1
            while True:
                now = time.monotonic()
                count = await count_signals(db) - before
                stored.add(count, now)
                received.add(runtime.mqtt.state.received, now)
                if count >= args.messages:
                    break
                if count != last:
                    last_change, last = now, count
                elif now - last_change > 30:
                    raise RuntimeError(f"ingest stalled at {count} of {args.messages} signals")
                if publishing.done() and publishing.exception() is not None:
                    await publishing
                await asyncio.sleep(0.1)
            published = await publishing
        finally:
            publishing.cancel()
            await asyncio.gather(publishing, return_exceptions=True)
            if profiler is not None:
                profiler.disable()
    finally:
        async with asyncio.timeout(60):
            await runtime.stop()
    # the flood starts once its worker process is up: time counts from its first publish
    start = [(published.start, 0)]
    stored.samples = start + [(t, c) for t, c in stored.samples if t > published.start]
    received.samples = start + [
        (t, min(c, args.messages)) for t, c in received.samples if t > published.start
    ]
    report = None
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(45)
        report = out.getvalue()
    return stored, received, published, report


async def live_latency(
    settings: Settings, db: Database, mqtt_port: int, args: argparse.Namespace
) -> dict[str, object]:
    runtime = TelemetryRuntime(settings, db)
    app = create_app(settings, db, telemetry=runtime, dispose_on_shutdown=False)
    http_port = free_port()
    # as `teslasync serve` runs it (its WebSocket settings included), on a port of its own
    config = uvicorn_config(
        app, settings, host="127.0.0.1", port=http_port, log_level="warning", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                await serving
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.05)
        assert runtime.mqtt is not None
        await asyncio.wait_for(runtime.mqtt.state.connected_event.wait(), 15)
        server_cpu = psutil.Process().cpu_times()
        started = time.monotonic()
        result = await run_worker(
            "live",
            f"--mqtt-port={mqtt_port}",
            f"--http-port={http_port}",
            f"--vehicles={args.vehicles}",
            f"--subscribers={args.subscribers}",
            f"--rate={args.rate}",
            f"--seconds={args.seconds}",
        )
        assert isinstance(result, dict)
        now = psutil.Process().cpu_times()
        busy = now.user + now.system - server_cpu.user - server_cpu.system
        result["server_cpu"] = busy / (time.monotonic() - started)
        return result
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 30)
        if not serving.done():
            serving.cancel()


@dataclass(frozen=True)
class WriterStats:
    """The pipeline's own metrics: writer transactions and batch lag (arrival to acknowledgement)."""

    batches: float
    busy_s: float
    signals: float
    lag_s: float
    lagged: float

    @classmethod
    def now(cls) -> WriterStats:
        def value(name: str) -> float:
            return REGISTRY.get_sample_value(name) or 0.0

        return cls(
            value("teslasync_telemetry_write_seconds_count"),
            value("teslasync_telemetry_write_seconds_sum"),
            value("teslasync_telemetry_signals_stored_total"),
            value("teslasync_telemetry_lag_seconds_sum"),
            value("teslasync_telemetry_lag_seconds_count"),
        )

    def __sub__(self, other: WriterStats) -> WriterStats:
        return WriterStats(
            self.batches - other.batches,
            self.busy_s - other.busy_s,
            self.signals - other.signals,
            self.lag_s - other.lag_s,
            self.lagged - other.lagged,
        )

    def __str__(self) -> str:
        if not self.batches:
            return "writer: no batches"
        return (
            f"writer: {self.batches:.0f} transactions, {self.signals / self.batches:,.0f} signals each, "
            f"{self.busy_s / self.batches * 1000:.1f} ms each (busy {self.busy_s:.2f} s); "
            f"first message of a bridge batch -> acknowledged: mean {self.lag_s / max(self.lagged, 1) * 1000:.1f} ms"
        )


class GcPauses:
    """Pauses of this process's cyclic garbage collector, per generation, while installed."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)

    @contextlib.contextmanager
    def installed(self) -> Iterator[GcPauses]:
        gc.callbacks.append(self._callback)
        try:
            yield self
        finally:
            gc.callbacks.remove(self._callback)

    def __str__(self) -> str:
        full = self.pauses[2]
        young = self.pauses[0] + self.pauses[1]
        return (
            f"GC pauses in this process: {len(full)} full collections, max {max(full, default=0) * 1000:.0f} ms, "
            f"total {sum(full) * 1000:.0f} ms; young collections max {max(young, default=0) * 1000:.0f} ms"
        )


class PostgresMemory:
    """Peak of the summed RSS (and USS) of the postmaster and its children, sampled."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.rss = self.uss = 0.0
        self.processes = 0

    def sample(self) -> None:
        try:
            postmaster = psutil.Process(int((self.pgdata / "postmaster.pid").read_text().split()[0]))
            group = [postmaster, *postmaster.children(recursive=True)]
            infos = [proc.memory_full_info() for proc in group]
        except (OSError, ValueError, psutil.Error):
            return
        self.rss = max(self.rss, sum(info.rss for info in infos) / 2**20)
        self.uss = max(self.uss, sum(info.uss for info in infos) / 2**20)
        self.processes = max(self.processes, len(group))

    async def run(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(0.5)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def high_water_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# --- orchestration ----------------------------------------------------------------------------------------


async def bench(
    args: argparse.Namespace, tmp: Path, pg: EmbeddedPostgres, mqtt_port: int, broker_pid: int
) -> None:
    pg_memory = PostgresMemory(pg.pgdata)
    peaks: list[float] = []
    sampler = asyncio.create_task(pg_memory.run())
    engine = make_engine(pg.url("postgres"))
    db = Database.from_engine(engine)
    try:
        await migrate.upgrade(engine, StorageMode.PLAIN)
        mqtt_url = f"mqtt://127.0.0.1:{mqtt_port}"
        print(
            f"fleet: {args.vehicles} vehicles x {len(FIELDS)} fields; {args.messages:,} messages; "
            f"{args.publishers} publisher process(es), QoS 1"
        )

        print("\n[1] bare aiomqtt subscriber (MQTT 5, QoS 1, auto-ack)", flush=True)
        bare, bare_pub, bare_rss = await bare_subscriber(mqtt_port, args)
        print(
            f"  publish: {bare_pub.rate:,.0f} msg/s ({bare_pub.sent:,} in {bare_pub.end - bare_pub.start:.2f} s)"
        )
        print(rate_line("received", bare, bare_pub))
        print(f"  received per second (k msg/s): {bare.timeline(bare_pub.start)}")
        print(
            f"  subscriber process RSS high-water: {bare_rss:.1f} MiB (auto-ack: unbounded queue)", flush=True
        )
        peaks.append(peak_rss_mib())

        print("\n[2] TeslaSync pipeline (MQTT bridge -> pipeline -> PostgreSQL)", flush=True)
        settings = Settings(  # type: ignore[call-arg]
            data_dir=tmp / "data", mqtt_url=mqtt_url, mqtt_client_id="bench", demo=True, _env_file=None
        )
        writer_before = WriterStats.now()
        with GcPauses().installed() as pipeline_gc:
            stored, received, pipe_pub, profile = await pipeline_flood(settings, db, mqtt_port, args)
        print(
            f"  publish: {pipe_pub.rate:,.0f} msg/s ({pipe_pub.sent:,} in {pipe_pub.end - pipe_pub.start:.2f} s)"
        )
        print(rate_line("bridge received", received, pipe_pub))
        print(rate_line("stored in signals", stored, pipe_pub))
        print(f"  stored per second (k msg/s): {stored.timeline(pipe_pub.start)}")
        writer = WriterStats.now() - writer_before
        print(f"  {writer}")
        print(f"  {pipeline_gc}")
        dead = sum(
            sample.value
            for family in REGISTRY.collect()
            if family.name == "teslasync_telemetry_dead_letters"
            for sample in family.samples
            if sample.name.endswith("_total")
        )
        if dead:
            print(f"  dead letters: {dead:.0f}")
        ratio = stored.sustained() / bare.sustained()
        ratio_e2e = (stored.total / (stored.finished - pipe_pub.start)) / (
            bare.total / (bare.finished - bare_pub.start)
        )
        print(
            f"  pipeline / bare subscriber: {ratio_e2e:.0%} end to end, {ratio:.0%} over 10%..90% "
            "(target >= 70%)",
            flush=True,
        )
        peaks.append(peak_rss_mib())
        if profile is not None:
            print("\n  cProfile of the pipeline run (main process; the profiler slows [2] down):\n" + profile)

        print(
            f"\n[3] live latency: {args.subscribers} GraphQL subscribers over websockets, "
            f"~{args.rate:,.0f} signals/s for {args.seconds:.0f} s",
            flush=True,
        )
        writer_before = WriterStats.now()
        with GcPauses().installed() as live_gc:
            live = await live_latency(settings, db, mqtt_port, args)
        writer = WriterStats.now() - writer_before
        timed = [(float(at), float(latency) * 1000) for at, latency in live["latencies"]]  # type: ignore[attr-defined]
        latencies = [latency for _, latency in timed]
        print(f"  published: {live['published']:,} at {live['publish_rate']:,.0f} signals/s")
        if latencies:
            print(
                f"  publish -> 'next' latency: p50 {percentile(latencies, 0.5):.1f} ms, "
                f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms, "
                f"mean {statistics.fmean(latencies):.1f} ms"
            )
            seconds: dict[int, list[float]] = {}
            for at, latency in timed:
                seconds.setdefault(int(at), []).append(latency)
            print(
                "  p50/p99 per second of publishing (ms): "
                + " ".join(
                    f"{percentile(values, 0.5):.0f}/{percentile(values, 0.99):.0f}"
                    for _, values in sorted(seconds.items())
                )
            )
        print(
            f"  timed 'next' messages: {len(latencies):,} of {live['expected']:,} (values x subscribers of "
            "their car; the rest were conflated: a slow subscriber gets only the newest value per field)"
        )
        print(f"  {writer}")
        print(f"  {live_gc}")
        print(
            f"  CPU (share of one core): TeslaSync process {live['server_cpu']:.0%} over the whole phase "
            f"(incl. subscriber set-up), load process {live['load_cpu']:.0%} while publishing"
        )
        if live["errors"]:
            print(f"  errors: {live['errors']}")
        peaks.append(peak_rss_mib())
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        await db.dispose()
        pg_memory.sample()

    print("\n[4] peak memory")
    print(
        f"  TeslaSync process (this one, RSS high-water): {peak_rss_mib():.1f} MiB "
        f"(after [1] {peaks[0]:.1f}, after [2] {peaks[1]:.1f}, after [3] {peaks[2]:.1f})"
    )
    print(
        f"  embedded PostgreSQL (sampled peak, {pg_memory.processes} processes): "
        f"RSS {pg_memory.rss:.1f} MiB, USS {pg_memory.uss:.1f} MiB"
    )
    with contextlib.suppress(OSError):
        print(f"  Mosquitto (RSS high-water): {high_water_mib(broker_pid):.1f} MiB")


@contextlib.contextmanager
def services(tmp: Path) -> Iterator[tuple[EmbeddedPostgres, int, int]]:
    pg = EmbeddedPostgres(tmp / "pg", port=free_port())
    mqtt_port = free_port()
    config = mosquitto_config(tmp, mqtt_port, persistent=False)
    try:
        started = time.monotonic()
        pg.start()
        with _process([find_binary("mosquitto"), "-c", str(config)], mqtt_port) as broker:
            version = subprocess.run(
                [find_binary("mosquitto"), "-h"], capture_output=True, text=True, check=False
            ).stdout.splitlines()[:1]
            print(
                f"services up in {time.monotonic() - started:.1f} s: embedded PostgreSQL, "
                f"{' '.join(version) or 'mosquitto'} on :{mqtt_port}"
            )
            yield pg, mqtt_port, broker.pid
    finally:
        pg.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000, help="messages in each flood")
    parser.add_argument("--vehicles", type=int, default=50, help="simulated fleet size")
    parser.add_argument("--subscribers", type=int, default=100, help="live GraphQL subscribers")
    parser.add_argument("--rate", type=float, default=1000, help="signals/s during the latency run")
    parser.add_argument("--seconds", type=float, default=10, help="length of the latency run")
    parser.add_argument("--publishers", type=int, default=1, help="publisher processes for the floods")
    parser.add_argument("--profile", action="store_true", help="cProfile the pipeline run and print the top")
    parser.add_argument("--worker", choices=("flood", "bare", "live"), help=argparse.SUPPRESS)
    parser.add_argument("--mqtt-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--http-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args)
        return

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # SIGTERM unwinds like Ctrl-C, so that the services are stopped and the temp dir removed
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="teslasync-bench-") as name,
        services(Path(name)) as (pg, port, pid),
    ):
        asyncio.run(bench(args, Path(name), pg, port, pid))
    print(f"\ntotal run time: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
