from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.repositories import signals as repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.db.repositories.signals import LatestRow
from teslasync.errors import NotFound, TeslaSyncError, require_scope
from teslasync.telemetry.catalogue import spec
from teslasync.telemetry.fanout import Delivery, Fanout, SignalUpdate
from teslasync.telemetry.normalise import render
from teslasync.telemetry.streams import StreamFacts, StreamState, stream_state

DEFAULT_STALE_AFTER = timedelta(minutes=5)


class TelemetryUnavailable(TeslaSyncError):
    code = "TELEMETRY_UNAVAILABLE"


async def latest_signals(context: Context, vehicle_id: int, names: Sequence[str] | None) -> list[LatestRow]:
    require_scope(context.principal, Scope.READ)
    rows = await context.loaders.latest_signals.load(vehicle_id)
    if names is None:
        return rows
    wanted = set(names)
    return [row for row in rows if row.field in wanted]


async def vehicle_stream_state(context: Context, vehicle_id: int) -> StreamState:
    require_scope(context.principal, Scope.READ)
    rows = await context.loaders.streams.load(vehicle_id)
    facts = [StreamFacts(r.source, r.last_data_at, r.connectivity, r.connectivity_at) for r in rows]
    stale_after = context.telemetry.stale_after if context.telemetry is not None else DEFAULT_STALE_AFTER
    return stream_state(facts, datetime.now(UTC), stale_after)


async def live_vehicle(context: Context, vin: str) -> tuple[str, int, Fanout]:
    """What a subscription to one vehicle starts from: its VIN as stored, its id, the live fan-out. A
    subscription has no unit of work: the lookup runs in a short transaction of its own."""
    require_scope(context.principal, Scope.READ)
    vin = vin.strip().upper()
    async with context.db.transaction() as session:
        vehicle = (await vehicles_repo.by_vins(session, [vin])).get(vin)
    if vehicle is None or context.principal.role_for(vehicle.id) is None:
        raise NotFound(f"no vehicle {vin}")
    if context.telemetry is None:
        raise TelemetryUnavailable("live telemetry is not running in this process")
    return vin, vehicle.id, context.telemetry.fanout


async def subscribe_signals(
    context: Context, vin: str, names: Sequence[str] | None
) -> AsyncIterator[tuple[SignalUpdate, bool]]:
    """Live updates for one vehicle: (update, gap) where `gap` marks values re-read after a transport gap."""
    vin, vehicle_id, fanout = await live_vehicle(context, vin)
    delivery: Delivery
    async for delivery in fanout.subscribe(vin, names):
        if delivery.gap:
            async with context.db.transaction() as session:
                rows = await repo.latest_for(session, [vehicle_id], names)
            for row in rows:
                yield _from_row(vin, row), True
        for update in delivery.updates:
            if not update.name.startswith("$"):  # derived announcements ride the same channel
                yield update, False


def _from_row(vin: str, row: LatestRow) -> SignalUpdate:
    field = spec(row.field)
    return SignalUpdate(
        vin=vin,
        name=row.field,
        value=render(row.field, row.num, row.txt, row.doc),
        unit=field.unit if field is not None else None,
        at=row.ts,
        approx=row.approx,
    )
