"""Stale-stream detection and the polling fallback.

Every `interval`, each known vehicle's stream state is computed from `vehicle_streams`. For a vehicle whose
stream is stale, and only if the Fleet API's vehicle list (which never wakes a car) says it is online,
`vehicle_data` is fetched and fed through the same pipeline as telemetry (source `poll`), its miles and mph
converted and its millisecond/second timestamps read correctly. When the list says a stale car is asleep or
offline, that is reported once as a connectivity event (ASLEEP, OFFLINE) for the states timeline.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from teslasync.db.engine import Database
from teslasync.db.repositories import telemetry as telemetry_repo
from teslasync.db.repositories.vehicles import list_vehicles
from teslasync.fleet.vehicle_data import FleetApiError, VehicleDataSource
from teslasync.observability import metrics
from teslasync.telemetry.model import JSON, Form, Observation, Source
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.records import Event
from teslasync.telemetry.streams import StreamFacts, StreamState, stream_state

log = logging.getLogger("teslasync.telemetry.poller")

# vehicle_data path -> (Fleet Telemetry field, how to turn the value into the MQTT form the normaliser reads)
_SHIFT = {"P": "ShiftStateP", "R": "ShiftStateR", "N": "ShiftStateN", "D": "ShiftStateD"}
_CHARGING = {
    "Disconnected": "DetailedChargeStateDisconnected",
    "NoPower": "DetailedChargeStateNoPower",
    "Starting": "DetailedChargeStateStarting",
    "Charging": "DetailedChargeStateCharging",
    "Complete": "DetailedChargeStateComplete",
    "Stopped": "DetailedChargeStateStopped",
}
MAPPING: dict[str, dict[str, tuple[str, Any]]] = {
    "charge_state": {
        "battery_level": ("BatteryLevel", None),
        "usable_battery_level": ("Soc", None),
        "battery_range": ("RatedRange", None),  # miles; the catalogue converts
        "est_battery_range": ("EstBatteryRange", None),
        "ideal_battery_range": ("IdealBatteryRange", None),
        "charge_limit_soc": ("ChargeLimitSoc", None),
        "charge_amps": ("ChargeAmps", None),
        "charger_voltage": ("ChargerVoltage", None),
        "charger_phases": ("ChargerPhases", None),
        "charging_state": ("DetailedChargeState", _CHARGING),
        "fast_charger_present": ("FastChargerPresent", None),
        "charge_port_door_open": ("ChargePortDoorOpen", None),
        "time_to_full_charge": ("TimeToFullCharge", None),
        "battery_heater_on": ("BatteryHeaterOn", None),
    },
    "climate_state": {
        "inside_temp": ("InsideTemp", None),
        "outside_temp": ("OutsideTemp", None),
    },
    "drive_state": {
        "speed": ("VehicleSpeed", None),  # mph; null when parked
        "shift_state": ("Gear", _SHIFT),
        "heading": ("GpsHeading", None),
    },
    "vehicle_state": {
        "odometer": ("Odometer", None),  # miles
        "locked": ("Locked", None),
        "vehicle_name": ("VehicleName", None),
        "tpms_pressure_fl": ("TpmsPressureFl", None),  # bar
        "tpms_pressure_fr": ("TpmsPressureFr", None),
        "tpms_pressure_rl": ("TpmsPressureRl", None),
        "tpms_pressure_rr": ("TpmsPressureRr", None),
    },
}


def _stamp(section: dict[str, Any], fallback: datetime) -> datetime:
    """Each section's `timestamp` is epoch milliseconds."""
    value = section.get("timestamp")
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value / 1000, UTC)
    return fallback


