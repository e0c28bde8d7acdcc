"""Derived results as database rows: the one conversion live derivation and recompute share."""

from __future__ import annotations

from datetime import UTC, datetime

from teslasync.analytics.charging import ChargingSession
from teslasync.analytics.drives import Drive
from teslasync.analytics.states import StateSpan
from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow


def drive_row(vehicle_id: int, drive: Drive) -> DriveRow:
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
        track=[[_utc(point.ts), point.latitude, point.longitude] for point in drive.track],
    )


def session_row(vehicle_id: int, charge: ChargingSession) -> ChargingSessionRow:
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
        curve=[[_utc(point.ts), point.battery_level, point.power_kw] for point in charge.curve],
    )


def state_row(vehicle_id: int, span: StateSpan) -> VehicleStateRow:
    return VehicleStateRow(
        vehicle_id=vehicle_id, started_at=span.started_at, ended_at=span.ended_at, state=span.state.value
    )


def _utc(ts: datetime) -> str:
    """Times inside JSON in UTC, as the database gives them back (a source may stamp another offset)."""
    return ts.astimezone(UTC).isoformat()
