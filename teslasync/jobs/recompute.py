"""`teslasync recompute`: rebuild a vehicle's derived records (drives, charging sessions) from its stored
signals. Running it twice gives the same rows; it is also what live derivation must agree with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from teslasync.analytics.charging import ChargingDetector, ChargingSession
from teslasync.analytics.drives import Drive, DriveDetector
from teslasync.analytics.samples import Sample
from teslasync.db.engine import Database
from teslasync.db.models import ChargingSessionRow, DriveRow
from teslasync.db.repositories import derived as repo
from teslasync.db.repositories.vehicles import by_vins
from teslasync.errors import NotFound
from teslasync.telemetry.normalise import render

STATE_FIELDS = frozenset(
    {"Gear", "VehicleSpeed", "DetailedChargeState", "ChargeState", "FastChargerPresent", "PackCurrent"}
)


@dataclass(frozen=True)
class RecomputeResult:
    drives: int
    charging_sessions: int


async def _rewind(db: Database, vehicle_id: int, since: datetime | None) -> datetime | None:
    """A record that spans `since` is rebuilt whole: start from the earliest such record's start."""
    if since is None:
        return None
    async with db.transaction() as session:
        starts = []
        for model in (DriveRow, ChargingSessionRow):
            starts.append(
                await session.scalar(
                    select(func.min(model.started_at)).where(
                        model.vehicle_id == vehicle_id,
                        model.started_at < since,
                        (model.ended_at.is_(None)) | (model.ended_at >= since),
                    )
                )
            )
    return min([since, *[start for start in starts if start is not None]])


async def recompute(db: Database, vin: str, since: datetime | None = None) -> RecomputeResult:
    async with db.transaction() as session:
        vehicle = (await by_vins(session, [vin])).get(vin)
    if vehicle is None:
        raise NotFound(f"no vehicle {vin}")
    since = await _rewind(db, vehicle.id, since)
    drive_detector, charging_detector = DriveDetector(), ChargingDetector()
    drives: list[Drive] = []
    sessions: list[ChargingSession] = []
    async with db.transaction() as session:
        if since is not None:
            # what was known before `since`, less the fields that open a drive or a session by themselves
            for ts, field, num, txt, doc in await repo.latest_before(session, vehicle.id, since):
                if field not in STATE_FIELDS:
                    sample = Sample(ts, field, render(field, num, txt, doc))
                    drive_detector.feed(sample)
                    charging_detector.feed(sample)
        async for ts, field, num, txt, doc in repo.signals_since(session, vehicle.id, since):
            sample = Sample(ts, field, render(field, num, txt, doc))
            drives += drive_detector.feed(sample)
            sessions += charging_detector.feed(sample)
    now = datetime.now(UTC)
    drives += drive_detector.flush(now)  # a drive still open is left to live derivation
    sessions += charging_detector.flush(now)
    if (ongoing := charging_detector.ongoing()) is not None:
        sessions.append(ongoing)
    async with db.transaction() as session:
        await repo.replace_since(
            session,
            vehicle.id,
            since,
            [_drive_row(vehicle.id, drive) for drive in drives],
            [_session_row(vehicle.id, charge) for charge in sessions],
        )
    return RecomputeResult(len(drives), len(sessions))


def _drive_row(vehicle_id: int, drive: Drive) -> DriveRow:
    start, end = drive.start_position or (None, None), drive.end_position or (None, None)
    return DriveRow(
        vehicle_id=vehicle_id,
        started_at=drive.started_at,
        ended_at=drive.ended_at,
        closed_by=drive.closed_by,
        latitude=start[0],
        longitude=start[1],
        end_latitude=end[0],
        end_longitude=end[1],
        start_odometer_km=drive.start_odometer_km,
        end_odometer_km=drive.end_odometer_km,
        distance_km=drive.distance_km,
        max_speed_kmh=drive.max_speed_kmh,
        start_battery_level=drive.start_battery_level,
        end_battery_level=drive.end_battery_level,
        start_rated_range_km=drive.start_rated_range_km,
        end_rated_range_km=drive.end_rated_range_km,
        energy_used_kwh=drive.energy_used_kwh,
        outside_temp_avg_c=drive.outside_temp_avg_c,
        track=[[point.ts.isoformat(), point.latitude, point.longitude] for point in drive.track],
    )


def _session_row(vehicle_id: int, charge: ChargingSession) -> ChargingSessionRow:
    where = charge.position or (None, None)
    return ChargingSessionRow(
        vehicle_id=vehicle_id,
        started_at=charge.started_at,
        ended_at=charge.ended_at,
        charger_type=charge.charger_type,
        fast_charger_type=charge.fast_charger_type,
        energy_added_kwh=charge.energy_added_kwh,
        energy_from_wall_kwh=charge.energy_from_wall_kwh,
        max_power_kw=charge.max_power_kw,
        start_battery_level=charge.start_battery_level,
        end_battery_level=charge.end_battery_level,
        start_rated_range_km=charge.start_rated_range_km,
        end_rated_range_km=charge.end_rated_range_km,
        latitude=where[0],
        longitude=where[1],
        curve=[[point.ts.isoformat(), point.battery_level, point.power_kw] for point in charge.curve],
    )
