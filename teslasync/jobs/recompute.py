"""`teslasync recompute`: rebuild a vehicle's derived records (drives, charging sessions, states) from its
stored signals. Running it twice gives the same rows; live derivation runs the same code on the same
samples, and rebuilds through here when late data arrives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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


async def recompute_vehicle(
    db: Database, vehicle_id: int, since: datetime | None, *, flush: bool = True
) -> RecomputeResult:
    """`flush`: close what the clock says is over (a drive whose car went silent); live derivation leaves
    that to its own timer, which allows for samples a little late."""
    derivation = VehicleDerivation()
    derived = Derived()
    async with db.transaction() as session:
        if since is not None:
            since = await repo.rewind(session, vehicle_id, since)  # a record across `since` is rebuilt whole
            for row in await repo.latest_before(session, vehicle_id, since):
                derivation.prime(sample_of(*row))
        async for row in repo.samples_since(session, vehicle_id, since):
            derived.add(derivation.feed(sample_of(*row)))
    if flush:
        derived.add(derivation.flush(datetime.now(UTC)))  # a drive still open is left to live derivation
    sessions = derived.sessions
    if (ongoing := derivation.ongoing_session()) is not None:
        sessions = [*sessions, ongoing]
    spans = derived.spans
    if (current := derivation.current_state()) is not None:
        spans = [*spans, current]
    async with db.transaction() as session:
        session_rows = [session_row(vehicle_id, charge) for charge in sessions]
        await price_rows(session, session_rows)
        await repo.replace_since(
            session,
            vehicle_id,
            since,
            [drive_row(vehicle_id, drive) for drive in derived.drives],
            session_rows,
            [state_row(vehicle_id, span) for span in spans],
        )
        if current is not None:
            await repo.set_vehicle_state(session, vehicle_id, current.state.value, current.started_at)
    return RecomputeResult(len(derived.drives), len(sessions), len(spans), derivation)


async def rebuild(db: Database, vehicle_id: int, since: datetime | None) -> VehicleDerivation:
    """Live derivation's rebuild (see analytics/live.py)."""
    return (await recompute_vehicle(db, vehicle_id, since, flush=False)).derivation
