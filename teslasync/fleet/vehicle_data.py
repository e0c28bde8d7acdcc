"""The slice of the Fleet API that the polling fallback needs: the vehicle list (which never wakes a car)
and `vehicle_data`. The full client (regions, token refresh, rate limits) implements the same interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

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
