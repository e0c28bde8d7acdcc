from __future__ import annotations

import inspect
from collections.abc import Awaitable, Sequence
from datetime import datetime
from enum import Enum
from operator import itemgetter
from typing import Any, Protocol

import strawberry

from teslasync.analytics import polyline
from teslasync.analytics.daily import drive_energy
from teslasync.analytics.units import value_in
from teslasync.db.models import ChargingSessionRow, DriveRow
from teslasync.db.stored_json import parsed
from teslasync.resolvers import analytics as analytics_resolvers
from teslasync.resolvers import costs as cost_resolvers
from teslasync.resolvers.derived import encode_cursor
from teslasync.schema.context import Info
from teslasync.schema.costs import GeofenceType, Money
from teslasync.schema.units import UnitSystem


@strawberry.type(description="A point of a drive's GPS track.")
class TrackPoint:
    at: datetime = strawberry.field(description="When (UTC).")
    latitude: float = strawberry.field(description="Degrees north.")
    longitude: float = strawberry.field(description="Degrees east.")


class StoredPoint(tuple[str, float, float]):
    """A track point as `drives.track` keeps it, [ISO time, latitude, longitude], served as a `TrackPoint`
    (GraphQL reads the attributes): a tenth of the cost of building the type for each of a page's thousands
    of points, and the time is parsed only when a query asks for it."""

    __slots__ = ()

    latitude = property(itemgetter(1))
    longitude = property(itemgetter(2))

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self[0])


class StoredCurvePoint(tuple[str, float | None, float]):
    """A curve point as `charging_sessions.curve` keeps it, [ISO time, battery level, kW], served as a
    `CurvePoint` (as `StoredPoint` is served as a `TrackPoint`)."""

    __slots__ = ()

    battery_level = property(itemgetter(1))
    power_kw = property(itemgetter(2))

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self[0])


def stored_points(stored: object) -> list[Any]:
    """The points of a stored track or curve (a list of [ISO time, value, value]); none when it holds none."""
    points = parsed(stored)
    return points if isinstance(points, list) else []


# The fields that read a drive's stored track, and a session's stored curve: a page whose query asks for none
# of them does not read the column (tests/schema/test_page_points.py asks every other field of such a page).
DRIVE_POINTS = frozenset({"track", "trackPolyline"})
SESSION_POINTS = frozenset({"curve"})


