"""States timeline, battery health, vampire drain and daily figures. Distances and speeds are in the unit
system the caller asks for (`units`, metric by default); each field's description names both units."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from teslasync.analytics import battery, daily
from teslasync.analytics.units import value_in
from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow
from teslasync.resolvers import analytics as resolvers
from teslasync.resolvers.derived import encode_cursor
from teslasync.schema.context import Info
from teslasync.schema.derived import ChargingSession, Drive, PageInfo, page_info
from teslasync.schema.units import UnitSystem


@strawberry.enum(description="What the car is doing, as TeslaSync last determined it.")
class VehicleState(Enum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    ASLEEP = "asleep"
    OFFLINE = "offline"
    DRIVING = "driving"
    CHARGING = "charging"
    UPDATING = "updating"

    @classmethod
    def of(cls, stored: str) -> VehicleState:
        try:
            return cls(stored)
        except ValueError:
            return cls.UNKNOWN


@strawberry.type(description="A span of the states timeline.")
class StateSpan:
    state: VehicleState = strawberry.field(description="What the car was doing.")
    started_at: datetime = strawberry.field(description="From (UTC).")
    ended_at: datetime | None = strawberry.field(description="Until (UTC); null for the current state.")

    @classmethod
    def from_row(cls, row: VehicleStateRow) -> StateSpan:
        return cls(state=VehicleState.of(row.state), started_at=row.started_at, ended_at=row.ended_at)


@strawberry.type(description="A state span and its cursor.")
class StateSpanEdge:
    cursor: str = strawberry.field(description="Opaque position of this span.")
    node: StateSpan = strawberry.field(description="The span.")


@strawberry.type(description="A page of the states timeline, newest first.")
class StateSpanConnection:
    edges: list[StateSpanEdge] = strawberry.field(description="The spans of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


def state_connection(rows: list[VehicleStateRow], first: int) -> StateSpanConnection:
    edges = [
        StateSpanEdge(cursor=encode_cursor(r.started_at, r.id), node=StateSpan.from_row(r))
        for r in rows[:first]
    ]
    return StateSpanConnection(edges=edges, page_info=page_info(len(rows) > first, edges))


@strawberry.type(description="The car's energy per unit of rated range, learned from its charges.")
class Efficiency:
    wh_per_km: float = strawberry.field(description="Wh per km of rated range.")
    wh_per_unit: float = strawberry.field(description="Wh per km (metric) or per mile (imperial).")
    confirmations: int = strawberry.field(description="How many charges agree on it.")

    @classmethod
    def of(cls, factor: battery.Efficiency, units: UnitSystem) -> Efficiency:
        return cls(
            wh_per_km=factor.wh_per_km,
            wh_per_unit=value_in(factor.wh_per_km, "Wh/km", units) or 0.0,
            confirmations=factor.confirmations,
        )


@strawberry.type(description="Usable capacity and range at 100 % for one month.")
class CapacityTrendPoint:
    month: datetime = strawberry.field(description="The month's first instant (UTC).")
    odometer: float | None = strawberry.field(description="Mean odometer of the month's estimates, km or mi.")
    range_at_100: float = strawberry.field(description="Rated range at 100 %, km or mi.")
    capacity_kwh: float = strawberry.field(description="Usable capacity, kWh.")
    samples: int = strawberry.field(description="Estimates averaged.")


@strawberry.type(description="Battery health: usable capacity new and now, and its trend.")
class BatteryHealth:
    capacity_new_kwh: float = strawberry.field(
        description="Usable capacity when new (largest estimate), kWh."
    )
    capacity_now_kwh: float = strawberry.field(description="Usable capacity now (latest estimates), kWh.")
    degradation_percent: float = strawberry.field(description="100 - now / new * 100.")
    range_at_100_new: float = strawberry.field(description="Rated range at 100 % when new, km or mi.")
    range_at_100_now: float = strawberry.field(description="Rated range at 100 % now, km or mi.")
    efficiency: Efficiency = strawberry.field(description="The efficiency factor the estimates use.")
    trend: list[CapacityTrendPoint] = strawberry.field(description="Monthly averages, oldest first.")

    @classmethod
    def of(
        cls, health: battery.BatteryHealth, factor: battery.Efficiency, units: UnitSystem
    ) -> BatteryHealth:
        def km(value: float | None) -> float | None:
            return value_in(value, "km", units)

        return cls(
            capacity_new_kwh=health.capacity_new_kwh,
            capacity_now_kwh=health.capacity_now_kwh,
            degradation_percent=health.degradation_pct,
            range_at_100_new=km(health.range_at_100_new_km) or 0.0,
            range_at_100_now=km(health.range_at_100_now_km) or 0.0,
            efficiency=Efficiency.of(factor, units),
            trend=[
                CapacityTrendPoint(
                    month=point.month,
                    odometer=km(point.odometer_km),
                    range_at_100=km(point.range_at_100_km) or 0.0,
                    capacity_kwh=point.capacity_kwh,
                    samples=point.samples,
                )
                for point in health.trend
            ],
        )


@strawberry.type(description="A parked period between drives and charges, and what it cost the battery.")
class ParkedPeriod:
    started_at: datetime = strawberry.field(description="When the car was parked (UTC).")
    ended_at: datetime = strawberry.field(description="When it next drove or charged (UTC).")
    hours: float = strawberry.field(description="Length, hours.")
    battery_level_lost: float = strawberry.field(description="Percentage points lost (negative: gained).")
    range_lost: float = strawberry.field(description="Rated range lost, km or mi.")
    battery_level_per_hour: float = strawberry.field(description="Percentage points lost per hour.")
    range_per_hour: float = strawberry.field(description="Rated range lost per hour, km or mi.")
    energy_lost_kwh: float | None = strawberry.field(description="Energy lost, kWh (needs the efficiency).")
    average_power_w: float | None = strawberry.field(description="Average drain, W.")
    asleep_share: float = strawberry.field(description="Share of the period asleep or offline, 0..1.")
    gained: bool = strawberry.field(description="Level or range rose: a charge was missed; not averaged.")

    @classmethod
    def of(cls, period: battery.ParkedPeriod, units: UnitSystem) -> ParkedPeriod:
        return cls(
            started_at=period.started_at,
            ended_at=period.ended_at,
            hours=period.hours,
            battery_level_lost=period.battery_level_lost,
            range_lost=value_in(period.rated_range_km_lost, "km", units) or 0.0,
            battery_level_per_hour=period.battery_level_per_hour,
            range_per_hour=value_in(period.rated_range_km_per_hour, "km", units) or 0.0,
            energy_lost_kwh=period.energy_lost_kwh,
            average_power_w=period.avg_power_w,
            asleep_share=period.asleep_share,
            gained=period.gained,
        )


@strawberry.type(description="Vampire drain over a time range: each parked period and their average.")
class VampireDrain:
    periods: list[ParkedPeriod] = strawberry.field(description="Parked periods, oldest first.")
    hours: float = strawberry.field(description="Hours parked, over the periods counted.")
    battery_level_per_hour: float | None = strawberry.field(description="Average loss, percentage points/h.")
    range_per_hour: float | None = strawberry.field(
        description="Average rated range loss per hour, km or mi."
    )
    average_power_w: float | None = strawberry.field(description="Average drain, W.")
    asleep_share: float | None = strawberry.field(description="Share of the parked time asleep, 0..1.")

    @classmethod
    def of(
        cls, periods: list[battery.ParkedPeriod], summary: battery.DrainSummary | None, units: UnitSystem
    ) -> VampireDrain:
        return cls(
            periods=[ParkedPeriod.of(period, units) for period in periods],
            hours=summary.hours if summary else 0.0,
            battery_level_per_hour=summary.battery_level_per_hour if summary else None,
            range_per_hour=value_in(summary.rated_range_km_per_hour, "km", units) if summary else None,
            average_power_w=summary.avg_power_w if summary else None,
            asleep_share=summary.asleep_share if summary else None,
        )


@strawberry.type(description="A sum of money in one currency.")
class MoneyTotal:
    amount: Decimal = strawberry.field(description="The sum.")
    currency: str = strawberry.field(description="ISO 4217 code.")


@strawberry.type(description="One day of one vehicle, on the local calendar asked for.")
class DayStats:
    day: date = strawberry.field(name="date", description="The local day.")
    distance: float = strawberry.field(
        description="Distance driven (drives that started that day), km or mi."
    )
    energy_used_kwh: float | None = strawberry.field(description="Energy the drives used, kWh.")
    energy_added_kwh: float = strawberry.field(description="Energy charged into the battery, kWh.")
    costs: list[MoneyTotal] = strawberry.field(description="Charging costs, per currency.")
    cost_complete: bool = strawberry.field(description="False when a charge that day has no known cost.")
    drives: int = strawberry.field(description="Drives started that day.")
    charges: int = strawberry.field(description="Charging sessions started that day.")
    driving_seconds: float = strawberry.field(description="Time driving, s.")
    charging_seconds: float = strawberry.field(description="Time charging, s.")
    asleep_seconds: float = strawberry.field(description="Time asleep, s.")
    online_seconds: float = strawberry.field(description="Time awake and parked, s.")
    offline_seconds: float = strawberry.field(description="Time offline, s.")

    @classmethod
    def of(cls, stats: daily.DayStats, units: UnitSystem) -> DayStats:
        seconds = stats.seconds
        return cls(
            day=stats.day,
            distance=value_in(stats.distance_km, "km", units) or 0.0,
            energy_used_kwh=stats.energy_used_kwh,
            energy_added_kwh=stats.energy_added_kwh,
            costs=[
                MoneyTotal(amount=amount, currency=currency)
                for currency, amount in sorted(stats.costs.items())
            ],
            cost_complete=stats.cost_complete,
            drives=stats.drives,
            charges=stats.charges,
            driving_seconds=seconds.get("driving", 0.0),
            charging_seconds=seconds.get("charging", 0.0),
            asleep_seconds=seconds.get("asleep", 0.0),
            online_seconds=seconds.get("online", 0.0) + seconds.get("updating", 0.0),
            offline_seconds=seconds.get("offline", 0.0),
        )


@strawberry.type(description="The car entered a state.")
class StateChange:
    vin: str = strawberry.field(description="The vehicle.")
    state: VehicleState = strawberry.field(description="The state it is in now.")
    since: datetime | None = strawberry.field(description="Since when (UTC).")


@strawberry.enum(description="What kind of record a session event is about.")
class SessionKind(Enum):
    DRIVE = "drive"
    CHARGING = "charging"


@strawberry.enum(description="Where the session stands.")
class SessionPhase(Enum):
    OPENED = "opened"
    OPEN = "open"
    CLOSED = "closed"


@strawberry.type(description="A drive or charging session opened, progressed or closed.")
class SessionEvent:
    vin: str = strawberry.field(description="The vehicle.")
    kind: SessionKind = strawberry.field(description="Drive or charging session.")
    phase: SessionPhase = strawberry.field(
        description="OPENED (a drive began), OPEN (a charge in progress, updated as it goes), CLOSED."
    )
    started_at: datetime = strawberry.field(description="When the session started (UTC).")
    drive: Drive | None = strawberry.field(description="The stored drive, once closed.")
    charging_session: ChargingSession | None = strawberry.field(description="The stored charging session.")


TOPICS = {"$drive": SessionKind.DRIVE, "$charging": SessionKind.CHARGING}


@strawberry.type
class AnalyticsSubscriptions:
    @strawberry.subscription(description="The vehicle's state each time it changes.")
    async def vehicle_state(self, info: Info, vin: str) -> AsyncGenerator[StateChange, None]:
        async for _, doc, _ in resolvers.subscribe_derived(info.context, vin, frozenset({"$state"})):
            since = doc.get("since")
            yield StateChange(
                vin=vin.strip().upper(),
                state=VehicleState.of(str(doc.get("state"))),
                since=datetime.fromisoformat(since) if isinstance(since, str) else None,
            )

    @strawberry.subscription(description="Drives and charging sessions as they open and close.")
    async def sessions(self, info: Info, vin: str) -> AsyncGenerator[SessionEvent, None]:
        async for topic, doc, vehicle_id in resolvers.subscribe_derived(info.context, vin, frozenset(TOPICS)):
            kind, started_at = TOPICS[topic], datetime.fromisoformat(str(doc["startedAt"]))
            phase = SessionPhase(str(doc["phase"]))
            drive = charge = None
            if kind is SessionKind.DRIVE and phase is SessionPhase.CLOSED:
                row = await resolvers.record_started_at(info.context, DriveRow, vehicle_id, started_at)
                drive = Drive.from_row(row) if isinstance(row, DriveRow) else None
            elif kind is SessionKind.CHARGING:
                row = await resolvers.record_started_at(
                    info.context, ChargingSessionRow, vehicle_id, started_at
                )
                charge = ChargingSession.from_row(row) if isinstance(row, ChargingSessionRow) else None
            yield SessionEvent(
                vin=vin.strip().upper(),
                kind=kind,
                phase=phase,
                started_at=started_at,
                drive=drive,
                charging_session=charge,
            )