def vehicle_data_observations(vin: str, data: dict[str, Any], received: datetime) -> list[Observation]:
    observations: list[Observation] = []
    for section_name, fields in MAPPING.items():
        section = data.get(section_name)
        if not isinstance(section, dict):
            continue
        ts = _stamp(section, received)
        for key, (field, translate) in fields.items():
            if key not in section:
                continue
            value: JSON = section[key]
            if translate is not None and value is not None:
                value = translate.get(value, value)
            observations.append(Observation(vin, field, value, Form.MQTT, ts))
    drive = data.get("drive_state")
    if isinstance(drive, dict) and drive.get("latitude") is not None and drive.get("longitude") is not None:
        gps_as_of = drive.get("gps_as_of")  # epoch seconds
        ts = (
            datetime.fromtimestamp(gps_as_of, UTC)
            if isinstance(gps_as_of, int | float)
            else _stamp(drive, received)
        )
        location = {"latitude": drive["latitude"], "longitude": drive["longitude"]}
        observations.append(Observation(vin, "Location", location, Form.MQTT, ts))
    version = (data.get("vehicle_state") or {}).get("car_version")
    if isinstance(version, str) and version:
        observations.append(
            Observation(
                vin, "Version", version.split()[0], Form.MQTT, _stamp(data["vehicle_state"], received)
            )
        )
    return observations


class StaleWatcher:
    def __init__(
        self,
        db: Database,
        pipeline: Pipeline,
        stale_after: timedelta,
        source: VehicleDataSource | None = None,
        interval: timedelta | None = None,
    ) -> None:
        self.db = db
        self.pipeline = pipeline
        self.stale_after = stale_after
        self.source = source
        self.interval = interval or min(stale_after / 4, timedelta(seconds=30))
        self.states: dict[str, StreamState] = {}
        self.derived_states: dict[str, str] = {}  # vehicles.state, as live derivation last set it
        self.polls = 0

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # the watcher must outlive any one bad round
                log.exception("stale-stream check failed")
            await asyncio.sleep(self.interval.total_seconds())

    async def check(self) -> dict[str, StreamState]:
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            rows = await list_vehicles(session)
            streams = await telemetry_repo.streams_for(session, [vehicle.id for vehicle in rows])
        vehicles = {vehicle.id: vehicle.vin for vehicle in rows}
        self.derived_states = {vehicle.vin: vehicle.state for vehicle in rows}
        facts: dict[str, list[StreamFacts]] = {vin: [] for vin in vehicles.values()}
        for row in streams:
            facts[vehicles[row.vehicle_id]].append(
                StreamFacts(row.source, row.last_data_at, row.connectivity, row.connectivity_at)
            )
        self.states = {vin: stream_state(items, now, self.stale_after) for vin, items in facts.items()}
        stale = [
            vin for vin, state in self.states.items() if state in (StreamState.STALE, StreamState.POLLING)
        ]
        metrics.STALE_VEHICLES.set(len(stale))
        if stale and self.source is not None:
            await self._poll(stale)
        return self.states

    async def _report_sleep(self, stale: list[str], listed: dict[str, str]) -> None:
        """A silent car the vehicle list says is asleep or offline is reported so (as a connectivity event
        of source `poll`), once: the states timeline then shows it without waiting for the car."""
        now = datetime.now(UTC)
        events = [
            Event(vin, "connectivity", listed[vin].upper(), now, {"source": "fleet_api_list"})
            for vin in stale
            if listed.get(vin) in ("asleep", "offline") and self.derived_states.get(vin) != listed[vin]
        ]
        if events:
            await self.pipeline.submit(Batch(Source.POLL.value, events=events))

    async def _poll(self, stale: list[str]) -> None:
        assert self.source is not None
        try:
            listed = {v.vin: v.state for v in await self.source.list_vehicles()}
        except (FleetApiError, httpx.HTTPError) as exc:
            log.warning("Fleet API vehicle list failed: %s", exc)
            return
        await self._report_sleep(stale, listed)
        online = {vin for vin, state in listed.items() if state == "online"}
        for vin in stale:
            if vin not in online:
                continue  # asleep or offline: never wake a car to poll it
            try:
                data = await self.source.vehicle_data(vin)
            except (FleetApiError, httpx.HTTPError) as exc:
                log.warning("vehicle_data for %s failed: %s", vin, exc)
                continue
            if data is None:
                continue
            self.polls += 1
            await self.pipeline.submit(
                Batch(Source.POLL.value, vehicle_data_observations(vin, data, datetime.now(UTC)))
            )
