"""The fake Fleet API and vehicle-command proxy behave as documented in tests/fleet/fake_fleet.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fleet.fake_fleet import (
    KEY_NOT_PAIRED,
    MUST_BE_SIGNED,
    PROTOCOL_REQUIRED,
    PROXY_BAD_VIN,
    PROXY_NO_TOKEN,
    TOKEN_EXPIRED,
    UNAVAILABLE,
    FakeCar,
    FakeFleet,
    FakeProxy,
    fake_fleet,
    fake_proxy,
)
from tests.fleet.fake_tesla import AUTHORIZE_PATH, TOKEN_PATH, fake_tesla

VIN = "5YJ3E1EA7KF000001"  # online, needs signed commands
SLEEPY = "5YJYGDEE1MF000002"  # asleep, takes unsigned commands, wakes after two polls
UNPAIRED = "LRW3E7FA1NC000003"  # online, our key is not on it
TOKEN = "access-token-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONFIG = {
    "hostname": "telemetry.example.com",
    "port": 443,
    "ca": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "exp": 1_900_000_000,
    "fields": {"BatteryLevel": {"interval_seconds": 60}},
}


def cars() -> list[FakeCar]:
    return [
        FakeCar(VIN),
        FakeCar(SLEEPY, state="asleep", wake_after_polls=2, command_protocol_required=False),
        FakeCar(UNPAIRED, key_paired=False),
    ]


@pytest.fixture
async def fleet() -> AsyncIterator[FakeFleet]:
    async with fake_fleet(cars=cars()) as fake:
        yield fake


@pytest.fixture
async def api(fleet: FakeFleet) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fleet.base_url, headers=AUTH, timeout=5) as client:
        yield client


@pytest.fixture
async def proxy(fleet: FakeFleet, tmp_path: Path) -> AsyncIterator[FakeProxy]:
    async with fake_proxy(fleet, tmp_path) as fake:
        yield fake


@pytest.fixture
async def via_proxy(proxy: FakeProxy) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=proxy.url, headers=AUTH, verify=proxy.ssl_context(), timeout=5
    ) as client:
        yield client


async def test_requests_without_a_token_or_with_an_expired_one_are_refused(
    fleet: FakeFleet, api: httpx.AsyncClient, via_proxy: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=fleet.base_url) as anonymous:
        response = await anonymous.get("/api/1/vehicles")
    assert response.status_code == 401
    assert response.json()["error"]

    assert (await api.get("/api/1/vehicles")).status_code == 200
    fleet.expire(TOKEN)
    for client in (api, via_proxy):
        response = await client.get("/api/1/vehicles")
        assert response.status_code == 401
        assert response.json()["error"] == TOKEN_EXPIRED
    response = await via_proxy.post(f"/api/1/vehicles/{VIN}/command/flash_lights", json={})
    assert (response.status_code, response.json()["error"]) == (401, TOKEN_EXPIRED)
    assert fleet.car(VIN).commands == []

    response = await via_proxy.get("/api/1/vehicles", headers={"Authorization": ""})
    assert (response.status_code, response.json()["error"]) == (403, PROXY_NO_TOKEN)


async def test_tokens_from_the_fake_tesla_are_checked_live(tmp_path: Path) -> None:
    async with (
        fake_tesla() as tesla,
        fake_fleet(cars=cars(), authorised=tesla.is_live_access_token) as fleet,
        httpx.AsyncClient(timeout=5) as http,
    ):
        redirect_uri = tesla.redirect_uris[0]
        authorize = await http.get(
            tesla.base_url + AUTHORIZE_PATH,
            params={
                "response_type": "code",
                "client_id": tesla.client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid offline_access vehicle_device_data",
                "state": "state-1",
            },
        )
        code = parse_qs(urlsplit(authorize.headers["location"]).query)["code"][0]
        grant = {
            "grant_type": "authorization_code",
            "client_id": tesla.client_id,
            "client_secret": tesla.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
            "audience": tesla.base_url,
        }
        token = (await http.post(tesla.base_url + TOKEN_PATH, data=grant)).json()["access_token"]
        url = fleet.base_url + "/api/1/vehicles"

        assert (await http.get(url, headers={"Authorization": f"Bearer {token}"})).status_code == 200
        assert (await http.get(url, headers={"Authorization": "Bearer made-up"})).status_code == 401
        tesla.expire_access_tokens()
        assert (await http.get(url, headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_listing_never_wakes_a_car(fleet: FakeFleet, api: httpx.AsyncClient) -> None:
    fleet.car(SLEEPY).polls_until_online = 1  # even with a wake-up under way, a listing is not a poll
    for _ in range(3):
        response = await api.get("/api/1/vehicles")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 3
        states = {car["vin"]: car["state"] for car in body["response"]}
        assert states == {VIN: "online", SLEEPY: "asleep", UNPAIRED: "online"}
    assert fleet.wake_calls == 0
    assert fleet.car(SLEEPY).polls_until_online == 1
    first = body["response"][0]
    assert {"id", "vehicle_id", "vin", "display_name", "state"} <= first.keys()
    assert first["id"] != first["vehicle_id"]

    page = (await api.get("/api/1/vehicles", params={"page": 2, "per_page": 2})).json()
    assert [car["vin"] for car in page["response"]] == [UNPAIRED]


async def test_an_asleep_car_answers_408_until_woken_and_polled(
    fleet: FakeFleet, api: httpx.AsyncClient
) -> None:
    data_path = f"/api/1/vehicles/{SLEEPY}/vehicle_data"
    response = await api.get(data_path, params={"endpoints": "charge_state"})
    assert (response.status_code, response.json()["error"]) == (408, UNAVAILABLE)

    woken = await api.post(f"/api/1/vehicles/{SLEEPY}/wake_up")
    assert woken.status_code == 200
    assert woken.json()["response"]["state"] == "asleep"
    assert fleet.wake_calls == 1
    assert (await api.get(data_path)).status_code == 408  # vehicle_data is not a poll

    first = await api.get(f"/api/1/vehicles/{SLEEPY}")
    assert first.json()["response"]["state"] == "asleep"
    second = await api.get(f"/api/1/vehicles/{fleet.car(SLEEPY).id}")  # by numeric id, as Tesla allows
    assert second.json()["response"]["state"] == "online"

    data = (await api.get(data_path, params={"endpoints": "charge_state;drive_state"})).json()["response"]
    assert data["vin"] == SLEEPY
    assert data["charge_state"]["battery_level"] == 78
    assert "latitude" not in data["drive_state"]  # location needs location_data
    assert "climate_state" not in data
    located = (await api.get(data_path, params={"endpoints": "location_data"})).json()["response"]
    assert located["drive_state"]["latitude"] == pytest.approx(37.4925)

    fleet.car(SLEEPY).data = {"charge_state": {"battery_level": 55}}
    everything = (await api.get(data_path)).json()["response"]
    assert everything["charge_state"]["battery_level"] == 55
    assert {"climate_state", "vehicle_state", "vehicle_config", "gui_settings"} <= everything.keys()
    assert (await api.get(data_path, params={"endpoints": "nonsense"})).status_code == 400


async def test_unsigned_commands_are_refused_when_the_car_requires_the_protocol(
    fleet: FakeFleet, api: httpx.AsyncClient
) -> None:
    response = await api.post(f"/api/1/vehicles/{VIN}/command/flash_lights", json={})
    assert (response.status_code, response.json()["error"]) == (403, PROTOCOL_REQUIRED)
    assert fleet.car(VIN).commands == []

    asleep = await api.post(f"/api/1/vehicles/{SLEEPY}/command/honk_horn")
    assert asleep.status_code == 408
    fleet.car(SLEEPY).state = "online"
    done = await api.post(f"/api/1/vehicles/{SLEEPY}/command/set_charge_limit", json={"percent": 80})
    assert done.json() == {"response": {"result": True, "reason": ""}}
    assert fleet.car(SLEEPY).commands == [("set_charge_limit", {"percent": 80}, False)]

    unknown = await api.post("/api/1/vehicles/5YJ3E1EA7KF999999/command/honk_horn")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")


async def test_the_proxy_signs_commands_for_17_character_vins_over_tls(
    fleet: FakeFleet, proxy: FakeProxy, via_proxy: httpx.AsyncClient
) -> None:
    assert proxy.url == f"https://127.0.0.1:{proxy.port}"
    assert proxy.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert (await via_proxy.get("/health")).status_code == 200

    response = await via_proxy.post(f"/api/1/vehicles/{VIN}/command/set_temps", json={"driver_temp": 21})
    assert response.status_code == 200
    assert response.json() == {"response": {"result": True, "reason": ""}}
    assert fleet.car(VIN).commands == [("set_temps", {"driver_temp": 21}, True)]

    unpaired = await via_proxy.post(f"/api/1/vehicles/{UNPAIRED}/command/flash_lights")
    assert (unpaired.status_code, unpaired.json()["error"]) == (500, KEY_NOT_PAIRED)
    asleep = await via_proxy.post(f"/api/1/vehicles/{SLEEPY}/command/flash_lights")
    assert asleep.status_code == 408

    data = await via_proxy.get(f"/api/1/vehicles/{VIN}/vehicle_data", params={"endpoints": "charge_state"})
    assert data.status_code == 200
    assert "charge_state" in data.json()["response"]
    assert [entry.via for entry in fleet.requests_to("/vehicle_data")] == ["proxy"]

    by_id = await via_proxy.post(f"/api/1/vehicles/{fleet.car(VIN).id}/command/flash_lights", json={})
    assert (by_id.status_code, by_id.json()["error"]) == (404, PROXY_BAD_VIN)
    assert len(fleet.car(VIN).commands) == 1


async def test_the_proxy_speaks_only_tls_with_its_own_ca(proxy: FakeProxy) -> None:
    async with httpx.AsyncClient(timeout=2) as plain:
        with pytest.raises(httpx.HTTPError):
            await plain.get(f"http://127.0.0.1:{proxy.port}/health")
        with pytest.raises(httpx.ConnectError):  # the system CAs do not know the throwaway CA
            await plain.get(f"{proxy.url}/health")
    async with httpx.AsyncClient(verify=proxy.ssl_context(), timeout=2) as client:
        assert (await client.get(f"https://localhost:{proxy.port}/health")).status_code == 200


async def test_the_proxy_serialises_commands_per_vin(fleet: FakeFleet, via_proxy: httpx.AsyncClient) -> None:
    fleet.car(SLEEPY).state = "online"
    fleet.command_delay_s = 0.05
    names = ["charge_start", "set_charge_limit", "charge_stop"]
    calls = [via_proxy.post(f"/api/1/vehicles/{VIN}/command/{name}", json={}) for name in names]
    calls.append(via_proxy.post(f"/api/1/vehicles/{SLEEPY}/command/honk_horn", json={}))
    responses = await asyncio.gather(*calls)

    assert [response.status_code for response in responses] == [200] * 4
    assert fleet.max_in_flight == {VIN: 1, SLEEPY: 1}
    arrived = [entry.path.rsplit("/", 1)[1] for entry in fleet.requests_to("", via="proxy")]
    arrived_for_vin = [name for name in arrived if name in names]
    assert [name for name, _, _ in fleet.car(VIN).commands] == arrived_for_vin
    assert sorted(arrived_for_vin) == sorted(names)
    overlap = [vin for vin, *_ in fleet.command_log]
    assert overlap.index(SLEEPY) < 3  # the other car's command did not wait for the first car's queue


async def test_a_wrong_region_prefix_gets_421(fleet: FakeFleet, api: httpx.AsyncClient) -> None:
    response = await api.get("/eu/api/1/vehicles")
    assert response.status_code == 421
    assert response.json()["error"] == f"user out of region, use base URL: {fleet.base_url}/na"
    assert "alt-svc" not in response.headers

    assert (await api.get(fleet.region_base_url() + "/api/1/vehicles")).status_code == 200
    assert (await api.get(fleet.region_base_urls["na"] + f"/api/1/vehicles/{VIN}")).status_code == 200
    region = (await api.get("/eu/api/1/users/region")).json()["response"]
    assert region == {"region": "na", "fleet_api_base_url": f"{fleet.base_url}/na"}


async def test_injected_failures_come_first_and_are_used_up(
    fleet: FakeFleet, api: httpx.AsyncClient, via_proxy: httpx.AsyncClient
) -> None:
    fleet.fail("/api/1/vehicles", 1)
    first = await api.get("/api/1/vehicles", headers={"Authorization": "Bearer"})  # even before auth
    assert first.status_code == 503
    assert first.json()["error"] == "Service Unavailable"
    assert (await api.get("/api/1/vehicles")).status_code == 200

    fleet.fail("/vehicle_data", 2, status=429, retry_after="7", body={"error": "rate limited"})
    for client in (api, via_proxy):
        limited = await client.get(f"/api/1/vehicles/{VIN}/vehicle_data")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "7"
        assert limited.json() == {"error": "rate limited"}
    assert (await api.get(f"/api/1/vehicles/{VIN}/vehicle_data")).status_code == 200

    fleet.fail("/wake_up", status=500, delay_s=0.3)
    with pytest.raises(httpx.ReadTimeout):
        await api.post(f"/api/1/vehicles/{SLEEPY}/wake_up", timeout=0.05)
    assert fleet.wake_calls == 0


async def test_telemetry_config_goes_through_the_proxy(
    fleet: FakeFleet, api: httpx.AsyncClient, via_proxy: httpx.AsyncClient
) -> None:
    direct = await api.post("/api/1/vehicles/fleet_telemetry_config", json={"vins": [VIN], "config": CONFIG})
    assert (direct.status_code, direct.json()["error"]) == (400, MUST_BE_SIGNED)

    bad = await via_proxy.post(
        "/api/1/vehicles/fleet_telemetry_config", json={"vins": [VIN], "config": {"hostname": "x"}}
    )
    assert bad.status_code == 400
    assert "missing ca, port, fields" in bad.json()["error"]

    created = await via_proxy.post(
        "/api/1/vehicles/fleet_telemetry_config", json={"vins": [VIN, UNPAIRED], "config": CONFIG}
    )
    assert created.status_code == 200
    assert created.json()["response"] == {
        "updated_vehicles": 1,
        "skipped_vehicles": {
            "missing_key": [UNPAIRED],
            "unsupported_hardware": [],
            "unsupported_firmware": [],
            "max_configs": [],
        },
    }
    path = f"/api/1/vehicles/{VIN}/fleet_telemetry_config"
    assert (await api.get(path)).json()["response"] == {"synced": False, "config": CONFIG}
    fleet.sync(VIN)
    assert (await api.get(path)).json()["response"]["synced"] is True

    deleted = await api.delete(path)
    assert deleted.json() == {"response": {"updated_vehicles": 1}}
    assert (await api.get(path)).json()["response"] == {"synced": False, "config": None}
    assert fleet.car(UNPAIRED).telemetry_config is None


async def test_fleet_status_and_the_smaller_endpoints(fleet: FakeFleet, api: httpx.AsyncClient) -> None:
    status = (await api.post("/api/1/vehicles/fleet_status", json={"vins": [VIN, SLEEPY, UNPAIRED]})).json()
    assert status["response"]["key_paired_vins"] == [VIN, SLEEPY]
    assert status["response"]["unpaired_vins"] == [UNPAIRED]
    info = status["response"]["vehicle_info"]
    assert info[VIN] == {
        "firmware_version": "2025.2.6",
        "vehicle_command_protocol_required": True,
        "fleet_telemetry_version": "1.0.0",
    }
    assert info[SLEEPY]["vehicle_command_protocol_required"] is False

    sites = (await api.get(f"/api/1/vehicles/{VIN}/nearby_charging_sites", params={"count": 1})).json()
    assert len(sites["response"]["superchargers"]) == 1
    notes = (await api.get(f"/api/1/vehicles/{SLEEPY}/release_notes")).json()
    assert notes["response"]["release_notes"][0]["customer_version"] == "2025.2.6"

    fleet.telemetry_errors.append({"vin": VIN, "name": "tls", "error": "certificate expired"})
    errors = (await api.get("/api/1/partner_accounts/fleet_telemetry_errors")).json()
    assert errors["response"]["fleet_telemetry_errors"] == [
        {"vin": VIN, "name": "tls", "error": "certificate expired"}
    ]
    assert (await api.get(f"/api/1/vehicles/{VIN}/wake_up")).status_code == 405
    assert (await api.get("/api/1/nowhere")).status_code == 404
