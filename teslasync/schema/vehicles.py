from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from teslasync.db import models
from teslasync.resolvers import derived as derived_resolvers
from teslasync.resolvers import signals as signal_resolvers
from teslasync.resolvers import vehicles as resolvers
from teslasync.schema.context import Info
from teslasync.schema.derived import (
    ChargingSessionConnection,
    DriveConnection,
    charging_connection,
    drive_connection,
)
from teslasync.schema.signals import Signal, StreamState


@strawberry.enum(description="What the car is doing, as TeslaSync last determined it.")
class VehicleState(Enum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    ASLEEP = "asleep"
    OFFLINE = "offline"
    DRIVING = "driving"
    CHARGING = "charging"
    UPDATING = "updating"


@strawberry.type(description="A car known to TeslaSync.")
class Vehicle:
    vin: str = strawberry.field(description="Vehicle identification number (17 characters).")
    display_name: str | None = strawberry.field(description="The name the owner gave the car, if known.")
    model: str | None = strawberry.field(description="Model line, e.g. 'Model 3', decoded from the VIN.")
    state: VehicleState = strawberry.field(description="Current state.")
    id_: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Vehicle) -> Vehicle:
        try:
            state = VehicleState(row.state)
        except ValueError:
            state = VehicleState.UNKNOWN
        return cls(vin=row.vin, display_name=row.display_name, model=row.model, state=state, id_=row.id)

    @strawberry.field(description="The latest value of each field (or of the fields named), in metric units.")
    async def signals(self, info: Info, names: list[str] | None = None) -> list[Signal]:
        rows = await signal_resolvers.latest_signals(info.context, self.id_, names)
        return [Signal.from_row(row) for row in rows]

    @strawberry.field(description="Drives, newest first (at most 100 a page).")
    async def drives(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DriveConnection:
        wanted = derived_resolvers.page(first, after, since, until)
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
        wanted = derived_resolvers.page(first, after, since, until)
        rows = await derived_resolvers.charging_sessions(info.context, self.id_, wanted)
        return charging_connection(rows, first)

    @strawberry.field(description="How fresh this vehicle's telemetry stream is.")
    async def stream_state(self, info: Info) -> StreamState:
        return await signal_resolvers.vehicle_stream_state(info.context, self.id_)


@strawberry.type
class VehicleQueries:
    @strawberry.field(description="Every vehicle the caller may see.")
    async def vehicles(self, info: Info) -> list[Vehicle]:
        return [Vehicle.from_row(row) for row in await resolvers.list_vehicles(info.context)]

    @strawberry.field(description="One vehicle by VIN, or null when there is none the caller may see.")
    async def vehicle(self, info: Info, vin: str) -> Vehicle | None:
        row = await resolvers.vehicle_by_vin(info.context, vin)
        return Vehicle.from_row(row) if row is not None else None
