"""`teslasync recompute`: rebuild a vehicle's derived records (drives, charging sessions, states) from its
stored signals. Running it twice gives the same rows; live derivation runs the same code on the same
samples, and rebuilds through here when late data arrives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.analytics.derivation import Derived, VehicleDerivation
from teslasync.analytics.pricing import price_rows
from teslasync.analytics.rows import drive_row, session_row, state_row
from teslasync.analytics.samples import Sample
from teslasync.db.engine import Database
from teslasync.db.repositories import derived as repo
from teslasync.db.repositories.vehicles import by_vins
from teslasync.errors import NotFound
from teslasync.telemetry.normalise import render


@dataclass(frozen=True)
class RecomputeResult:
    drives: int
    charging_sessions: int
    states: int
    derivation: VehicleDerivation  # where the data ends: live derivation carries on from here


def sample_of(ts: datetime, field: str, num: float | None, txt: str | None, doc: object) -> Sample:
    return Sample(ts, field, txt if field.startswith(":") else render(field, num, txt, doc))


async def recompute(db: Database, vin: str, since: datetime | None = None) -> RecomputeResult:
    async with db.transaction() as session:
        vehicle = (await by_vins(session, [vin])).get(vin)
    if vehicle is None:
        raise NotFound(f"no vehicle {vin}")
    return await recompute_vehicle(db, vehicle.id, since)


WRITE_BATCH = 200  # closed records written at a time: memory stays flat however long the history


async def recompute_vehicle(
    db: Database, vehicle_id: int, since: datetime | None, *, flush: bool = True
) -> RecomputeResult:
    """`flush`: close what the clock says is over (a drive whose car went silent); live derivation leaves
    that to its own timer, which allows for samples a little late.

    The replacement is one transaction (readers see the old records until it commits), written in batches
    as records close while the samples stream in on a second connection."""
    derivation = VehicleDerivation()
    written = Counts()
    async with db.transaction() as writer:
        if since is not None:
            since = await repo.rewind(writer, vehicle_id, since)  # a record across `since` is rebuilt whole
        await repo.delete_since(writer, vehicle_id, since)
        pending = Derived()
        async with db.transaction() as reader:
            if since is not None:
                for row in await repo.latest_before(reader, vehicle_id, since):
                    derivation.prime(sample_of(*row))
            async for row in repo.samples_since(reader, vehicle_id, since):
                pending.add(derivation.feed(sample_of(*row)))
                if len(pending.drives) + len(pending.sessions) + len(pending.spans) >= WRITE_BATCH:
                    await _write(writer, vehicle_id, pending, written)
                    pending = Derived()
        if flush:
            pending.add(derivation.flush(datetime.now(UTC)))  # a drive still open is left to live derivation
        if (ongoing := derivation.ongoing_session()) is not None:
            pending.sessions.append(ongoing)
        if (current := derivation.current_state()) is not None:
            pending.spans.append(current)
        await _write(writer, vehicle_id, pending, written)
        if current is not None:
            await repo.set_vehicle_state(writer, vehicle_id, current.state.value, current.started_at)
    return RecomputeResult(written.drives, written.sessions, written.spans, derivation)


@dataclass
class Counts:
    drives: int = 0
    sessions: int = 0
    spans: int = 0


async def _write(session: AsyncSession, vehicle_id: int, derived: Derived, written: Counts) -> None:
    session_rows = [session_row(vehicle_id, charge) for charge in derived.sessions]
    await price_rows(session, session_rows)
    await repo.insert(
        session,
        [
            *(drive_row(vehicle_id, drive) for drive in derived.drives),
            *session_rows,
            *(state_row(vehicle_id, span) for span in derived.spans),
        ],
    )
    written.drives += len(derived.drives)
    written.sessions += len(derived.sessions)
    written.spans += len(derived.spans)


async def rebuild(db: Database, vehicle_id: int, since: datetime | None) -> VehicleDerivation:
    """Live derivation's rebuild (see analytics/live.py)."""
    return (await recompute_vehicle(db, vehicle_id, since, flush=False)).derivation