@strawberry.type(description="A drive, from the gear leaving P to P (see docs/analytics.md).")
class Drive:
    id: strawberry.ID = strawberry.field(description="Stable while the drive is not recomputed.")
    started_at: datetime = strawberry.field(description="When the gear left P (UTC).")
    ended_at: datetime | None = strawberry.field(description="When the car was put in P (UTC).")
    distance_km: float = strawberry.field(description="Odometer distance, km.")
    duration_seconds: float | None = strawberry.field(description="Duration, s.")
    start_battery_level: float | None = strawberry.field(description="Battery level at the start, %.")
    end_battery_level: float | None = strawberry.field(description="Battery level at the end, %.")
    max_speed_kmh: float | None = strawberry.field(description="Highest speed, km/h.")
    outside_temp_avg_c: float | None = strawberry.field(description="Average outside temperature, °C.")
    row: strawberry.Private[DriveRow]

    @classmethod
    def from_row(cls, row: DriveRow) -> Drive:
        return cls(
            id=strawberry.ID(str(row.id)),
            started_at=row.started_at,
            ended_at=row.ended_at,
            distance_km=row.distance_km,
            duration_seconds=(row.ended_at - row.started_at).total_seconds() if row.ended_at else None,
            start_battery_level=row.start_battery_level,
            end_battery_level=row.end_battery_level,
            max_speed_kmh=row.max_speed_kmh,
            outside_temp_avg_c=row.outside_temp_avg_c,
            row=row,
        )

    @strawberry.field(
        description="The GPS track as an encoded polyline (Google's algorithm, 5 decimals), which map "
        "libraries decode: a fraction of the size and time of `track`, for lists and maps."
    )
    def track_polyline(self) -> str:
        return polyline.encode((p[1], p[2]) for p in stored_points(self.row.track))

    @strawberry.field(description="The GPS track.", graphql_type=list[TrackPoint])
    def track(self) -> list[StoredPoint]:
        # parsed and built only when asked for: a list page without tracks does not pay for their points
        return [StoredPoint(p) for p in stored_points(self.row.track)]

    @strawberry.field(
        description="Energy used, kWh: from the car's energy counter, else rated range lost times the car's "
        "efficiency factor; null when neither is known.",
        graphql_type=float | None,
    )
    def energy_used_kwh(self, info: Info) -> float | Awaitable[float | None]:
        # a plain value when the car counted it: a page of drives then awaits nothing per drive
        if self.row.energy_used_kwh is not None:
            return self.row.energy_used_kwh
        return self._estimated_energy(info)

    async def _estimated_energy(self, info: Info) -> float | None:
        factor = await analytics_resolvers.efficiency(info.context, self.row.vehicle_id)
        return drive_energy(
            None,
            self.row.start_rated_range_km,
            self.row.end_rated_range_km,
            factor.wh_per_km if factor is not None else None,
        )

    @strawberry.field(
        description="Consumption, Wh/km (metric) or Wh/mi (imperial); null when energy is unknown."
    )
    async def consumption(self, info: Info, units: UnitSystem = UnitSystem.METRIC) -> float | None:
        counted = self.energy_used_kwh(info)
        energy = await counted if inspect.isawaitable(counted) else counted
        if energy is None or self.distance_km <= 0:
            return None
        return value_in(energy * 1000 / self.distance_km, "Wh/km", units)

    @strawberry.field(description="Distance, km or mi.")
    def distance(self, units: UnitSystem = UnitSystem.METRIC) -> float:
        return value_in(self.distance_km, "km", units) or 0.0

    @strawberry.field(description="Highest speed, km/h or mph.")
    def max_speed(self, units: UnitSystem = UnitSystem.METRIC) -> float | None:
        return value_in(self.max_speed_kmh, "km/h", units)

    @strawberry.field(description="Average speed (distance over duration), km/h or mph.")
    def average_speed(self, units: UnitSystem = UnitSystem.METRIC) -> float | None:
        if not self.duration_seconds:
            return None
        return value_in(self.distance_km / (self.duration_seconds / 3600), "km/h", units)

    @strawberry.field(description="Rated range at the start, km or mi.")
    def start_range(self, units: UnitSystem = UnitSystem.METRIC) -> float | None:
        return value_in(self.row.start_rated_range_km, "km", units)

    @strawberry.field(description="Rated range at the end, km or mi.")
    def end_range(self, units: UnitSystem = UnitSystem.METRIC) -> float | None:
        return value_in(self.row.end_rated_range_km, "km", units)


@strawberry.enum(description="AC (on-board charger) or DC (fast charger).")
class ChargerType(Enum):
    AC = "AC"
    DC = "DC"


@strawberry.type(description="A point of a charging curve.")
class CurvePoint:
    at: datetime = strawberry.field(description="When (UTC).")
    battery_level: float | None = strawberry.field(description="Battery level, %.")
    power_kw: float = strawberry.field(description="Charging power, kW.")


