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
