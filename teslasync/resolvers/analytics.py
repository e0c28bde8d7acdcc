"""Battery health, vampire drain, daily figures and the states timeline of one vehicle, from its derived
records (loaded for all the vehicles of a request at once)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from teslasync.analytics import battery, daily
from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow
from teslasync.db.repositories import derived as derived_repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.db.repositories.derived import Page
from teslasync.errors import TeslaSyncError, require_scope
from teslasync.resolvers.signals import live_vehicle

ALL: tuple[datetime | None, datetime | None] = (None, None)


class BadArgument(TeslaSyncError):
    code = "BAD_ARGUMENT"


def charge_facts(row: ChargingSessionRow) -> battery.ChargeFacts:
    return battery.ChargeFacts(
        row.started_at,
        row.ended_at,
        row.energy_added_kwh,
        row.start_battery_level,
        row.end_battery_level,
        row.start_rated_range_km,
        row.end_rated_range_km,
    )


def drive_facts(row: DriveRow) -> battery.DriveFacts:
    return battery.DriveFacts(
        row.started_at,
        row.ended_at,
        row.start_battery_level,
        row.end_battery_level,
        row.start_rated_range_km,
        row.end_rated_range_km,
    )


async def efficiency(context: Context, vehicle_id: int) -> battery.Efficiency | None:
    """The car's efficiency factor, learned from all its charges."""
    require_scope(context.principal, Scope.READ)
    charges = await context.loaders.charges_in.load((vehicle_id, ALL))
    return battery.efficiency_factor(charge_facts(row) for row in charges)


async def battery_health(
    context: Context,
    vehicle_id: int,
    nominal_capacity_kwh: float | None,
    nominal_range_km: float | None,
) -> tuple[battery.BatteryHealth | None, battery.Efficiency | None]:
    for name, value in (("nominalCapacityKwh", nominal_capacity_kwh), ("nominalRangeKm", nominal_range_km)):
        if value is not None and not value > 0:
            raise BadArgument(f"{name} must be above 0")
    factor = await efficiency(context, vehicle_id)
    if factor is None:
        return None, None
    charges = await context.loaders.charges_in.load((vehicle_id, ALL))
    readings = battery.charge_readings(charge_facts(row) for row in charges)
    points = battery.capacity_estimates(readings, factor.wh_per_km)
    health = battery.battery_health(
        points, nominal_capacity_kwh=nominal_capacity_kwh, nominal_range_km=nominal_range_km
    )
    return health, factor


def _window(since: datetime, until: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    until = until or now
    if until <= since:
        raise BadArgument("until must be after since")
    if until - since > timedelta(days=daily.MAX_DAYS):
        raise BadArgument(f"at most {daily.MAX_DAYS} days at a time")
    return since, until


async def vampire_drain(
    context: Context, vehicle_id: int, since: datetime, until: datetime | None, min_hours: float
) -> tuple[list[battery.ParkedPeriod], battery.DrainSummary | None]:
    if not 0 < min_hours <= 24 * 30:
        raise BadArgument("minHours must be above 0 and at most 720")
    factor = await efficiency(context, vehicle_id)
    window = _window(since, until, context.now)
    drives = await context.loaders.drives_in.load((vehicle_id, window))
    charges = await context.loaders.charges_in.load((vehicle_id, window))
    states = await context.loaders.states_in.load((vehicle_id, window))
    periods = battery.parked_periods(
        [drive_facts(row) for row in drives],
        [charge_facts(row) for row in charges],
        [battery.StateSpan(row.state, row.started_at, row.ended_at) for row in states],
        min_duration=timedelta(hours=min_hours),
        efficiency_wh_per_km=factor.wh_per_km if factor is not None else None,
    )
    return periods, battery.drain_summary(periods)


MAX_ZONE_NAME = 64  # the longest IANA name is 32 characters; anything far longer is no zone


def _zone(name: str) -> ZoneInfo:
    if len(name) > MAX_ZONE_NAME:
        raise BadArgument(f"timezone: not a time zone name (over {MAX_ZONE_NAME} characters)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the file system cannot hold
        raise BadArgument(f"timezone: unknown time zone {name!r}") from None


async def daily_stats(
    context: Context, vehicle_id: int, first: date, last: date, timezone: str
) -> list[daily.DayStats]:
    zone = _zone(timezone)
    if last < first or (last - first).days >= daily.MAX_DAYS:
        raise BadArgument(f"from {first} to {last}: give at most {daily.MAX_DAYS} days, in order")
    factor = await efficiency(context, vehicle_id)
    wh_per_km = factor.wh_per_km if factor is not None else None
    window = (
        datetime.combine(first, time(), zone).astimezone(UTC),
        datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC),
    )
    drives = await context.loaders.drives_in.load((vehicle_id, window))
    charges = await context.loaders.charges_in.load((vehicle_id, window))
    states = await context.loaders.states_in.load((vehicle_id, window))
    return daily.daily_stats(
        [
            daily.DriveDay(
                row.started_at,
                row.distance_km,
                daily.drive_energy(
                    row.energy_used_kwh, row.start_rated_range_km, row.end_rated_range_km, wh_per_km
                ),
            )
            for row in drives
        ],
        [
            daily.ChargeDay(row.started_at, row.energy_added_kwh, row.cost_amount, row.cost_currency)
            for row in charges
        ],
        [daily.SpanDay(row.state, row.started_at, row.ended_at) for row in states],
        first,
        last,
        zone,
        now=context.now,
    )


async def states(context: Context, vehicle_id: int, wanted: Page) -> list[VehicleStateRow]:
    require_scope(context.principal, Scope.READ)
    rows: list[Any] = await context.loaders.state_pages.load((vehicle_id, wanted))
    return rows


async def subscribe_derived(
    context: Context, vin: str, topics: frozenset[str]
) -> AsyncIterator[tuple[str, dict[str, Any], int]]:
    """Live announcements of live derivation for one vehicle: (topic, document, vehicle id). After a
    transport gap the current state is re-read, so a client never keeps a stale state."""
    vin, vehicle_id, fanout = await live_vehicle(context, vin)
    async for delivery in fanout.subscribe(vin, topics):
        if delivery.gap and "$state" in topics:
            async with context.db.transaction() as session:
                current = (await vehicles_repo.by_vins(session, [vin]))[vin]
            since = current.state_since.isoformat() if current.state_since else None
            yield "$state", {"state": current.state, "since": since}, vehicle_id
        for update in delivery.updates:
            if isinstance(update.value, dict):
                yield update.name, update.value, vehicle_id


async def record_started_at(
    context: Context, model: type[DriveRow] | type[ChargingSessionRow], vehicle_id: int, started_at: datetime
) -> DriveRow | ChargingSessionRow | None:
    """A derived record as stored now (read in a short transaction of its own: a subscription has no unit of
    work)."""
    async with context.db.transaction() as session:
        return await derived_repo.record_at(session, model, vehicle_id, started_at)
