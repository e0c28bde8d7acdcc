"""The slice of the Fleet API that the polling fallback needs: the vehicle list (which never wakes a car)
and `vehicle_data`. Two sources: the connected Tesla accounts (`AccountsVehicleData`, the normal one), and
an interim bearer token against one base URL (`TESLASYNC_FLEET_API_URL` / `_TOKEN`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from teslasync.db.engine import Database
from teslasync.db.repositories import tesla_accounts as accounts_repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.fleet.client import FleetClient, FleetError, VehicleAsleep

log = logging.getLogger("teslasync.fleet.vehicle_data")

VEHICLE_DATA_ENDPOINTS = "charge_state;climate_state;drive_state;location_data;vehicle_state"


@dataclass(frozen=True, slots=True)
class FleetVehicle:
    vin: str
    state: str  # "online", "asleep" or "offline"


class VehicleDataSource(Protocol):
    async def list_vehicles(self) -> list[FleetVehicle]: ...

    async def vehicle_data(self, vin: str) -> dict[str, Any] | None:
        """The `response` object, or None when the car cannot answer (asleep: HTTP 408)."""
        ...


class FleetApiError(Exception):
    pass


class FleetApiVehicleData:
    """Bearer-token HTTP implementation against a Fleet API base URL (regional host or a proxy)."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 15.0) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def list_vehicles(self) -> list[FleetVehicle]:
        response = await self._http.get("/api/1/vehicles")
        body = self._body(response)
        return [
            FleetVehicle(str(item["vin"]), str(item.get("state", "offline")))
            for item in body.get("response") or []
            if isinstance(item, dict) and item.get("vin")
        ]

    async def vehicle_data(self, vin: str) -> dict[str, Any] | None:
        response = await self._http.get(
            f"/api/1/vehicles/{vin}/vehicle_data", params={"endpoints": VEHICLE_DATA_ENDPOINTS}
        )
        if response.status_code == 408:  # asleep or unreachable; never wake it to poll
            return None
        data = self._body(response).get("response")
        return data if isinstance(data, dict) else None

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise FleetApiError(f"Fleet API answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise FleetApiError("Fleet API answered with something that is not JSON") from None
        if not isinstance(body, dict):
            raise FleetApiError("unexpected Fleet API response")
        return body


class AccountsVehicleData:
    """The polling fallback through the connected Tesla accounts: each car through its own account, with
    its region, token refresh, breakers and retries (fleet/client.py)."""

    def __init__(self, db: Database, client: FleetClient) -> None:
        self.db = db
        self.client = client

    async def list_vehicles(self) -> list[FleetVehicle]:
        async with self.db.transaction() as session:
            accounts = [a.id for a in await accounts_repo.of_user(session, None) if a.status == "connected"]
        found: list[FleetVehicle] = []
        for account_id in accounts:
            try:
                listed = await self.client.list_vehicles(account_id)
            except FleetError as exc:
                log.warning("listing the vehicles of Tesla account %s failed: %s", account_id, exc.message)
                continue
            found += [
                FleetVehicle(str(item["vin"]), str(item.get("state", "offline")))
                for item in listed
                if isinstance(item, dict) and item.get("vin")
            ]
        return found

    async def vehicle_data(self, vin: str) -> dict[str, Any] | None:
        async with self.db.transaction() as session:
            vehicle = (await vehicles_repo.by_vins(session, [vin])).get(vin)
        if vehicle is None or vehicle.tesla_account_id is None:
            return None
        try:
            return await self.client.vehicle_data(
                vehicle.tesla_account_id, vin, VEHICLE_DATA_ENDPOINTS.split(";")
            )
        except VehicleAsleep:  # never wake a car to poll it
            return None
        except FleetError as exc:
            raise FleetApiError(exc.message) from None
