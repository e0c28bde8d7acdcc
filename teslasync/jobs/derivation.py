"""Live derivation wired to a process's telemetry: committed batches in, derived records and their
announcements (on the fan-out, for the GraphQL subscriptions) out.

Listeners (notification detectors, automations) hear the same committed samples, the car's alerts and the
derived announcements, after the derivation; a listener's failure is logged and never holds up the ingest."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from teslasync.analytics.derivation import VehicleDerivation
from teslasync.analytics.live import LiveDerivation, VehicleSamples
from teslasync.analytics.samples import Sample
from teslasync.analytics.states import CONNECTIVITY
from teslasync.jobs.recompute import rebuild
from teslasync.telemetry.fanout import SignalUpdate
from teslasync.telemetry.model import Signal
from teslasync.telemetry.normalise import render
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.records import Event
from teslasync.telemetry.runtime import TelemetryRuntime

log = logging.getLogger("teslasync.derivation")


class DerivationListener(Protocol):
    async def on_samples(self, batches: Sequence[VehicleSamples], alerts: Sequence[Event]) -> None: ...

    async def on_announcement(self, vin: str, topic: str, doc: dict[str, object], at: datetime) -> None: ...


def attach_derivation(
    runtime: TelemetryRuntime, listeners: list[DerivationListener] | None = None
) -> LiveDerivation:
    """Derive live from the runtime's pipeline, flushing on a timer while the runtime runs."""
    live = live_derivation(runtime.pipeline, listeners)

    async def derivation() -> None:
        await live.run()

    runtime.companions.append(derivation)
    return live


def live_derivation(pipeline: Pipeline, listeners: list[DerivationListener] | None = None) -> LiveDerivation:
    """Hook live derivation into `pipeline`: it sees every committed batch before it is acknowledged.
    `listeners` may be filled in later (the app adds its own when it starts)."""
    db, fanout = pipeline.db, pipeline.fanout
    heard = listeners if listeners is not None else []

    async def publish(vin: str, topic: str, doc: dict[str, object], at: datetime) -> None:
        await fanout.publish(vin, [SignalUpdate(vin, topic, doc, None, at)])
        for listener in heard:
            try:
                await listener.on_announcement(vin, topic, doc, at)
            except Exception:
                log.exception("a derivation listener failed on %s of %s", topic, vin)

    async def rebuild_vehicle(vehicle_id: int, since: datetime | None) -> VehicleDerivation:
        return await rebuild(db, vehicle_id, since)

    live = LiveDerivation(db, rebuild_vehicle, publish)

    async def committed(signals: list[Signal], events: list[Event], ids: dict[str, int]) -> None:
        batches = batches_of(signals, events, ids)
        await live.on_committed(batches)
        alerts = sorted((event for event in events if event.kind == "alert"), key=lambda event: event.ts)
        for listener in heard:
            try:
                await listener.on_samples(batches, alerts)
            except Exception:
                log.exception("a derivation listener failed on a batch")

    pipeline.on_committed = committed
    return live


def batches_of(signals: list[Signal], events: list[Event], ids: dict[str, int]) -> list[VehicleSamples]:
    """Per vehicle, the samples as the database holds them: one per (time, field), the first stored."""
    by_vin: dict[str, dict[tuple[datetime, str], Sample]] = {}
    for signal in signals:
        value = render(signal.field, signal.num, signal.txt, signal.doc)
        by_vin.setdefault(signal.vin, {}).setdefault(
            (signal.ts, signal.field), Sample(signal.ts, signal.field, value)
        )
    for event in events:
        if event.kind == "connectivity":
            by_vin.setdefault(event.vin, {}).setdefault(
                (event.ts, CONNECTIVITY), Sample(event.ts, CONNECTIVITY, event.name)
            )
    return [
        VehicleSamples(ids[vin], vin, list(samples.values())) for vin, samples in by_vin.items() if vin in ids
    ]
