"""The tools a model may call. Each is a GraphQL document of the public schema, run as the user who asked,
in an operation of its own: the same resolvers, visibility and permissions as any client, so a question can
never reach a vehicle the user does not see (`vehicle(vin)` is null for it). The schema layer runs them
(helix sits below it): `ToolRunner` is what it hands to a feature run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from teslasync.helix.providers.base import Tool

ToolRunner = Callable[[str, Mapping[str, Any]], Awaitable[Any]]

_VIN = {"type": "string", "description": "The vehicle's VIN (17 characters)."}
_SINCE = {"type": "string", "description": "Start, ISO 8601 with a time zone, e.g. 2026-11-01T00:00:00Z."}
_UNTIL = {"type": "string", "description": "End (exclusive), ISO 8601 with a time zone."}
_FIRST = {"type": "integer", "minimum": 1, "maximum": 50, "description": "How many, newest first."}

DRIVE_FIELDS = (
    "id startedAt endedAt distanceKm durationSeconds startBatteryLevel endBatteryLevel maxSpeedKmh "
    "outsideTempAvgC energyUsedKwh"
)
CHARGE_FIELDS = (
    "id startedAt endedAt energyAddedKwh energyFromWallKwh chargerType maxPowerKw startBatteryLevel "
    "endBatteryLevel cost { amount currency }"
)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: Mapping[str, Any]
    document: str  # a GraphQL query; the tool's arguments are its variables

    def as_tool(self) -> Tool:
        return Tool(self.name, self.description, self.parameters)


def _object(required: list[str], **properties: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "list_vehicles",
            "The vehicles the user sees: VIN, name, model, state.",
            _object([]),
            "query { vehicles { vin displayName model state stateSince } }",
        ),
        ToolSpec(
            "drives",
            "Drives of a vehicle, newest first (distance km, energy kWh, battery %, speeds, temperature).",
            _object(["vin"], vin=_VIN, since=_SINCE, until=_UNTIL, first=_FIRST),
            "query($vin: String!, $since: DateTime, $until: DateTime, $first: Int! = 10) { vehicle(vin: $vin) "
            "{ drives(first: $first, since: $since, until: $until) { edges { node { "
            + DRIVE_FIELDS
            + " } } } } }",
        ),
        ToolSpec(
            "charging_sessions",
            "Charging sessions of a vehicle, newest first (energy kWh, power kW, battery %, cost).",
            _object(["vin"], vin=_VIN, since=_SINCE, until=_UNTIL, first=_FIRST),
            "query($vin: String!, $since: DateTime, $until: DateTime, $first: Int! = 10) { vehicle(vin: $vin) "
            "{ chargingSessions(first: $first, since: $since, until: $until) { edges { node { "
            + CHARGE_FIELDS
            + " } } } } }",
        ),
        ToolSpec(
            "series",
            "History of numeric telemetry fields (e.g. BatteryLevel, VehicleSpeed, OutsideTemp, "
            "TpmsPressureFl) in time buckets with min, max, mean and last.",
            _object(
                ["vin", "names", "since", "until"],
                vin=_VIN,
                names={"type": "array", "items": {"type": "string"}, "maxItems": 8},
                since=_SINCE,
                until=_UNTIL,
                max_points={"type": "integer", "minimum": 1, "maximum": 200},
            ),
            "query($vin: String!, $names: [String!]!, $since: DateTime!, $until: DateTime!, "
            "$max_points: Int! = 48) { vehicle(vin: $vin) { series(names: $names, since: $since, "
            "until: $until, maxPoints: $max_points) { name unit points { at min max mean last } } } }",
        ),
        ToolSpec(
            "daily_stats",
            "Figures per local day: distance, energy used and added, costs, drives, charges, time asleep.",
            _object(
                ["vin", "from", "to"],
                vin=_VIN,
                **{
                    "from": {"type": "string", "description": "First day, YYYY-MM-DD."},
                    "to": {"type": "string", "description": "Last day, YYYY-MM-DD (at most 366 days)."},
                },
                timezone={"type": "string", "description": "IANA time zone, e.g. Europe/Berlin."},
            ),
            'query($vin: String!, $from: Date!, $to: Date!, $timezone: String! = "UTC") { vehicle(vin: $vin) '
            "{ dailyStats(from: $from, to: $to, timezone: $timezone) { date distance energyUsedKwh "
            "energyAddedKwh costs { amount currency } drives charges drivingSeconds chargingSeconds "
            "asleepSeconds } } }",
        ),
        ToolSpec(
            "battery_health",
            "Battery health: usable capacity when new and now, degradation %, range at 100 %, the trend.",
            _object(["vin"], vin=_VIN),
            "query($vin: String!) { vehicle(vin: $vin) { batteryHealth { capacityNewKwh capacityNowKwh "
            "degradationPercent rangeAt100New rangeAt100Now } } }",
        ),
        ToolSpec(
            "alerts",
            "Alerts the vehicle raised, newest first: name, when, who they are for (e.g. a 12 V battery "
            "warning, a BMS or charging fault).",
            _object(["vin"], vin=_VIN, since=_SINCE, first=_FIRST),
            "query($vin: String!, $since: DateTime, $first: Int! = 20) { vehicleAlerts(vin: $vin, since: $since, "
            "first: $first) { name startedAt endedAt audiences } }",
        ),
        ToolSpec(
            "latest_values",
            "The latest value of telemetry fields (e.g. Soc, Odometer, TpmsPressureFl, Version, "
            "SoftwareUpdateVersion, Locked); all when `names` is empty.",
            _object(["vin"], vin=_VIN, names={"type": "array", "items": {"type": "string"}, "maxItems": 30}),
            "query($vin: String!, $names: [String!]) { vehicle(vin: $vin) { signals(names: $names) "
            "{ name value unit at } } }",
        ),
    )
}


def tools_named(names: tuple[str, ...]) -> tuple[Tool, ...]:
    return tuple(TOOLS[name].as_tool() for name in names)
