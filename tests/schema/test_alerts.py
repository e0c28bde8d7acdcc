"""`vehicleAlerts`: a car's alerts newest first, in either shape the car sends them; null for a car the
caller does not see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from httpx import AsyncClient

from teslasync.db.engine import Database
from teslasync.db.models import VehicleEvent
from teslasync.db.repositories.vehicles import ensure_vehicle
from tests.auth.helpers import gql

VIN = "5YJ3E7EB2NF000303"
QUERY = "query($vin: String!) { vehicleAlerts(vin: $vin) { name startedAt endedAt audiences } }"


async def test_alerts_newest_first_in_both_shapes(client: AsyncClient, db: Database) -> None:
    now = datetime(2026, 11, 28, 8, tzinfo=UTC)
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, VIN)
        session.add(
            VehicleEvent(
                vehicle_id=vehicle.id,
                kind="alert",
                name="VCFRONT_a180_lowVoltageBattery",
                ts=now - timedelta(hours=2),
                doc={
                    "StartedAt": (now - timedelta(hours=2)).isoformat(),
                    "EndedAt": (now - timedelta(hours=1)).isoformat(),
                    "Audiences": ["Customer"],
                },
            )
        )
        session.add(
            VehicleEvent(
                vehicle_id=vehicle.id,
                kind="alert",
                name="BMS_a066_w_Low_Battery",
                ts=now,
                doc={
                    "name": "BMS_a066_w_Low_Battery",
                    "startedAt": now.isoformat(),
                    "audiences": ["Service"],
                },
            )
        )
        session.add(
            VehicleEvent(vehicle_id=vehicle.id, kind="connectivity", name="CONNECTED", ts=now, doc=None)
        )
    body = await gql(client, QUERY, {"vin": VIN})
    assert body["data"]["vehicleAlerts"] == [
        {
            "name": "BMS_a066_w_Low_Battery",
            "startedAt": "2026-11-28T08:00:00+00:00",
            "endedAt": None,
            "audiences": ["Service"],
        },
        {
            "name": "VCFRONT_a180_lowVoltageBattery",
            "startedAt": "2026-11-28T06:00:00+00:00",
            "endedAt": "2026-11-28T07:00:00+00:00",
            "audiences": ["Customer"],
        },
    ]
    unknown = await gql(client, QUERY, {"vin": "5YJ3E7EB2NF000000"})
    assert unknown["data"]["vehicleAlerts"] is None
    refused = await gql(
        client, "query($vin: String!) { vehicleAlerts(vin: $vin, first: 0) { name } }", {"vin": VIN}
    )
    assert refused["errors"][0]["extensions"]["code"] == "BAD_PAGE"


async def test_one_drive_or_charge_by_id_only_for_who_sees_the_car(client: AsyncClient, db: Database) -> None:
    from teslasync.auth.principal import Scope
    from teslasync.auth.tokens import create_token
    from teslasync.db.models import ChargingSessionRow, DriveRow
    from teslasync.db.repositories import users as users_repo

    start = datetime(2026, 11, 27, 8, tzinfo=UTC)
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, VIN)
        drive = DriveRow(
            vehicle_id=vehicle.id, started_at=start, closed_by="park", distance_km=12.5, track=[]
        )
        charge = ChargingSessionRow(
            vehicle_id=vehicle.id,
            started_at=start + timedelta(hours=1),
            charger_type="AC",
            energy_added_kwh=20.0,
            curve=[],
        )
        session.add_all([drive, charge])
        await session.flush()
        stranger = await users_repo.upsert_seen(
            session, "stranger", email=None, display_name=None, groups=[], is_admin=False, seen_at=start
        )
        token = (await create_token(session, "s", [Scope.READ], user_id=stranger.id)).token
    query = "query($d: ID!, $c: ID!) { drive(id: $d) { id distanceKm } chargingSession(id: $c) { id energyAddedKwh } }"
    ids = {"d": str(drive.id), "c": str(charge.id)}
    seen = await gql(client, query, ids)
    assert seen["data"] == {
        "drive": {"id": str(drive.id), "distanceKm": 12.5},
        "chargingSession": {"id": str(charge.id), "energyAddedKwh": 20.0},
    }
    hidden = await gql(client, query, ids, headers={"Authorization": f"Bearer {token}"})
    assert hidden["data"] == {"drive": None, "chargingSession": None}
    nonsense = await gql(client, query, {"d": "x", "c": "99999"})
    assert nonsense["data"] == {"drive": None, "chargingSession": None}
