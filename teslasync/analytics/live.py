"""Live derivation: every committed batch of samples goes through each vehicle's derivation as it arrives,
and what closes is written at once. The derivation is the one recompute runs, and whenever the two could
disagree (the process restarted, a sample arrived late or out of order) the vehicle's open records are
rebuilt by recompute from the stored signals; so live results are recompute's results.

Changes are published on the telemetry fan-out under reserved names (`$state`, `$drive`, `$charging`),
which the GraphQL subscriptions for states and sessions read.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from teslasync.analytics.charging import ChargingSession
from teslasync.analytics.derivation import Derived, VehicleDerivation
from teslasync.analytics.pricing import price_rows
from teslasync.analytics.rows import drive_row, session_row, state_row
from teslasync.analytics.samples import Sample
from teslasync.analytics.states import StateSpan
from teslasync.db.engine import Database
from teslasync.db.repositories import derived as repo
from teslasync.observability import metrics

log = logging.getLogger("teslasync.analytics")

STATE_TOPIC, DRIVE_TOPIC, CHARGING_TOPIC = "$state", "$drive", "$charging"
DERIVED_TOPICS = frozenset({STATE_TOPIC, DRIVE_TOPIC, CHARGING_TOPIC})
# A late sample may change a record that closed up to this long before it (the offline grace of drives).
REACH = timedelta(minutes=15)
# The periodic flush looks this far behind the clock, so samples a little late are still in time.
LATENESS = timedelta(seconds=30)

Publish = Callable[[str, str, dict[str, object], datetime], Awaitable[None]]
# Rebuild a vehicle's records from the stored signals from a time on (None: all); the derivation returned
# stands where the stored data ends. (`jobs/recompute.py`: reading stored values needs the telemetry floor.)
Rebuild = Callable[[int, datetime | None], Awaitable[VehicleDerivation]]


@dataclass(frozen=True, slots=True)
class VehicleSamples:
    vehicle_id: int
    vin: str
    samples: list[Sample]


class LiveDerivation:
    def __init__(self, db: Database, rebuild: Rebuild, publish: Publish | None = None) -> None:
        self.db = db
        self.rebuild = rebuild
        self.publish = publish
        self._derivations: dict[int, VehicleDerivation] = {}
        self._vins: dict[int, str] = {}
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.rebuilds = 0

    async def on_committed(self, batches: Iterable[VehicleSamples]) -> None:
        """Derive from a committed batch. Never raises: a failure drops the vehicle's derivation, which is
        rebuilt from the stored signals on its next sample."""
        for batch in batches:
            self._vins[batch.vehicle_id] = batch.vin
            async with self._locks[batch.vehicle_id]:
                try:
                    await self._derive(batch)
                except Exception:
                    self._derivations.pop(batch.vehicle_id, None)
                    metrics.DERIVATION_FAILURES.inc()
                    log.exception("derivation failed for vehicle %s; it will be rebuilt", batch.vin)

    async def tick(self, now: datetime | None = None) -> None:
        """Close what the clock says is over, for every vehicle (a settled drive, a silent car)."""
        at = (now or datetime.now(UTC)) - LATENESS
        for vehicle_id, derivation in list(self._derivations.items()):
            async with self._locks[vehicle_id]:
                if self._derivations.get(vehicle_id) is not derivation:
                    continue
                state = derivation.current_state()
                derived = derivation.flush(at)
                if derived:
                    await self._write(vehicle_id, derivation, derived, state)

    async def run(self, interval_s: float = 5.0) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.tick()
            except Exception:  # the loop must outlive any one bad round
                log.exception("derivation tick failed")

    async def _derive(self, batch: VehicleSamples) -> None:
        derivation = self._derivations.get(batch.vehicle_id)
        samples = sorted(batch.samples, key=lambda s: (s.ts, s.field))
        if derivation is None:
            await self._load(batch.vehicle_id)  # the batch is committed: the rebuild includes it
            return
        if samples and not derivation.accepts(samples[0]):
            await self._rebuild(batch.vehicle_id, derivation, samples[0].ts)
            return
        state = derivation.current_state()
        derived = Derived()
        for sample in samples:
            derived.add(derivation.feed(sample))
        await self._write(batch.vehicle_id, derivation, derived, state)

    async def _load(self, vehicle_id: int) -> None:
        async with self.db.transaction() as session:
            known, since = await repo.resume_point(session, vehicle_id)
        await self._rebuild_from(vehicle_id, since if known else None, previous=None)

    async def _rebuild(self, vehicle_id: int, derivation: VehicleDerivation, late: datetime) -> None:
        since = late - REACH
        if (open_since := derivation.open_since()) is not None:
            since = min(since, open_since)
        await self._rebuild_from(vehicle_id, since, previous=derivation.current_state())

    async def _rebuild_from(
        self, vehicle_id: int, since: datetime | None, previous: StateSpan | None
    ) -> None:
        self.rebuilds += 1
        metrics.DERIVATION_REBUILDS.inc()
        derivation = await self.rebuild(vehicle_id, since)
        self._derivations[vehicle_id] = derivation
        current = derivation.current_state()
        if current is not None and current != previous:
            await self._announce(vehicle_id, STATE_TOPIC, _state_doc(current), current.started_at)

    async def _write(
        self,
        vehicle_id: int,
        derivation: VehicleDerivation,
        derived: Derived,
        state_before: StateSpan | None,
    ) -> None:
        state = derivation.current_state()
        ongoing = derivation.ongoing_session()
        async with self.db.transaction() as session:
            for drive in derived.drives:
                await repo.upsert(session, drive_row(vehicle_id, drive))
            charges = [*derived.sessions, *([ongoing] if ongoing is not None else [])]
            session_rows = [session_row(vehicle_id, charge) for charge in charges]
            await price_rows(session, session_rows)
            for row in session_rows:
                await repo.upsert(session, row)
            for span in [*derived.spans, *([state] if state is not None else [])]:
                await repo.upsert(session, state_row(vehicle_id, span))
            if state is not None and state != state_before:
                await repo.set_vehicle_state(session, vehicle_id, state.state.value, state.started_at)
        for drive in derived.drives:
            await self._announce(
                vehicle_id, DRIVE_TOPIC, _phase_doc("closed", drive.started_at), drive.started_at
            )
        for charge in derived.sessions:
            await self._announce(
                vehicle_id, CHARGING_TOPIC, _session_doc("closed", charge), charge.started_at
            )
        if state is not None and state != state_before:
            await self._announce(vehicle_id, STATE_TOPIC, _state_doc(state), state.started_at)
            if state.state.value == "driving":
                await self._announce(
                    vehicle_id, DRIVE_TOPIC, _phase_doc("opened", state.started_at), state.started_at
                )
        if ongoing is not None:
            await self._announce(
                vehicle_id, CHARGING_TOPIC, _session_doc("open", ongoing), ongoing.started_at
            )

    async def _announce(self, vehicle_id: int, topic: str, doc: dict[str, object], at: datetime) -> None:
        if self.publish is not None and (vin := self._vins.get(vehicle_id)) is not None:
            await self.publish(vin, topic, doc, at)


def _state_doc(span: StateSpan) -> dict[str, object]:
    return {"state": span.state.value, "since": span.started_at.isoformat()}


def _session_doc(phase: str, charge: ChargingSession) -> dict[str, object]:
    return _phase_doc(phase, charge.started_at)


def _phase_doc(phase: str, started_at: datetime) -> dict[str, object]:
    return {"phase": phase, "startedAt": started_at.isoformat()}
