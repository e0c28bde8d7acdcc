"""Notification events detected live: a `VehicleDetector` per car hears the committed samples, the car's
alerts and its derived state changes (a derivation listener), and what it detects is published as a
notification job. The detector of a car is seeded from the stored latest values the first time the car is
heard from, so a restart does not announce what was already true (a car already unlocked, a charge already
running); the dedup keys of what it does announce are the same across restarts and replicas.

Also here: the scheduler's stale-stream check, which announces each vehicle whose stream went stale, once per
stale period."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from teslasync.analytics.live import STATE_TOPIC, VehicleSamples
from teslasync.analytics.samples import Sample
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.repositories import signals as signals_repo
from teslasync.db.repositories import telemetry as telemetry_repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.jobs.notifications import publish
from teslasync.jobs.queue import JobQueues
from teslasync.notify.detect import DetectorSettings, VehicleDetector, stream_stale_event
from teslasync.notify.events import Event
from teslasync.telemetry.normalise import render
from teslasync.telemetry.records import Event as CarEvent
from teslasync.telemetry.streams import STREAMING_SOURCES, StreamFacts, StreamState, stream_state

log = logging.getLogger("teslasync.notify.detection")

TICK_EVERY_S = 30.0


class NotificationDetection:
    def __init__(self, db: Database, queues: JobQueues, settings: DetectorSettings | None = None) -> None:
        self.db = db
        self.queues = queues
        self.settings = settings or DetectorSettings()
        self.detectors: dict[str, VehicleDetector] = {}
        self.published = 0

    async def on_samples(self, batches: Sequence[VehicleSamples], alerts: Sequence[CarEvent]) -> None:
        events: list[Event] = []
        for batch in batches:
            detector = await self._detector(batch.vin, batch.vehicle_id)
            events += detector.observe(batch.samples)
        for alert in alerts:
            detector = await self._detector(alert.vin, None)
            doc = alert.doc if isinstance(alert.doc, dict) else None
            events += detector.observe_alert(alert.name, alert.ts, doc)
        await self._publish(events)

    async def on_announcement(self, vin: str, topic: str, doc: dict[str, object], at: datetime) -> None:
        if topic != STATE_TOPIC:
            return
        detector = await self._detector(vin, None)
        since = datetime.fromisoformat(str(doc["since"])) if doc.get("since") else at
        await self._publish(detector.observe_state(str(doc["state"]), since))

    async def tick(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        events: list[Event] = []
        for detector in self.detectors.values():
            events += detector.tick(now)
        await self._publish(events)

    async def run(self) -> None:
        """The time-based detections (unlocked for ten minutes, a door left open) while the service runs."""
        while True:
            await asyncio.sleep(TICK_EVERY_S)
            try:
                await self.tick()
            except Exception:
                log.exception("the notification detectors' tick failed")

    async def _detector(self, vin: str, vehicle_id: int | None) -> VehicleDetector:
        detector = self.detectors.get(vin)
        if detector is None:
            detector = VehicleDetector(vin, self.settings)
            try:
                detector.seed(await self._stored(vin, vehicle_id))
            except Exception:
                log.exception("seeding the detector of %s failed; starting from nothing", vin)
            self.detectors[vin] = detector
        return detector

    async def _stored(self, vin: str, vehicle_id: int | None) -> list[Sample]:
        async with self.db.transaction() as session:
            if vehicle_id is None:
                vehicle = (await vehicles_repo.by_vins(session, [vin])).get(vin)
                if vehicle is None:
                    return []
                vehicle_id = vehicle.id
            rows = await signals_repo.latest_for(session, [vehicle_id])
        return [Sample(row.ts, row.field, render(row.field, row.num, row.txt, row.doc)) for row in rows]

    async def _publish(self, events: Sequence[Event]) -> None:
        for event in events:
            try:
                await publish(self.queues, event)
                self.published += 1
            except Exception:
                log.exception("queueing the %s notification of %s failed", event.kind.value, event.vin)


async def announce_stale_streams(settings: Settings, db: Database, queues: JobQueues) -> int:
    """The scheduler's check: an event for each vehicle whose stream is stale now. Its dedup key is the
    vehicle and the last time it was heard from, so one stale period is announced once."""
    now = datetime.now(UTC)
    stale_after = timedelta(seconds=settings.stale_after_s)
    async with db.transaction() as session:
        vehicles = {vehicle.id: vehicle.vin for vehicle in await vehicles_repo.list_vehicles(session)}
        streams = await telemetry_repo.streams_for(session, list(vehicles))
    facts: dict[str, list[StreamFacts]] = {vin: [] for vin in vehicles.values()}
    for row in streams:
        facts[vehicles[row.vehicle_id]].append(
            StreamFacts(row.source, row.last_data_at, row.connectivity, row.connectivity_at)
        )
    announced = 0
    for vin, items in facts.items():
        # polling covers for the stream, but the stream itself is still down
        if stream_state(items, now, stale_after) not in (StreamState.STALE, StreamState.POLLING):
            continue
        streamed = [
            item.last_data_at for item in items if item.source in STREAMING_SOURCES and item.last_data_at
        ]
        if not streamed:
            continue  # never streamed: nothing went stale
        last_seen = max(streamed)
        await publish(queues, stream_stale_event(vin, last_seen, now))
        announced += 1
    return announced
