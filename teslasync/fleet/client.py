"""The Fleet API client: one Tesla account's requests, with its token, its region and its failure modes.

Every request goes through the upstream's circuit breaker and unwraps Tesla's `{"response": ...}` envelope.
What is retried, and why it is safe:

- 401: the access token is refreshed once and the request sent again (Tesla refused it before acting);
- 421: the account's region is looked up again and the request sent to the right host (same reason);
- 429: waited out when `Retry-After` is short (`TESLASYNC_FLEET_RETRY_MAX_WAIT_S`), else reported;
- 5xx and timeouts: retried only for requests that change nothing (`idempotent=True`). A command that timed
  out may have reached the car, so it is reported with `outcome_unknown`, never sent twice.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from teslasync.config import Settings
from teslasync.fleet.accounts import AccountError, TeslaAccounts
from teslasync.fleet.breaker import Breakers, CircuitOpen
from teslasync.fleet.oauth import parse_retry_after

RETRIES = 2  # attempts beyond the first, for what may be retried
BACKOFF_S = 0.5
_BASE_URL_HINT = re.compile(r"use base URL:\s*(https?://\S+)", re.IGNORECASE)


class FleetError(Exception):
    """A Fleet API request failed; `code` is stable, the message says why in plain words."""

    code = "FLEET_ERROR"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class VehicleAsleep(FleetError):
    code = "VEHICLE_ASLEEP"


class FleetRateLimited(FleetError):
    code = "FLEET_RATE_LIMITED"

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message, status=429)
        self.retry_after_s = retry_after_s


class FleetUnauthorized(FleetError):
    code = "TESLA_REAUTH_REQUIRED"


class PartnerNotRegistered(FleetError):
    code = "PARTNER_NOT_REGISTERED"


class WrongRegion(FleetError):
    code = "WRONG_REGION"


class FleetUnavailable(FleetError):
    code = "FLEET_UNAVAILABLE"

    def __init__(self, message: str, *, status: int | None = None, outcome_unknown: bool = False) -> None:
        super().__init__(message, status=status)
        self.outcome_unknown = outcome_unknown


class FleetRefused(FleetError):
    code = "FLEET_REFUSED"


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, Mapping):
        for key in ("error_description", "error", "reason"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])[:300]
    return response.reason_phrase


class FleetClient:
    def __init__(
        self,
        accounts: TeslaAccounts,
        settings: Settings,
        breakers: Breakers,
        *,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.accounts = accounts
        self.settings = settings
        self.breakers = breakers
        timeout = httpx.Timeout(settings.fleet_timeout_s)
        self._http = http or httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._proxy_http: httpx.AsyncClient | None = None
        if settings.command_proxy_url:
            verify: ssl.SSLContext | bool = True
            if settings.command_proxy_ca_file is not None:
                verify = ssl.create_default_context(cafile=str(settings.command_proxy_ca_file))
            self._proxy_http = httpx.AsyncClient(timeout=timeout, verify=verify, follow_redirects=False)

    @property
    def has_proxy(self) -> bool:
        return self._proxy_http is not None

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._proxy_http is not None:
            await self._proxy_http.aclose()

    # -- endpoints ---------------------------------------------------------------------------------------

    async def list_vehicles(self, account_id: int) -> list[dict[str, Any]]:
        """Every vehicle of the account with its state; never wakes a car."""
        found = await self.request(account_id, "GET", "/api/1/vehicles", idempotent=True)
        return list(found) if isinstance(found, list) else []

    async def vehicle(self, account_id: int, vin: str) -> dict[str, Any]:
        return dict(await self.request(account_id, "GET", f"/api/1/vehicles/{vin}", idempotent=True))

    async def vehicle_data(self, account_id: int, vin: str, endpoints: Sequence[str]) -> dict[str, Any]:
        params = {"endpoints": ";".join(endpoints)} if endpoints else None
        path = f"/api/1/vehicles/{vin}/vehicle_data"
        return dict(await self.request(account_id, "GET", path, params=params, idempotent=True))

    async def wake_up(self, account_id: int, vin: str) -> dict[str, Any]:
        # a wake is billed, and waking twice does no harm: still, it is not retried on a timeout
        return dict(
            await self.request(account_id, "POST", f"/api/1/vehicles/{vin}/wake_up", idempotent=False)
        )

    async def fleet_status(self, account_id: int, vins: Sequence[str]) -> dict[str, Any]:
        body = {"vins": list(vins)}
        path = "/api/1/vehicles/fleet_status"
        return dict(await self.request(account_id, "POST", path, json=body, idempotent=True))

    async def nearby_charging_sites(self, account_id: int, vin: str) -> dict[str, Any]:
        path = f"/api/1/vehicles/{vin}/nearby_charging_sites"
        return dict(await self.request(account_id, "GET", path, idempotent=True))

    async def release_notes(self, account_id: int, vin: str) -> dict[str, Any]:
        path = f"/api/1/vehicles/{vin}/release_notes"
        return dict(await self.request(account_id, "GET", path, idempotent=True))

    async def telemetry_config(self, account_id: int, vin: str) -> dict[str, Any]:
        path = f"/api/1/vehicles/{vin}/fleet_telemetry_config"
        return dict(await self.request(account_id, "GET", path, idempotent=True))

    async def configure_telemetry(self, account_id: int, body: Mapping[str, object]) -> dict[str, Any]:
        """The configuration must be signed with the app's key: only the vehicle-command proxy can."""
        if not self.has_proxy:
            raise FleetRefused(
                "configuring Fleet Telemetry needs the vehicle-command proxy (TESLASYNC_COMMAND_PROXY_URL)"
            )
        path = "/api/1/vehicles/fleet_telemetry_config"
        return dict(await self.request(account_id, "POST", path, json=body, proxy=True, idempotent=True))

    async def delete_telemetry_config(self, account_id: int, vin: str) -> dict[str, Any]:
        path = f"/api/1/vehicles/{vin}/fleet_telemetry_config"
        return dict(await self.request(account_id, "DELETE", path, idempotent=True))

    async def telemetry_errors(self, account_id: int) -> dict[str, Any]:
        path = "/api/1/partner_accounts/fleet_telemetry_errors"
        return dict(await self.request(account_id, "GET", path, idempotent=True))

    async def command(
        self, account_id: int, vin: str, name: str, body: Mapping[str, object], *, signed: bool
    ) -> dict[str, Any]:
        """Send a command: through the proxy when it is signed and a proxy is configured."""
        path = f"/api/1/vehicles/{vin}/command/{name}"
        proxy = signed and self.has_proxy
        return dict(
            await self.request(account_id, "POST", path, json=dict(body), proxy=proxy, idempotent=False)
        )

    # -- the request loop ---------------------------------------------------------------------------------

    async def request(
        self,
        account_id: int,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        proxy: bool = False,
        idempotent: bool,
    ) -> Any:
        refreshed = rerouted = False
        attempt = 0
        while True:
            base = self.settings.command_proxy_url if proxy else await self._base_url(account_id)
            assert base is not None
            token = await self._token(account_id)
            breaker = self.breakers.get("command-proxy" if proxy else base)
            try:
                breaker.before_call()
            except CircuitOpen as exc:
                raise FleetUnavailable(str(exc)) from None
            http = self._proxy_http if proxy and self._proxy_http is not None else self._http
            try:
                response = await http.request(
                    method,
                    base.rstrip("/") + path,
                    json=json,
                    params=params,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                breaker.record_failure()
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
                if idempotent and attempt < RETRIES:
                    attempt += 1
                    await asyncio.sleep(BACKOFF_S * attempt)
                    continue
                raise FleetUnavailable(
                    f"Tesla {kind}" + ("; the car may have acted on it" if not idempotent else ""),
                    outcome_unknown=not idempotent,
                ) from None
            status = response.status_code
            if status < 400:
                breaker.record_success()
                return self._unwrap(response)
            if status >= 500:
                breaker.record_failure()
                if idempotent and attempt < RETRIES:
                    attempt += 1
                    await asyncio.sleep(BACKOFF_S * attempt)
                    continue
                raise FleetUnavailable(f"Tesla answered {status}: {_error_text(response)}", status=status)
            breaker.release()  # a 4xx says nothing about the upstream's health
            if status == 401 and not refreshed:
                refreshed = True
                await self._refresh(account_id)
                continue
            if status == 421 and not rerouted and not proxy:
                rerouted = True
                await self._reroute(account_id, response)
                continue
            if status == 429:
                wait = parse_retry_after(response.headers.get("retry-after"))
                if wait is not None and wait <= self.settings.fleet_retry_max_wait_s and attempt < RETRIES:
                    attempt += 1
                    await asyncio.sleep(wait)
                    continue
                raise FleetRateLimited(f"Tesla's rate limit: retry in {wait or '?'} s", wait)
            raise self._error(response)

    @staticmethod
    def _unwrap(response: httpx.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise FleetUnavailable(
                "Tesla answered with something that is not JSON", status=response.status_code
            ) from None
        if isinstance(body, Mapping) and "response" in body:
            return body["response"]
        return body

    @staticmethod
    def _error(response: httpx.Response) -> FleetError:
        status, text = response.status_code, _error_text(response)
        if status == 401:
            return FleetUnauthorized(
                "Tesla refused the account's token even after a refresh: connect again", status=401
            )
        if status == 408:
            return VehicleAsleep("the car is asleep or offline", status=408)
        if status == 412:
            return PartnerNotRegistered(
                "the developer app is not registered in this region (partner_accounts)", status=412
            )
        if status in (421, 451):
            return WrongRegion(f"wrong region or privacy settings: {text}", status=status)
        return FleetRefused(f"Tesla refused it ({status}): {text}", status=status)

    async def _token(self, account_id: int) -> str:
        try:
            return (await self.accounts.access_token(account_id)).reveal()
        except AccountError as exc:
            raise FleetUnauthorized(str(exc)) from None

    async def _refresh(self, account_id: int) -> None:
        try:
            await self.accounts.refresh(account_id, force=True)
        except AccountError as exc:
            raise FleetUnauthorized(str(exc)) from None

    async def _base_url(self, account_id: int) -> str:
        return await self.accounts.base_url(account_id)

    async def _reroute(self, account_id: int, response: httpx.Response) -> None:
        """Tesla says the account lives in another region: follow its hint, else ask again."""
        hint = _BASE_URL_HINT.search(_error_text(response))
        await self.accounts.rediscover(account_id, hint.group(1).rstrip("/.,") if hint else None)
