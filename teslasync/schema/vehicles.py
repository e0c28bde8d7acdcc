from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from teslasync.db import models
from teslasync.resolvers import analytics
from teslasync.resolvers import derived as derived_resolvers
from teslasync.resolvers import series as series_resolvers
from teslasync.resolvers import signals as signal_resolvers
from teslasync.resolvers import vehicles as resolvers
from teslasync.schema.analytics import (
    BatteryHealth,
    DayStats,
    Efficiency,
    StateSpanConnection,
    VampireDrain,
    VehicleState,
    state_connection,
)
from teslasync.schema.context import Info
from teslasync.schema.costs import _id
from teslasync.schema.derived import (
    DRIVE_POINTS,
    SESSION_POINTS,
    ChargingSession,
    ChargingSessionConnection,
    Drive,
    DriveConnection,
    charging_connection,
    drive_connection,
)
from teslasync.schema.selection import asks_for
from teslasync.schema.series import PositionPoint, Series, series_of
from teslasync.schema.signals import Signal, StreamState
from teslasync.schema.units import UnitSystem


@strawberry.type(description="A car known to TeslaSync.")
class Vehicle:
    vin: str = strawberry.field(description="Vehicle identification number (17 characters).")
    display_name: str | None = strawberry.field(description="The name the owner gave the car, if known.")
    model: str | None = strawberry.field(description="Model line, e.g. 'Model 3', decoded from the VIN.")
    state: VehicleState = strawberry.field(description="Current state (see `states` for the timeline).")
    state_since: datetime | None = strawberry.field(description="Since when it is in that state (UTC).")
    id_: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Vehicle) -> Vehicle:
        return cls(
            vin=row.vin,
            display_name=row.display_name,
            model=row.model,
            state=VehicleState.of(row.state),
            state_since=row.state_since,
            id_=row.id,
        )

    @strawberry.field(
        description="The latest value of each field (or of the fields named), metric unless `units` says imperial."
    )
    async def signals(
        self, info: Info, names: list[str] | None = None, units: UnitSystem = UnitSystem.METRIC
    ) -> list[Signal]:
        rows = await signal_resolvers.latest_signals(info.context, self.id_, names)
        return [Signal.from_row(row, units) for row in rows]

    @strawberry.field(description="Drives, newest first (at most 100 a page).")
    async def drives(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DriveConnection:
        points = asks_for(info, ("edges", "node"), DRIVE_POINTS)
        wanted = derived_resolvers.page(first, after, since, until, points)
        return drive_connection(await derived_resolvers.drives(info.context, self.id_, wanted), first)

    @strawberry.field(description="Charging sessions, newest first (at most 100 a page).")
    async def charging_sessions(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> ChargingSessionConnection:
        points = asks_for(info, ("edges", "node"), SESSION_POINTS)
        wanted = derived_resolvers.page(first, after, since, until, points)
        rows = await derived_resolvers.charging_sessions(info.context, self.id_, wanted)
        return charging_connection(rows, first)

    @strawberry.field(description="The states timeline, newest first (at most 100 a page).")
    async def states(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> StateSpanConnection:
        wanted = derived_resolvers.page(first, after, since, until)
        return state_connection(await analytics.states(info.context, self.id_, wanted), first)

    @strawberry.field(description="The car's efficiency factor, learned from its charges; null until known.")
    async def efficiency(self, info: Info, units: UnitSystem = UnitSystem.METRIC) -> Efficiency | None:
        factor = await analytics.efficiency(info.context, self.id_)
        return Efficiency.of(factor, units) if factor is not None else None

    @strawberry.field(
        description="Battery health from the charges: null until the efficiency factor is known. "
        "`nominalCapacityKwh` / `nominalRangeKm` override the capacity and range when new."
    )
    async def battery_health(
        self,
        info: Info,
        units: UnitSystem = UnitSystem.METRIC,
        nominal_capacity_kwh: float | None = None,
        nominal_range_km: float | None = None,
    ) -> BatteryHealth | None:
        health, factor = await analytics.battery_health(
            info.context, self.id_, nominal_capacity_kwh, nominal_range_km
        )
        return BatteryHealth.of(health, factor, units) if health is not None and factor is not None else None

    @strawberry.field(
        description="Vampire drain: parked periods of at least `minHours` between `since` and `until`."
    )
    async def vampire_drain(
        self,
        info: Info,
        since: datetime,
        until: datetime | None = None,
        min_hours: float = 6.0,
        units: UnitSystem = UnitSystem.METRIC,
    ) -> VampireDrain:
        periods, summary = await analytics.vampire_drain(info.context, self.id_, since, until, min_hours)
        return VampireDrain.of(periods, summary, units)

    @strawberry.field(description="Figures per local day from `from` to `to` (inclusive, at most 366 days).")
    async def daily_stats(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        timezone: str = "UTC",
        units: UnitSystem = UnitSystem.METRIC,
    ) -> list[DayStats]:
        days = await analytics.daily_stats(info.context, self.id_, from_, to, timezone)
        return [DayStats.of(day, units) for day in days]

    @strawberry.field(
        description="History of numeric fields in time buckets (min, max, mean, last), sized so the range "
        "gives at most `maxPoints` buckets; served from hourly rollups when a bucket is an hour or more."
    )
    async def series(
        self,
        info: Info,
        names: list[str],
        since: datetime,
        until: datetime,
        max_points: int = 500,
        units: UnitSystem = UnitSystem.METRIC,
    ) -> list[Series]:
        step, buckets = await series_resolvers.series(info.context, self.id_, names, since, until, max_points)
        return series_of(names, int(step.total_seconds()), buckets, units)

    @strawberry.field(
        description="Positions for a map: the first of each of at most `maxPoints` time buckets."
    )
    async def positions(
        self, info: Info, since: datetime, until: datetime, max_points: int = 2000
    ) -> list[PositionPoint]:
        found = await series_resolvers.positions(info.context, self.id_, since, until, max_points)
        return [PositionPoint.of(position) for position in found]

    @strawberry.field(description="How fresh this vehicle's telemetry stream is.")
    async def stream_state(self, info: Info) -> StreamState:
        return await signal_resolvers.vehicle_stream_state(info.context, self.id_)


@strawberry.type(description="An alert the car raised.")
class VehicleAlert:
    name: str = strawberry.field(description="The alert's name, as the car gives it.")
    started_at: datetime = strawberry.field(description="When it was raised.")
    ended_at: datetime | None = strawberry.field(description="When it cleared; null while active or unknown.")
    audiences: list[str] = strawberry.field(description="Who it is for: Customer, Service, ...")


@strawberry.type
class VehicleQueries:
    @strawberry.field(description="Every vehicle the caller may see.")
    async def vehicles(self, info: Info) -> list[Vehicle]:
        return [Vehicle.from_row(row) for row in await resolvers.list_vehicles(info.context)]

    @strawberry.field(description="One vehicle by VIN, or null when there is none the caller may see.")
    async def vehicle(self, info: Info, vin: str) -> Vehicle | None:
        row = await resolvers.vehicle_by_vin(info.context, vin)
        return Vehicle.from_row(row) if row is not None else None

    @strawberry.field(description="One drive by id, or null when there is none the caller may see.")
    async def drive(self, info: Info, id: strawberry.ID) -> Drive | None:
        drive_id = _id(id)
        row = await derived_resolvers.one_drive(info.context, drive_id) if drive_id is not None else None
        return Drive.from_row(row) if row is not None else None

    @strawberry.field(
        description="One charging session by id, or null when there is none the caller may see."
    )
    async def charging_session(self, info: Info, id: strawberry.ID) -> ChargingSession | None:
        session_id = _id(id)
        row = (
            await derived_resolvers.one_charging_session(info.context, session_id)
            if session_id is not None
            else None
        )
        return ChargingSession.from_row(row) if row is not None else None

    @strawberry.field(
        description="A vehicle's alerts, newest first (at most 200); null when there is no vehicle the caller "
        "may see."
    )
    async def vehicle_alerts(
        self, info: Info, vin: str, since: datetime | None = None, first: int = 20
    ) -> list[VehicleAlert] | None:
        found = await resolvers.alerts(info.context, vin, since, first)
        if found is None:
            return None
        return [
            VehicleAlert(name=a.name, started_at=a.started_at, ended_at=a.ended_at, audiences=a.audiences)
            for a in found
        ]
