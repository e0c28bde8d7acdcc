"""The ingest pipeline: sources submit batches; one writer normalises them, makes them durable in one
transaction, then updates the caches, fans them out, and only then acknowledges them upstream.

Backpressure: the queue of batches is bounded, so a source waits (and, for MQTT, stops acknowledging)
while the database is slow or down. A failed write is retried until it succeeds; nothing is dropped and
nothing is acknowledged before it is durable. Every write is idempotent, so a redelivery is harmless.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.engine import Database
from teslasync.db.models import Vehicle
from teslasync.db.repositories import mqtt as mqtt_repo
from teslasync.db.repositories import signals as signal_repo
from teslasync.db.repositories import telemetry as telemetry_repo
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.db.storage import Strategy, recorded_strategy
from teslasync.observability import metrics
from teslasync.telemetry.catalogue import spec
from teslasync.telemetry.fanout import Fanout, SignalUpdate
from teslasync.telemetry.latest import LatestValues
from teslasync.telemetry.model import DeadLetter, Observation, Reason, Rejected, Signal, scrub
from teslasync.telemetry.normalise import normalise, render
from teslasync.telemetry.records import Event
from teslasync.vin import model_from_vin

log = logging.getLogger("teslasync.telemetry")

Ack = Callable[[], Awaitable[None] | None]
# Called with what a batch made durable (values, events, and the vehicle ids of their VINs), before the
# batch is acknowledged: live derivation hangs here.
Committed = Callable[[list[Signal], list[Event], dict[str, int]], Awaitable[None]]
RETRY_DELAYS_S = (0.1, 0.25, 0.5, 1.0, 2.0)


@dataclass(slots=True)
class Batch:
    source: str
    observations: list[Observation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    ack: Ack | None = None
    receipts: list[tuple[str, int, str]] = field(default_factory=list)
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    enqueued: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class _Seen:
    """What one batch tells about a vehicle's stream from one source, by TeslaSync's clock."""

    seen_at: datetime
    data_at: datetime | None = None
    connectivity: str | None = None
    connectivity_at: datetime | None = None


@dataclass(slots=True)
class _Prepared:
    signals: list[Signal] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    seen: dict[tuple[str, str], _Seen] = field(default_factory=dict)
    receipts: list[tuple[str, int, str]] = field(default_factory=list)
    unknown_fields: int = 0


class Pipeline:
    def __init__(
        self,
        db: Database,
        fanout: Fanout,
        *,
        allowed_vins: frozenset[str] | None = None,
        max_batch: int = 5000,
        queue_batches: int = 1000,
        on_stored: Callable[[list[SignalUpdate]], Awaitable[None]] | None = None,
        on_committed: Committed | None = None,
    ) -> None:
        self.db = db
        self.fanout = fanout
        self.latest = LatestValues()
        self.allowed_vins = allowed_vins
        self.max_batch = max_batch
        self.queue: asyncio.Queue[Batch] = asyncio.Queue(maxsize=queue_batches)
        self.on_stored = on_stored
        self.on_committed = on_committed
        self._vehicle_ids: dict[str, int] = {}
        self._names: dict[str, str | None] = {}
        self._strategy: Strategy | None = None
        self._task: asyncio.Task[None] | None = None
        self._submitted = 0
        self._finished = 0
        self._progress = asyncio.Condition()

    async def start(self) -> None:
        async with self.db.transaction() as session:
            self._strategy = await session.run_sync(lambda s: recorded_strategy(s.connection()))
        self._task = asyncio.create_task(self._run(), name="telemetry-writer")

    @property
    def strategy(self) -> Strategy | None:
        """The storage strategy, known once started."""
        return self._strategy

    async def stop(self, grace_s: float = 10.0) -> None:
        """Write what is queued, then stop. If that takes longer than `grace_s` (the database is down), stop
        anyway: what was not written was not acknowledged either, so the source delivers it again."""
        try:
            await asyncio.wait_for(self.drain(), grace_s)
        except TimeoutError:
            log.warning(
                "stopping with %d telemetry batches unwritten (not acknowledged)", self.queue.qsize() + 1
            )
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def submit(self, batch: Batch) -> None:
        """Queue a batch; waits while the queue is full (backpressure)."""
        await self.queue.put(batch)
        self._submitted += 1
        metrics.INGEST_QUEUE_DEPTH.set(self.queue.qsize())

    async def drain(self) -> None:
        """Wait until every batch submitted before this call is stored, fanned out and acknowledged
        (batches submitted meanwhile are not waited for, so a busy stream cannot starve the caller)."""
        target = self._submitted
        async with self._progress:
            await self._progress.wait_for(lambda: self._finished >= target)

    async def _run(self) -> None:
        while True:
            batches = [await self.queue.get()]
            size = len(batches[0].observations)
            while size < self.max_batch and not self.queue.empty():
                batch = self.queue.get_nowait()
                batches.append(batch)
                size += len(batch.observations)
            metrics.INGEST_QUEUE_DEPTH.set(self.queue.qsize())
            try:
                await self._process(batches)
            except Exception:
                log.exception("telemetry batch failed and was not acknowledged")
            finally:
                async with self._progress:
                    self._finished += len(batches)
                    self._progress.notify_all()

    def _check_vin(self, vin: str) -> None:
        if self.allowed_vins is not None and vin not in self.allowed_vins:
            raise Rejected(Reason.VIN_NOT_ALLOWED, "VIN is not in TESLASYNC_ALLOWED_VINS")

    def _prepare(self, batches: Sequence[Batch]) -> _Prepared:
        prepared = _Prepared()
        for batch in batches:
            prepared.dead.extend(batch.dead)
            prepared.receipts.extend(batch.receipts)
            for observation in batch.observations:
                key = (observation.vin, batch.source)
                try:
                    self._check_vin(observation.vin)
                    signal = normalise(observation)
                except Rejected as exc:
                    prepared.dead.append(
                        DeadLetter(
                            batch.source,
                            exc.reason,
                            exc.detail,
                            _payload(observation.raw),
                            observation.vin,
                            observation.field,
                        )
                    )
                    continue
                if spec(signal.field) is None:
                    prepared.unknown_fields += 1
                prepared.signals.append(signal)
                seen = prepared.seen.setdefault(key, _Seen(batch.received_at))
                seen.seen_at = seen.data_at = max(seen.seen_at, batch.received_at)
            for event in batch.events:
                try:
                    self._check_vin(event.vin)
                except Rejected as exc:
                    prepared.dead.append(
                        DeadLetter(
                            batch.source, exc.reason, exc.detail, _payload(event.doc), event.vin, event.name
                        )
                    )
                    continue
                prepared.events.append(replace(event, name=scrub(event.name), doc=scrub(event.doc)))
                seen = prepared.seen.setdefault((event.vin, batch.source), _Seen(batch.received_at))
                seen.seen_at = max(seen.seen_at, batch.received_at)
                if event.kind == "connectivity":
                    seen.connectivity, seen.connectivity_at = event.name, batch.received_at
        return prepared

    async def _process(self, batches: Sequence[Batch]) -> None:
        started = time.monotonic()
        prepared = self._prepare(batches)
        try:
            await self._store(prepared)
        except DBAPIError as exc:
            # Not a transient failure: something in these batches cannot be stored. Store them one by one,
            # and dead-letter (keep, never drop) the contents of a batch that fails on its own.
            if len(batches) > 1:
                for batch in batches:
                    await self._process([batch])
                return
            log.error("a telemetry batch cannot be stored (%s); dead-lettering it", _first_line(exc))
            prepared = _Prepared(dead=[*prepared.dead, *_quarantine(batches[0], _first_line(exc))])
            await self._store(prepared)
        updates = self._updates(prepared.signals)
        moved = self.latest.apply(updates)
        by_vin: dict[str, list[SignalUpdate]] = {}
        for item in moved:
            by_vin.setdefault(item.vin, []).append(item)
        for vin, items in by_vin.items():
            await self.fanout.publish(vin, items)
        if self.on_stored is not None and moved:
            await self.on_stored(moved)
        if self.on_committed is not None and (prepared.signals or prepared.events):
            await self.on_committed(prepared.signals, prepared.events, self._vehicle_ids)
        for batch in batches:
            if batch.ack is not None:
                result = batch.ack()
                if result is not None:
                    await result
        now = time.monotonic()
        for batch in batches:
            metrics.INGEST_LAG.observe(now - batch.enqueued)
        metrics.SIGNALS_STORED.inc(len(prepared.signals))
        metrics.UNKNOWN_FIELDS.inc(prepared.unknown_fields)
        for letter in prepared.dead:
            metrics.DEAD_LETTERS.labels(reason=letter.reason.value).inc()
        metrics.INGEST_BATCH_SECONDS.observe(now - started)

    async def _store(self, prepared: _Prepared) -> None:
        attempt = 0
        while True:
            try:
                await self._write(prepared)
                return
            except (OSError, OperationalError, InterfaceError, DBAPIError) as exc:
                if isinstance(exc, DBAPIError) and not exc.connection_invalidated and not _transient(exc):
                    raise
                delay = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
                attempt += 1
                metrics.INGEST_WRITE_RETRIES.inc()
                log.warning("database write failed (%s); retrying in %.2fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)

    async def _write(self, prepared: _Prepared) -> None:
        assert self._strategy is not None
        async with self.db.transaction() as session:
            vins = {s.vin for s in prepared.signals} | {e.vin for e in prepared.events}
            ids = await self._ids(session, vins)
            rows = [
                signal_repo.SignalRow(ids[s.vin], s.field, s.ts, s.num, s.txt, s.doc, s.approx)
                for s in prepared.signals
            ]
            await signal_repo.write_signals(session, rows, self._strategy)
            await telemetry_repo.write_events(
                session,
                [telemetry_repo.EventWrite(ids[e.vin], e.kind, e.name, e.ts, e.doc) for e in prepared.events],
            )
            await telemetry_repo.write_dead_letters(
                session,
                [
                    telemetry_repo.DeadLetterWrite(
                        d.source, d.reason.value, d.detail, d.payload, d.vin, d.field
                    )
                    for d in prepared.dead
                ],
            )
            await telemetry_repo.touch_streams(
                session,
                [
                    telemetry_repo.StreamTouch(
                        ids[vin], source, seen.seen_at, seen.data_at, seen.connectivity, seen.connectivity_at
                    )
                    for (vin, source), seen in prepared.seen.items()
                ],
            )
            names = await self._names_from(session, ids, prepared.signals)
            await mqtt_repo.record(session, prepared.receipts)
        # committed: now the caches may remember what the transaction did
        self._vehicle_ids.update(ids)
        self._names.update(names)

    async def _ids(self, session: AsyncSession, vins: set[str]) -> dict[str, int]:
        """Vehicle ids, registering new VINs; the caller caches them once the transaction commits."""
        ids = {vin: self._vehicle_ids[vin] for vin in vins if vin in self._vehicle_ids}
        for vin in vins - ids.keys():
            ids[vin] = (await ensure_vehicle(session, vin, model=model_from_vin(vin))).id
        return ids

    async def _names_from(
        self, session: AsyncSession, ids: dict[str, int], signals: list[Signal]
    ) -> dict[str, str]:
        names = {
            s.vin: s.txt for s in sorted(signals, key=lambda s: s.ts) if s.field == "VehicleName" and s.txt
        }
        changed = {vin: name for vin, name in names.items() if self._names.get(vin) != name}
        for vin, name in changed.items():
            await session.execute(update(Vehicle).where(Vehicle.id == ids[vin]).values(display_name=name))
        return changed

    @staticmethod
    def _updates(signals: list[Signal]) -> list[SignalUpdate]:
        updates = []
        for signal in signals:
            field_spec = spec(signal.field)
            updates.append(
                SignalUpdate(
                    vin=signal.vin,
                    name=signal.field,
                    value=render(signal.field, signal.num, signal.txt, signal.doc),
                    unit=field_spec.unit if field_spec is not None else None,
                    at=signal.ts,
                    approx=signal.approx,
                )
            )
        return updates


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig or exc).strip().splitlines()[0][:300]


def _quarantine(batch: Batch, why: str) -> list[DeadLetter]:
    letters = [
        DeadLetter(batch.source, Reason.STORE_FAILED, why, _payload(o.raw), o.vin, o.field)
        for o in batch.observations
    ]
    letters += [
        DeadLetter(batch.source, Reason.STORE_FAILED, why, _payload(e.doc), e.vin, f"{e.kind}:{e.name}")
        for e in batch.events
    ]
    return letters


def _transient(exc: DBAPIError) -> bool:
    text_ = str(exc.orig).lower() if exc.orig is not None else ""
    return any(
        word in text_ for word in ("connection", "terminat", "shutdown", "closed", "starting up", "recovery")
    )


def _payload(raw: object) -> str:
    try:
        return json.dumps(raw, default=str)[:4096]
    except (TypeError, ValueError):
        return repr(raw)[:4096]
