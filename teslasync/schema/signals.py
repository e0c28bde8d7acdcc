from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from teslasync.analytics.units import convert
from teslasync.db.repositories.signals import LatestRow
from teslasync.resolvers import signals as resolvers
from teslasync.schema.context import Info
from teslasync.schema.units import UnitSystem
from teslasync.telemetry import streams
from teslasync.telemetry.catalogue import spec
from teslasync.telemetry.normalise import render

# the telemetry package's own enum, registered with the schema (one definition of the states)
StreamState = streams.StreamState
strawberry.enum(StreamState, name="StreamState", description="How fresh a vehicle's telemetry is.")


@strawberry.type(description="The latest value of one Fleet Telemetry field, in the unit system asked for.")
class Signal:
    name: str = strawberry.field(
        description="Fleet Telemetry field name, e.g. BatteryLevel, Odometer, Location."
    )
    value: JSON | None = strawberry.field(
        description="The value: a number, boolean, string (enum values without prefix, e.g. 'D') or object "
        "(Location, DoorState); null when the car reported no valid value."
    )
    unit: str | None = strawberry.field(description="Unit of `value` (km, km/h, °C, bar, kWh, kW, %...).")
    at: datetime = strawberry.field(description="When the car measured it (UTC).")
    approximate: bool = strawberry.field(
        description="True when `at` is the time TeslaSync received it after a reconnect burst, not exact."
    )

    @classmethod
    def from_row(cls, row: LatestRow, units: UnitSystem = UnitSystem.METRIC) -> Signal:
        field = spec(row.field)
        value, unit = in_units(
            render(row.field, row.num, row.txt, row.doc), field.unit if field is not None else None, units
        )
        return cls(name=row.field, value=value, unit=unit, at=row.ts, approximate=row.approx)


def in_units(value: JSON | None, unit: str | None, units: UnitSystem) -> tuple[JSON | None, str | None]:
    """A numeric value and its unit in the unit system asked for; other values as they are."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value, unit if units is UnitSystem.METRIC else convert(None, unit, units)[1]
    return convert(float(value), unit, units)


@strawberry.type(description="A live telemetry value.")
class SignalUpdate:
    vin: str = strawberry.field(description="The vehicle.")
    name: str = strawberry.field(description="Fleet Telemetry field name.")
    value: JSON | None = strawberry.field(description="The value, as in Signal.value.")
    unit: str | None = strawberry.field(description="Unit of `value`.")
    at: datetime = strawberry.field(description="When the car measured it (UTC).")
    approximate: bool = strawberry.field(description="True when `at` is a receipt time, not exact.")
    after_gap: bool = strawberry.field(
        description="True when updates may have been missed (the live transport reconnected) and this value "
        "was re-read from storage."
    )


@strawberry.type
class SignalSubscriptions:
    @strawberry.subscription(description="Live values of one vehicle's fields as they are stored.")
    async def signals(
        self, info: Info, vin: str, names: list[str] | None = None, units: UnitSystem = UnitSystem.METRIC
    ) -> AsyncGenerator[SignalUpdate, None]:
        async for update, gap in resolvers.subscribe_signals(info.context, vin, names):
            value, unit = in_units(update.value, update.unit, units)
            yield SignalUpdate(
                vin=update.vin,
                name=update.name,
                value=value,
                unit=unit,
                at=update.at,
                approximate=update.approx,
                after_gap=gap,
            )
