"""Live derivation wired to a process's telemetry: committed batches in, derived records and their
announcements (on the fan-out, for the GraphQL subscriptions) out."""

from __future__ import annotations

from datetime import datetime

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


def attach_derivation(runtime: TelemetryRuntime) -> LiveDerivation:
    """Derive live from the runtime's pipeline, flushing on a timer while the runtime runs."""
    live = live_derivation(runtime.pipeline)

    async def derivation() -> None:
        await live.run()

    runtime.companions.append(derivation)
    return live


def live_derivation(pipeline: Pipeline) -> LiveDerivation:
    """Hook live derivation into `pipeline`: it sees every committed batch before it is acknowledged."""
    db, fanout = pipeline.db, pipeline.fanout

    async def publish(vin: str, topic: str, doc: dict[str, object], at: datetime) -> None:
        await fanout.publish(vin, [SignalUpdate(vin, topic, doc, None, at)])

    async def rebuild_vehicle(vehicle_id: int, since: datetime | None) -> VehicleDerivation:
        return await rebuild(db, vehicle_id, since)

    live = LiveDerivation(db, rebuild_vehicle, publish)

    async def committed(signals: list[Signal], events: list[Event], ids: dict[str, int]) -> None:
        await live.on_committed(batches_of(signals, events, ids))

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
