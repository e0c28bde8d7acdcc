"""The Fleet API client's endpoints and status codes against the fake Fleet API: the envelope unwrapped,
reads retried on 5xx, a 412 and a 451 reported with their codes, the list never waking a car."""

from __future__ import annotations

import pytest

from teslasync.fleet.client import FleetUnavailable, PartnerNotRegistered, VehicleAsleep, WrongRegion
from tests.fleet.cloud import VIN, Cloud


async def test_read_endpoints_unwrap_the_envelope(cloud: Cloud) -> None:
    client, account = cloud.services.client, cloud.account_id
    listed = await client.list_vehicles(account)
    assert [v["vin"] for v in listed] == [VIN]
    assert (await client.vehicle(account, VIN))["state"] == "online"
    status = await client.fleet_status(account, [VIN])
    assert status["key_paired_vins"] == [VIN]
    assert "superchargers" in await client.nearby_charging_sites(account, VIN)
    assert await client.release_notes(account, VIN)
    assert "fleet_telemetry_errors" in await client.telemetry_errors(account)


async def test_listing_never_wakes_and_vehicle_data_of_a_sleeping_car_is_408(cloud: Cloud) -> None:
    cloud.fleet.sleep(VIN)
    client, account = cloud.services.client, cloud.account_id
    assert [v["state"] for v in await client.list_vehicles(account)] == ["asleep"]
    with pytest.raises(VehicleAsleep):
        await client.vehicle_data(account, VIN, ["charge_state"])
    assert cloud.fleet.wake_calls == 0


async def test_reads_are_retried_on_5xx_and_give_up_after_a_few(cloud: Cloud) -> None:
    client, account = cloud.services.client, cloud.account_id
    cloud.fleet.fail("/vehicle_data", count=1, status=502)
    assert "charge_state" in await client.vehicle_data(account, VIN, ["charge_state"])
    cloud.fleet.fail("/vehicle_data", count=5, status=503)
    with pytest.raises(FleetUnavailable):
        await client.vehicle_data(account, VIN, ["charge_state"])
    assert len(cloud.fleet.requests_to("/vehicle_data")) == 2 + 3


@pytest.mark.parametrize(("status", "error"), [(412, PartnerNotRegistered), (451, WrongRegion)])
async def test_412_and_451_have_their_codes(cloud: Cloud, status: int, error: type[Exception]) -> None:
    cloud.fleet.fail("/release_notes", status=status)
    with pytest.raises(error):
        await cloud.services.client.release_notes(cloud.account_id, VIN)


async def test_the_polling_fallback_goes_through_the_accounts(cloud: Cloud) -> None:
    from teslasync.fleet.vehicle_data import AccountsVehicleData

    source = AccountsVehicleData(cloud.db, cloud.services.client)
    assert [(v.vin, v.state) for v in await source.list_vehicles()] == [(VIN, "online")]
    data = await source.vehicle_data(VIN)
    assert data is not None and "charge_state" in data
    cloud.fleet.sleep(VIN)
    assert await source.vehicle_data(VIN) is None  # asleep: never woken to be polled
    assert cloud.fleet.wake_calls == 0