@strawberry.type(description="A charging session (see docs/analytics.md).")
class ChargingSession:
    id: strawberry.ID = strawberry.field(description="Stable while the session is not recomputed.")
    started_at: datetime = strawberry.field(description="When charging started (UTC).")
    ended_at: datetime | None = strawberry.field(description="When it ended; null while still charging.")
    energy_added_kwh: float | None = strawberry.field(description="Energy into the battery, kWh.")
    energy_from_wall_kwh: float | None = strawberry.field(description="Energy drawn by the AC charger, kWh.")
    charger_type: ChargerType = strawberry.field(description="AC or DC.")
    max_power_kw: float | None = strawberry.field(description="Highest charging power, kW.")
    start_battery_level: float | None = strawberry.field(description="Battery level at the start, %.")
    end_battery_level: float | None = strawberry.field(description="Battery level at the end, %.")
    latitude: float | None = strawberry.field(description="Where the car charged, degrees north.")
    longitude: float | None = strawberry.field(description="Where the car charged, degrees east.")
    cost: Money | None = strawberry.field(
        description="What it cost, from the tariff of the geofence it was in; null when no tariff applies."
    )
    geofence_id: strawberry.Private[int | None]

    @strawberry.field(description="The geofence the car charged in, if any.")
    async def geofence(self, info: Info) -> GeofenceType | None:
        if self.geofence_id is None:
            return None
        row = await cost_resolvers.geofence(info.context, self.geofence_id)
        return GeofenceType.from_row(row) if row is not None else None

    stored_curve: strawberry.Private[object]

    @strawberry.field(description="Power over battery level.", graphql_type=list[CurvePoint])
    def curve(self) -> list[StoredCurvePoint]:
        return [StoredCurvePoint(p) for p in stored_points(self.stored_curve)]

    @classmethod
    def from_row(cls, row: ChargingSessionRow) -> ChargingSession:
        cost = None
        if row.cost_currency is not None:
            cost = Money.from_stored(row.cost_amount, row.cost_currency, row.cost_breakdown)
        return cls(
            cost=cost,
            geofence_id=row.geofence_id,
            latitude=row.latitude,
            longitude=row.longitude,
            id=strawberry.ID(str(row.id)),
            started_at=row.started_at,
            ended_at=row.ended_at,
            energy_added_kwh=row.energy_added_kwh,
            energy_from_wall_kwh=row.energy_from_wall_kwh,
            charger_type=ChargerType(row.charger_type),
            max_power_kw=row.max_power_kw,
            start_battery_level=row.start_battery_level,
            end_battery_level=row.end_battery_level,
            stored_curve=row.curve,
        )


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether `after: endCursor` gives more.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="A drive and its cursor.")
class DriveEdge:
    cursor: str = strawberry.field(description="Opaque position of this drive.")
    node: Drive = strawberry.field(description="The drive.")


@strawberry.type(description="A page of drives, newest first.")
class DriveConnection:
    edges: list[DriveEdge] = strawberry.field(description="The drives of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


@strawberry.type(description="A charging session and its cursor.")
class ChargingSessionEdge:
    cursor: str = strawberry.field(description="Opaque position of this session.")
    node: ChargingSession = strawberry.field(description="The session.")


@strawberry.type(description="A page of charging sessions, newest first.")
class ChargingSessionConnection:
    edges: list[ChargingSessionEdge] = strawberry.field(description="The sessions of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


class HasCursor(Protocol):
    @property
    def cursor(self) -> str: ...


def page_info(more: bool, edges: Sequence[HasCursor]) -> PageInfo:
    """Rows were fetched one beyond the page, so `more` says whether a next page exists."""
    return PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None)


def drive_connection(rows: list[DriveRow], first: int) -> DriveConnection:
    edges = [
        DriveEdge(cursor=encode_cursor(r.started_at, r.id), node=Drive.from_row(r)) for r in rows[:first]
    ]
    return DriveConnection(edges=edges, page_info=page_info(len(rows) > first, edges))


def charging_connection(rows: list[ChargingSessionRow], first: int) -> ChargingSessionConnection:
    edges = [
        ChargingSessionEdge(cursor=encode_cursor(r.started_at, r.id), node=ChargingSession.from_row(r))
        for r in rows[:first]
    ]
    return ChargingSessionConnection(edges=edges, page_info=page_info(len(rows) > first, edges))
