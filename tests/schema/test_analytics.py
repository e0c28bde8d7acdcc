"""States, efficiency, battery health, vampire drain, daily figures and units through GraphQL, and the
live subscriptions for states and sessions."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from teslasync.app import create_app
from teslasync.db.engine import Database
from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.jobs.derivation import attach_derivation
from teslasync.telemetry.model import Form, Observation
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.records import Event
from teslasync.telemetry.runtime import TelemetryRuntime
from teslasync.telemetry.sources.replay import replay
from tests.conftest import client_for, make_settings
from tests.live_server import serve
from tests.telemetry.test_graphql import subscription

VIN = "5YJ3E7EB2NF000123"
T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday


async def gql(client: AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = (
        await client.post("/graphql", json={"query": query, "variables": variables})
    ).json()
    assert "errors" not in body, body
    return body["data"]["vehicle"]  # type: ignore[no-any-return]


def charge(
    start: datetime, minutes: int, level: tuple[float, float], range_km: tuple[float, float], kwh: float
) -> ChargingSessionRow:
    return ChargingSessionRow(
        started_at=start,
        ended_at=start + timedelta(minutes=minutes),
        charger_type="AC",
        energy_added_kwh=kwh,
        start_battery_level=level[0],
        end_battery_level=level[1],
        start_rated_range_km=range_km[0],
        end_rated_range_km=range_km[1],
        curve=[],
    )


def drive(
    start: datetime, minutes: int, km: float, level: tuple[float, float], range_km: tuple[float, float]
) -> DriveRow:
    return DriveRow(
        started_at=start,
        ended_at=start + timedelta(minutes=minutes),
        closed_by="park",
        distance_km=km,
        start_battery_level=level[0],
        end_battery_level=level[1],
        start_rated_range_km=range_km[0],
        end_rated_range_km=range_km[1],
        energy_used_kwh=None,
        track=[],
    )


async def seed(db: Database) -> None:
    """Three charges that agree on 0.153 kWh per km of range (efficiency 153 Wh/km); a drive on Monday
    16:00-16:30 Berlin; parked until Tuesday 08:00 (15.5 h), asleep 17:00-07:00 (14 h), losing 2 % and
    8 km; another drive."""
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, VIN)
        rows: list[Any] = [
            # 15.3 kWh for 100 km of range: 0.153; the end levels give range at 100 % = 400 / 80 * 100 = 500
            charge(T0 - timedelta(days=3), 60, (60, 80), (300, 400), 15.3),
            charge(T0 - timedelta(days=2), 60, (60, 80), (300, 400), 15.3),
            charge(T0 - timedelta(days=1), 30, (70, 80), (350, 400), 7.65),
            drive(T0 + timedelta(hours=8), 30, 30.0, (80, 74), (400, 370)),  # 16:00-16:30 Berlin
            drive(T0 + timedelta(days=1), 20, 10.0, (72, 70), (362, 352)),  # Tuesday 08:00 Berlin
            VehicleStateRow(
                started_at=T0 + timedelta(hours=8, minutes=30),
                ended_at=T0 + timedelta(hours=9),
                state="online",
            ),
            VehicleStateRow(
                started_at=T0 + timedelta(hours=9), ended_at=T0 + timedelta(hours=23), state="asleep"
            ),
            VehicleStateRow(started_at=T0 + timedelta(hours=23), ended_at=None, state="online"),
        ]
        for row in rows:
            row.vehicle_id = vehicle.id
        session.add_all(rows)


QUERY = """
query($vin: String!, $since: DateTime!, $units: UnitSystem!) {
  vehicle(vin: $vin) {
    efficiency { whPerKm confirmations }
    batteryHealth(units: $units) { capacityNewKwh capacityNowKwh degradationPercent rangeAt100Now trend { samples } }
    vampireDrain(since: $since, minHours: 6, units: $units) {
      hours batteryLevelPerHour rangePerHour asleepShare
      periods { startedAt endedAt batteryLevelLost rangeLost energyLostKwh gained }
    }
    dailyStats(from: "2026-03-02", to: "2026-03-03", timezone: "Europe/Berlin", units: $units) {
      date distance energyUsedKwh drives asleepSeconds
    }
    drives(first: 5) { edges { node { distance(units: $units) energyUsedKwh consumption(units: $units) } } }
    states(first: 2) { edges { node { state startedAt endedAt } } }
  }
}"""


async def test_battery_drain_and_daily_figures(tmp_path: Path, db: Database) -> None:
    await seed(db)
    async with client_for(make_settings(tmp_path, demo=True), db) as client:
        metric = await gql(client, QUERY, vin=VIN, since=T0.isoformat(), units="METRIC")
        imperial = await gql(client, QUERY, vin=VIN, since=T0.isoformat(), units="IMPERIAL")

    assert metric["efficiency"] == {"whPerKm": pytest.approx(153.0), "confirmations": 3}
    health = metric["batteryHealth"]
    # 500 km at 100 % * 0.153 kWh/km = 76.5 kWh, the same for every charge: no degradation
    assert health["capacityNewKwh"] == pytest.approx(76.5) and health["capacityNowKwh"] == pytest.approx(76.5)
    assert health["degradationPercent"] == pytest.approx(0.0) and health["rangeAt100Now"] == pytest.approx(
        500
    )
    assert imperial["batteryHealth"]["rangeAt100Now"] == pytest.approx(500 / 1.609344)

    drain = metric["vampireDrain"]
    [night] = drain["periods"]
    # parked 15:30 UTC Monday to 07:00 Tuesday: 15.5 h, 74 -> 72 %, 370 -> 362 km, 14 h asleep
    assert night["batteryLevelLost"] == pytest.approx(2) and night["rangeLost"] == pytest.approx(8)
    assert night["energyLostKwh"] == pytest.approx(8 * 0.153) and not night["gained"]
    assert drain["hours"] == pytest.approx(15.5)
    assert drain["asleepShare"] == pytest.approx(14 / 15.5)
    assert drain["rangePerHour"] == pytest.approx(8 / 15.5)
    assert drain["batteryLevelPerHour"] == pytest.approx(2 / 15.5)
    assert imperial["vampireDrain"]["rangePerHour"] == pytest.approx(8 / 15.5 / 1.609344)

    monday, tuesday = metric["dailyStats"]
    # the drive has no energy counter: 30 km of range lost * 153 Wh/km = 4.59 kWh
    assert monday == {
        "date": "2026-03-02",
        "distance": 30.0,
        "energyUsedKwh": pytest.approx(4.59),
        "drives": 1,
        "asleepSeconds": 7 * 3600,  # 17:00-24:00 Berlin
    }
    assert tuesday["asleepSeconds"] == 7 * 3600 and tuesday["distance"] == 10.0  # 00:00-07:00 Berlin
    assert imperial["dailyStats"][0]["distance"] == pytest.approx(30 / 1.609344)

    _newest, older = (edge["node"] for edge in metric["drives"]["edges"])
    assert older["energyUsedKwh"] == pytest.approx(4.59) and older["consumption"] == pytest.approx(153)
    imperial_older = imperial["drives"]["edges"][1]["node"]
    assert imperial_older["consumption"] == pytest.approx(153 * 1.609344)
    assert [edge["node"]["state"] for edge in metric["states"]["edges"]] == ["ONLINE", "ASLEEP"]


async def test_bad_arguments_are_refused_with_a_code(tmp_path: Path, db: Database) -> None:
    await seed(db)
    async with client_for(make_settings(tmp_path, demo=True), db) as client:
        for document in (
            '{ vehicle(vin: "%s") { dailyStats(from: "2026-03-02", to: "2026-03-01") { date } } }',
            '{ vehicle(vin: "%s") { dailyStats(from: "2026-03-02", to: "2026-03-03", timezone: "Nowhere") { date } } }',
            '{ vehicle(vin: "%s") { vampireDrain(since: "2026-03-02T00:00:00Z", minHours: 0) { hours } } }',
            '{ vehicle(vin: "%s") { batteryHealth(nominalCapacityKwh: -1) { capacityNowKwh } } }',
        ):
            body = (await client.post("/graphql", json={"query": document % VIN})).json()
            assert body["errors"][0]["extensions"]["code"] == "BAD_ARGUMENT", body


async def test_signals_in_imperial_units(tmp_path: Path, pipeline: Pipeline, fixtures_dir: Path) -> None:
    await replay(pipeline, [fixtures_dir / "DrivingByGear.txt"])
    async with client_for(make_settings(tmp_path, demo=True), pipeline.db) as client:
        query = '{ vehicle(vin: "5YJ3E7EA3LF700000") { signals(names: ["Odometer", "Gear"], units: %s) { name value unit } } }'
        metric = {s["name"]: s for s in (await gql(client, query % "METRIC"))["signals"]}
        imperial = {s["name"]: s for s in (await gql(client, query % "IMPERIAL"))["signals"]}
    assert metric["Odometer"]["unit"] == "km" and imperial["Odometer"]["unit"] == "mi"
    # the car sent miles; stored as km; given back in miles as the car sent them
    assert imperial["Odometer"]["value"] == pytest.approx(46884.57879971265, abs=1e-6)
    assert imperial["Gear"] == metric["Gear"]


async def test_state_and_session_subscriptions(tmp_path: Path, fresh_db: Database) -> None:
    settings = make_settings(tmp_path, demo=True)
    runtime = TelemetryRuntime(settings, fresh_db)
    attach_derivation(runtime)
    now = datetime.now(UTC)

    async def send(*observations: Observation, events: list[Event] | None = None) -> None:
        await runtime.pipeline.submit(Batch("mqtt", list(observations), events=events or []))
        await runtime.pipeline.drain()

    async def next_data(socket: Any) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert message["type"] == "next", message
        return message["payload"]["data"]  # type: ignore[no-any-return]

    def at(seconds: float) -> datetime:
        return now - timedelta(minutes=10) + timedelta(seconds=seconds)

    async with serve(create_app(settings, fresh_db, telemetry=runtime, dispose_on_shutdown=False)) as port:
        await send(Observation(VIN, "Gear", "ShiftStateP", Form.MQTT, at(0)))
        async with (
            subscription(
                port, "subscription($vin: String!) { vehicleState(vin: $vin) { state } }", {"vin": VIN}
            ) as states,
            subscription(
                port,
                "subscription($vin: String!) { sessions(vin: $vin) { kind phase drive { distanceKm } } }",
                {"vin": VIN},
            ) as sessions,
        ):
            await asyncio.sleep(0.2)  # both subscriptions are registered
            await send(
                Observation(VIN, "Gear", "ShiftStateD", Form.MQTT, at(1)),
                Observation(VIN, "Odometer", 1000.0, Form.MQTT, at(1)),
                Observation(VIN, "Location", {"latitude": 52.5, "longitude": 13.4}, Form.MQTT, at(1)),
            )
            assert (await next_data(states)) == {"vehicleState": {"state": "DRIVING"}}
            assert (await next_data(sessions))["sessions"] == {
                "kind": "DRIVE",
                "phase": "OPENED",
                "drive": None,
            }
            await send(
                Observation(VIN, "Location", {"latitude": 52.51, "longitude": 13.41}, Form.MQTT, at(120)),
                Observation(VIN, "Odometer", 1001.0, Form.MQTT, at(120)),
                Observation(VIN, "Gear", "ShiftStateP", Form.MQTT, at(121)),
            )
            assert (await next_data(states)) == {"vehicleState": {"state": "ONLINE"}}
            await send(Observation(VIN, "BatteryLevel", 70.0, Form.MQTT, at(200)))  # the drive settles
            closed = (await next_data(sessions))["sessions"]
            assert closed["phase"] == "CLOSED"
            assert closed["drive"]["distanceKm"] == pytest.approx(1.609344)
            await send(events=[Event(VIN, "connectivity", "DISCONNECTED", at(300), {})])
            assert (await next_data(states)) == {"vehicleState": {"state": "ASLEEP"}}


@pytest.mark.parametrize("zone", ["Nowhere/Else", "x" * 300, "../../etc/passwd"])
async def test_a_bad_time_zone_is_a_bad_argument(db: Database, client: AsyncClient, zone: str) -> None:
    """Found by the fuzz: a name too long for the file system used to escape as an internal error."""
    async with db.transaction() as session:
        await ensure_vehicle(session, VIN)
    query = 'query($z: String!) { vehicles { dailyStats(from: "2026-03-01", to: "2026-03-02", timezone: $z) { date } } }'
    body = (await client.post("/graphql", json={"query": query, "variables": {"z": zone}})).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_ARGUMENT"]
