"""A fake Tesla Fleet API and a fake vehicle-command proxy, served over real HTTP(S) on loopback ports.

    async with fake_fleet(cars=[FakeCar(VIN, state="asleep")], authorised=tesla.is_live_access_token) as fleet:
        async with fake_proxy(fleet, tmp_path) as proxy:
            fleet.base_url            # http://127.0.0.1:<port>; region base URLs are f"{fleet.base_url}/{region}"
            proxy.url, proxy.ca_file  # https://127.0.0.1:<port>, and the CA that signed its certificate

Both servers share one `FakeFleet`: its cars, request log, injected failures and expired tokens.

**Fleet API** (`fleet.asgi()`): every route is served at `/api/1/...` and at `/{region}/api/1/...`. A region
prefix other than `fleet.region` gets 421 `{"error": "user out of region, use base URL: <base>/<region>"}`
(no Alt-Svc); an unprefixed path counts as the right region. Every request needs `Authorization: Bearer <t>`
where `fleet.authorised(t)` holds and `t` was not passed to `fleet.expire` (401 otherwise). Routes:

- `GET /api/1/users/region`: `{"region", "fleet_api_base_url"}` (answered under any region prefix).
- `GET /api/1/vehicles[?page&per_page]`: the cars with their state; never wakes anything.
- `GET /api/1/vehicles/{vin or id}`: one car; a *poll*: after `wake_up`, each poll counts down the car's
  `wake_after_polls`, and the poll that reaches 0 already reports `online`.
- `GET .../vehicle_data?endpoints=a;b`: 408 unless online; 400 for an unknown endpoint name. Location
  fields of `drive_state` only come with `location_data`, as since firmware 2023.38. `car.data` overrides
  section values, e.g. `{"charge_state": {"battery_level": 55}}`.
- `POST .../wake_up`: the car as it is now (still asleep), counting `fleet.wake_calls` and `car.wake_calls`.
- `POST /api/1/vehicles/fleet_status {"vins"}`, `GET .../nearby_charging_sites` (408 unless online),
  `GET .../release_notes`, `GET|DELETE .../fleet_telemetry_config`,
  `GET /api/1/partner_accounts/fleet_telemetry_errors` (`fleet.telemetry_errors`).
- `POST /api/1/vehicles/fleet_telemetry_config`: 400, it must be signed (sent through the proxy).
- `POST .../command/{name}`: 408 unless online; 403 "Tesla Vehicle Command Protocol required..." when the car
  has `command_protocol_required` (except the server-side `REST_ONLY_COMMANDS`); else recorded unsigned.
- Unknown VIN or id: 404 `{"error": "not_found"}`; unknown path: 404; wrong method: 405.

Error bodies look like Tesla's: `{"response": null, "error": "...", "error_description": ""}`.

**Proxy** (`fake_proxy(fleet, tmp_dir)`, HTTPS only, like tesla-http-proxy): `GET /health` (no auth); any
other request without a Bearer header gets 403 `{"error": "client did not provide an OAuth token"}` as from
the real proxy. `POST /api/1/vehicles/{VIN}/command/{name}`: 404 unless the VIN has 17 characters (the real
proxy's message), then, one command at a time per VIN (an `asyncio.Lock` each): 401 as above, 404 unknown
VIN, 408 unless online, 500 "vehicle rejected request: your public key has not been paired with the
vehicle" when `key_paired` is False, else recorded with signed=True. `POST /api/1/vehicles/fleet_telemetry_config
{"vins", "config"}` validates the config (hostname, ca, port, fields) and stores it unsynced on each paired
car. Everything else is answered by the Fleet API logic above (unprefixed paths only), logged with via="proxy".

**Failure injection**: `fleet.fail(path_suffix, count, status=503, retry_after=None, body=None, delay_s=0)`:
the next `count` requests (to either server) whose path ends with `path_suffix` answer that, before
anything else is looked at (auth, routing, state). `fleet.expire(token)` makes a token get
401 `{"error": "token expired (401)"}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import ipaddress
import json
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.live_server import serve

DEFAULT_FIRMWARE = "2025.2.6"
VIN_LENGTH = 17
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

VEHICLE_DATA_ENDPOINTS = frozenset(
    {
        "charge_state",
        "climate_state",
        "closures_state",
        "drive_state",
        "gui_settings",
        "location_data",
        "charge_schedule_data",
        "preconditioning_schedule_data",
        "vehicle_config",
        "vehicle_state",
        "vehicle_data_combo",
    }
)
# What vehicle_data returns when no endpoints are named (no location since firmware 2023.38).
DEFAULT_ENDPOINTS = (
    "charge_state",
    "climate_state",
    "drive_state",
    "gui_settings",
    "vehicle_config",
    "vehicle_state",
)
LOCATION_KEYS = frozenset(
    {
        "latitude",
        "longitude",
        "heading",
        "gps_as_of",
        "native_latitude",
        "native_longitude",
        "native_location_supported",
        "native_type",
        "active_route_latitude",
        "active_route_longitude",
    }
)
# Commands Tesla carries out server-side: the real proxy forwards them unsigned (ErrCommandUseRESTAPI).
REST_ONLY_COMMANDS = frozenset(
    {
        "navigation_request",
        "set_managed_charge_current_request",
        "set_managed_charger_location",
        "set_managed_scheduled_charging_time",
    }
)

UNAVAILABLE = "vehicle unavailable: vehicle is offline or asleep"
PROTOCOL_REQUIRED = (
    "Tesla Vehicle Command Protocol required, please refer to the documentation here: "
    "https://developer.tesla.com/docs/fleet-api#2023-10-09-rest-api-vehicle-commands-endpoint-deprecation-warning"
)
MUST_BE_SIGNED = "fleet_telemetry_config must be signed: send it through the vehicle-command proxy"
TOKEN_EXPIRED = "token expired (401)"
INVALID_TOKEN = "invalid bearer token"
MISSING_TOKEN = "missing bearer token"
PROXY_NO_TOKEN = "client did not provide an OAuth token"
PROXY_BAD_VIN = "expected 17-character VIN in path (do not user Fleet API ID)"  # sic, the real proxy's text
KEY_NOT_PAIRED = "vehicle rejected request: your public key has not been paired with the vehicle"
OK_RESULT: dict[str, Any] = {"response": {"result": True, "reason": ""}}


@dataclass
class FakeCar:
    vin: str
    state: str = "online"  # "online" | "asleep" | "offline"
    wake_after_polls: int = 1  # after wake_up, GET /api/1/vehicles/{vin} polls until it reports online
    commands: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)  # (name, body, signed)
    telemetry_config: dict[str, Any] | None = None
    telemetry_synced: bool = False
    key_paired: bool = True
    command_protocol_required: bool = True
    wakeable: bool = True  # False: wake_up is accepted but the car never comes online
    display_name: str = ""
    firmware_version: str = DEFAULT_FIRMWARE
    data: dict[str, dict[str, Any]] = field(default_factory=dict)  # vehicle_data section overrides
    id: int = 0  # 0: assigned by the FakeFleet
    vehicle_id: int = 0
    wake_calls: int = 0
    polls_until_online: int | None = None  # the countdown started by wake_up


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any  # the parsed JSON body; None when empty; the raw text when it is not JSON
    authorization: str | None
    via: str  # "fleet" or "proxy"
    status: int = 0


@dataclass
class InjectedFailure:
    path_suffix: str
    remaining: int
    status: int
    retry_after: str | None
    body: dict[str, Any]
    delay_s: float


def _any_token(token: str) -> bool:
    return bool(token)


Handler = Callable[[LoggedRequest, list[str]], Awaitable[Response]]


@dataclass
class FakeFleet:
    region: str = "na"
    cars: dict[str, FakeCar] = field(default_factory=dict)  # a list of FakeCar is accepted too
    authorised: Callable[[str], bool] = _any_token
    telemetry_errors: list[dict[str, Any]] = field(default_factory=list)
    command_delay_s: float = 0.0  # how long a car takes to carry out a command

    base_url: str = ""  # set once serving
    requests: list[LoggedRequest] = field(default_factory=list)
    wake_calls: int = 0
    expired_tokens: set[str] = field(default_factory=set)
    failures: list[InjectedFailure] = field(default_factory=list)
    # (vin, name, body, signed) for every command carried out, across cars, in order
    command_log: list[tuple[str, str, dict[str, Any], bool]] = field(default_factory=list)
    max_in_flight: dict[str, int] = field(default_factory=dict)  # most commands one VIN had at once
    _in_flight: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        given = self.cars.values() if isinstance(self.cars, dict) else self.cars
        self.cars = {}
        for car in given:
            self._adopt(car)

    # --- set-up and inspection -----------------------------------------------------------------------

    def add_car(self, vin: str, **fields: Any) -> FakeCar:
        return self._adopt(FakeCar(vin, **fields))

    def _adopt(self, car: FakeCar) -> FakeCar:
        number = len(self.cars) + 1
        car.id = car.id or 1_492_931_000 + number
        car.vehicle_id = car.vehicle_id or 870_000_000 + number
        car.display_name = car.display_name or f"Fake Car {number}"
        self.cars[car.vin] = car
        return car

    def car(self, vin: str) -> FakeCar:
        return self.cars[vin]

    def region_base_url(self, region: str | None = None) -> str:
        return f"{self.base_url}/{region or self.region}"

    @property
    def region_base_urls(self) -> dict[str, str]:
        """A base URL per region, as `Endpoints.region_base_urls` wants them; only `self.region`'s answers."""
        return {region: self.region_base_url(region) for region in ("na", "eu", "cn")}

    def fail(
        self,
        path_suffix: str,
        count: int = 1,
        *,
        status: int = 503,
        retry_after: str | None = None,
        body: dict[str, Any] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        """The next `count` requests whose path ends with `path_suffix` answer `status` (after `delay_s`)."""
        if body is None:
            body = _error_body(_phrase(status))
        self.failures.append(InjectedFailure(path_suffix, count, status, retry_after, body, delay_s))

    def expire(self, token: str) -> None:
        self.expired_tokens.add(token)

    def sync(self, vin: str) -> None:
        """The car has fetched its telemetry config."""
        self.cars[vin].telemetry_synced = True

    def sleep(self, vin: str, state: str = "asleep") -> None:
        car = self.cars[vin]
        car.state, car.polls_until_online = state, None

    def requests_to(self, path_suffix: str, via: str | None = None) -> list[LoggedRequest]:
        return [
            entry
            for entry in self.requests
            if entry.path.endswith(path_suffix) and (via is None or entry.via == via)
        ]

    # --- the two ASGI apps ---------------------------------------------------------------------------

    def asgi(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._fleet_endpoint, methods=METHODS)])

    def proxy_asgi(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._proxy_endpoint, methods=METHODS)])

    async def _fleet_endpoint(self, request: Request) -> Response:
        entry = await self._log(request, "fleet")
        if (injected := await self._injected(entry, request)) is not None:
            return injected
        region, path = _split_region(entry.path)
        if path is None:
            return _error(entry, 404, "not_found")
        if (problem := self._auth_problem(entry)) is not None:
            return problem
        if region is not None and region != self.region and path != "/api/1/users/region":
            message = f"user out of region, use base URL: {self.region_base_url()}"
            return _error(entry, 421, message)
        return await self._route(entry, path)

    async def _proxy_endpoint(self, request: Request) -> Response:
        entry = await self._log(request, "proxy")
        if (injected := await self._injected(entry, request)) is not None:
            return injected
        if entry.path == "/health":
            entry.status = 200
            return PlainTextResponse("OK")
        scheme, _, token = (entry.authorization or "").partition(" ")
        if scheme != "Bearer" or not token.strip():
            return _error(entry, 403, PROXY_NO_TOKEN)
        parts = entry.path.split("/")
        if entry.path.startswith("/api/1/vehicles/"):
            if len(parts) == 7 and parts[5] == "command":
                return await self._proxy_command(entry, parts[4], parts[6])
            if len(parts) == 5 and parts[4] == "fleet_telemetry_config":
                return self._proxy_telemetry_config(entry)
        if (problem := self._auth_problem(entry)) is not None:
            return problem
        if not entry.path.startswith("/api/"):
            return _error(entry, 404, "not_found")
        return await self._route(entry, entry.path)

    async def _log(self, request: Request, via: str) -> LoggedRequest:
        raw = await request.body()
        body: Any = None
        if raw:
            text = raw.decode(errors="replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        entry = LoggedRequest(
            request.method,
            request.url.path,
            dict(request.query_params),
            body,
            request.headers.get("authorization"),
            via,
        )
        self.requests.append(entry)
        return entry

    async def _injected(self, entry: LoggedRequest, request: Request) -> Response | None:
        failure = next(
            (f for f in self.failures if f.remaining > 0 and entry.path.endswith(f.path_suffix)), None
        )
        if failure is None:
            return None
        failure.remaining -= 1
        if failure.delay_s > 0:
            with contextlib.suppress(TimeoutError):  # a client that gives up ends the wait
                await asyncio.wait_for(_disconnected(request), failure.delay_s)
        headers = {} if failure.retry_after is None else {"Retry-After": failure.retry_after}
        return _answer(entry, failure.status, copy.deepcopy(failure.body), headers)

    def _auth_problem(self, entry: LoggedRequest) -> Response | None:
        scheme, _, token = (entry.authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _error(entry, 401, MISSING_TOKEN)
        if token in self.expired_tokens:
            return _error(entry, 401, TOKEN_EXPIRED)
        if not self.authorised(token):
            return _error(entry, 401, INVALID_TOKEN)
        return None

    # --- Fleet API routes ----------------------------------------------------------------------------

    def _routes(self) -> list[tuple[str, tuple[str, ...], Handler]]:
        """(method, path segments after /api/1, handler); "*" matches one segment, passed as an argument."""
        return [
            ("GET", ("users", "region"), self._users_region),
            ("GET", ("vehicles",), self._list),
            ("POST", ("vehicles", "fleet_status"), self._fleet_status),
            ("POST", ("vehicles", "fleet_telemetry_config"), self._unsigned_telemetry_config),
            ("GET", ("partner_accounts", "fleet_telemetry_errors"), self._telemetry_errors),
            ("GET", ("vehicles", "*"), self._vehicle),
            ("GET", ("vehicles", "*", "vehicle_data"), self._vehicle_data),
            ("POST", ("vehicles", "*", "wake_up"), self._wake_up),
            ("GET", ("vehicles", "*", "nearby_charging_sites"), self._nearby_charging_sites),
            ("GET", ("vehicles", "*", "release_notes"), self._release_notes),
            ("GET", ("vehicles", "*", "fleet_telemetry_config"), self._get_telemetry_config),
            ("DELETE", ("vehicles", "*", "fleet_telemetry_config"), self._delete_telemetry_config),
            ("POST", ("vehicles", "*", "command", "*"), self._fleet_command),
        ]

    async def _route(self, entry: LoggedRequest, path: str) -> Response:
        if not path.startswith("/api/1/"):
            return _error(entry, 404, "not_found")
        segments = path.removeprefix("/api/1/").rstrip("/").split("/")
        method_mismatch = False
        for method, pattern, handler in self._routes():
            args = _match(pattern, segments)
            if args is None:
                continue
            if method != entry.method:
                method_mismatch = True
                continue
            return await handler(entry, args)
        if method_mismatch:
            return _error(entry, 405, "method not allowed")
        return _error(entry, 404, "not_found")

    def _find(self, tag: str) -> FakeCar | None:
        if (car := self.cars.get(tag)) is not None:
            return car
        return next((car for car in self.cars.values() if str(car.id) == tag), None)

    async def _users_region(self, entry: LoggedRequest, args: list[str]) -> Response:
        body = {"region": self.region, "fleet_api_base_url": self.region_base_url()}
        return _answer(entry, 200, {"response": body})

    async def _list(self, entry: LoggedRequest, args: list[str]) -> Response:
        try:
            page = max(1, int(entry.query.get("page", "1")))
            per_page = max(1, int(entry.query.get("per_page", "100")))
        except ValueError:
            return _error(entry, 400, "page and per_page must be integers")
        cars = list(self.cars.values())
        shown = cars[(page - 1) * per_page : page * per_page]
        return _answer(entry, 200, {"response": [_vehicle_json(car) for car in shown], "count": len(cars)})

    async def _vehicle(self, entry: LoggedRequest, args: list[str]) -> Response:
        if (car := self._find(args[0])) is None:
            return _error(entry, 404, "not_found")
        if car.polls_until_online is not None:
            car.polls_until_online -= 1
            if car.polls_until_online <= 0:
                car.state, car.polls_until_online = "online", None
        return _answer(entry, 200, {"response": _vehicle_json(car)})

    async def _vehicle_data(self, entry: LoggedRequest, args: list[str]) -> Response:
        if (car := self._find(args[0])) is None:
            return _error(entry, 404, "not_found")
        asked = [name for name in entry.query.get("endpoints", "").split(";") if name]
        if unknown := [name for name in asked if name not in VEHICLE_DATA_ENDPOINTS]:
            return _error(entry, 400, f"invalid endpoints: {';'.join(unknown)}")
        if car.state != "online":
            return _error(entry, 408, UNAVAILABLE)
        return _answer(entry, 200, {"response": _vehicle_data(car, asked)})

    async def _wake_up(self, entry: LoggedRequest, args: list[str]) -> Response:
        if (car := self._find(args[0])) is None:
            return _error(entry, 404, "not_found")
        self.wake_calls += 1
        car.wake_calls += 1
        if car.state != "online" and car.wakeable and car.polls_until_online is None:
            if car.wake_after_polls <= 0:
                car.state = "online"
            else:
                car.polls_until_online = car.wake_after_polls
        return _answer(entry, 200, {"response": _vehicle_json(car)})

    async def _fleet_status(self, entry: LoggedRequest, args: list[str]) -> Response:
        vins = entry.body.get("vins") if isinstance(entry.body, dict) else None
        if not isinstance(vins, list) or not all(isinstance(vin, str) for vin in vins):
            return _error(entry, 400, "vins must be a list of VINs")
        cars = [self.cars[vin] for vin in vins if vin in self.cars]
        response = {
            "key_paired_vins": [car.vin for car in cars if car.key_paired],
            "unpaired_vins": [car.vin for car in cars if not car.key_paired],
            "vehicle_info": {
                car.vin: {
                    "firmware_version": car.firmware_version,
                    "vehicle_command_protocol_required": car.command_protocol_required,
                    "fleet_telemetry_version": "1.0.0",
                }
                for car in cars
            },
        }
        return _answer(entry, 200, {"response": response})

    async def _nearby_charging_sites(self, entry: LoggedRequest, args: list[str]) -> Response:
        if (car := self._find(args[0])) is None:
            return _error(entry, 404, "not_found")
        if car.state != "online":
            return _error(entry, 408, UNAVAILABLE)
        try:
            count = int(entry.query.get("count", "40"))
        except ValueError:
            return _error(entry, 400, "count must be an integer")
        return _answer(entry, 200, {"response": _charging_sites(count)})

    async def _release_notes(self, entry: LoggedRequest, args: list[str]) -> Response:
        if (car := self._find(args[0])) is None:
            return _error(entry, 404, "not_found")
        note = {
            "title": "Scheduled Departure",
            "subtitle": "Charging",
            "description": "Set a departure time and your car will be ready to go.",
            "customer_version": car.firmware_version,
            "icon": "release_notes_icon",
            "image_url": "",
            "light_image_url": "",
        }
        return _answer(entry, 200, {"response": {"release_notes": [note]}})

    async def _get_telemetry_config(self, entry: LoggedRequest, args: list[str]) -> Response:
        if (car := self._find(args[0])) is None:
            return _error(entry, 404, "not_found")
        config = copy.deepcopy(car.telemetry_config)
        return _answer(entry, 200, {"response": {"synced": car.telemetry_synced, "config": config}})

    async def _delete_telemetry_config(self, entry: LoggedRequest, args: list[str]) -> Response:
        if (car := self._find(args[0])) is None:
            return _error(entry, 404, "not_found")
        updated = int(car.telemetry_config is not None)
        car.telemetry_config, car.telemetry_synced = None, False
        return _answer(entry, 200, {"response": {"updated_vehicles": updated}})

    async def _unsigned_telemetry_config(self, entry: LoggedRequest, args: list[str]) -> Response:
        return _error(entry, 400, MUST_BE_SIGNED)

    async def _telemetry_errors(self, entry: LoggedRequest, args: list[str]) -> Response:
        errors = copy.deepcopy(self.telemetry_errors)
        return _answer(entry, 200, {"response": {"fleet_telemetry_errors": errors}})

    async def _fleet_command(self, entry: LoggedRequest, args: list[str]) -> Response:
        tag, name = args
        if (car := self._find(tag)) is None:
            return _error(entry, 404, "not_found")
        if (body := _command_body(entry)) is None:
            return _error(entry, 400, "the body must be a JSON object")
        if car.state != "online":
            return _error(entry, 408, UNAVAILABLE)
        if car.command_protocol_required and name not in REST_ONLY_COMMANDS:
            return _error(entry, 403, PROTOCOL_REQUIRED)
        await self._carry_out(car, name, body, signed=False)
        return _answer(entry, 200, copy.deepcopy(OK_RESULT))

    async def _carry_out(self, car: FakeCar, name: str, body: dict[str, Any], *, signed: bool) -> None:
        self._in_flight[car.vin] = in_flight = self._in_flight.get(car.vin, 0) + 1
        self.max_in_flight[car.vin] = max(self.max_in_flight.get(car.vin, 0), in_flight)
        try:
            if self.command_delay_s > 0:
                await asyncio.sleep(self.command_delay_s)
            car.commands.append((name, body, signed))
            self.command_log.append((car.vin, name, body, signed))
        finally:
            self._in_flight[car.vin] -= 1

    # --- proxy-only routes ---------------------------------------------------------------------------

    async def _proxy_command(self, entry: LoggedRequest, vin: str, name: str) -> Response:
        if len(vin) != VIN_LENGTH:
            return _error(entry, 404, PROXY_BAD_VIN)
        if entry.method != "POST":
            return _error(entry, 405, "Method Not Allowed")
        if name in REST_ONLY_COMMANDS:  # the real proxy forwards these to the Fleet API unsigned
            if (problem := self._auth_problem(entry)) is not None:
                return problem
            return await self._fleet_command(entry, [vin, name])
        if (body := _command_body(entry)) is None:
            return _error(entry, 400, "error occurred while parsing request parameters")
        async with self._locks.setdefault(vin, asyncio.Lock()):
            if (problem := self._auth_problem(entry)) is not None:
                return problem
            if (car := self.cars.get(vin)) is None:
                return _error(entry, 404, "not_found")
            if car.state != "online":
                return _error(entry, 408, UNAVAILABLE)
            if not car.key_paired:
                return _error(entry, 500, KEY_NOT_PAIRED)
            await self._carry_out(car, name, body, signed=True)
            return _answer(entry, 200, copy.deepcopy(OK_RESULT))

    def _proxy_telemetry_config(self, entry: LoggedRequest) -> Response:
        if entry.method != "POST":
            return _error(entry, 405, "Method Not Allowed")
        if not isinstance(entry.body, dict):
            return _error(entry, 400, "could not parse JSON body")
        vins, config = entry.body.get("vins"), entry.body.get("config")
        if not isinstance(vins, list) or not vins or not all(isinstance(vin, str) for vin in vins):
            return _error(entry, 400, "vins must be a non-empty list of VINs")
        if (problem := _config_problem(config)) is not None:
            return _error(entry, 400, f"invalid fleet_telemetry_config: {problem}")
        if (auth := self._auth_problem(entry)) is not None:
            return auth
        assert isinstance(config, dict)
        updated, missing_key = 0, []
        for vin in vins:
            if (car := self.cars.get(vin)) is None:
                continue
            if not car.key_paired:
                missing_key.append(vin)
                continue
            car.telemetry_config, car.telemetry_synced = copy.deepcopy(config), False
            updated += 1
        skipped = {
            "missing_key": missing_key,
            "unsupported_hardware": [],
            "unsupported_firmware": [],
            "max_configs": [],
        }
        return _answer(entry, 200, {"response": {"updated_vehicles": updated, "skipped_vehicles": skipped}})


# --- helpers ---------------------------------------------------------------------------------------------


def _split_region(path: str) -> tuple[str | None, str | None]:
    """("eu", "/api/1/x") for "/eu/api/1/x", (None, "/api/1/x") for "/api/1/x", (None, None) otherwise."""
    if path.startswith("/api/"):
        return None, path
    _, _, rest = path.partition("/")
    region, slash, tail = rest.partition("/")
    if region and slash and tail.startswith("api/"):
        return region, "/" + tail
    return None, None


def _match(pattern: tuple[str, ...], segments: list[str]) -> list[str] | None:
    if len(pattern) != len(segments):
        return None
    args = []
    for expected, segment in zip(pattern, segments, strict=True):
        if expected == "*":
            if not segment:
                return None
            args.append(segment)
        elif expected != segment:
            return None
    return args


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _command_body(entry: LoggedRequest) -> dict[str, Any] | None:
    if entry.body is None:
        return {}
    return entry.body if isinstance(entry.body, dict) else None


def _config_problem(config: Any) -> str | None:
    if not isinstance(config, dict):
        return "config must be an object"
    missing = [key for key in ("hostname", "ca", "port", "fields") if key not in config]
    if missing:
        return "missing " + ", ".join(missing)
    if not isinstance(config["hostname"], str) or not config["hostname"]:
        return "hostname must be a non-empty string"
    if not isinstance(config["ca"], str) or "BEGIN CERTIFICATE" not in config["ca"]:
        return "ca must be a PEM certificate chain"
    if (
        isinstance(config["port"], bool)
        or not isinstance(config["port"], int)
        or not 0 < config["port"] < 65536
    ):
        return "port must be an integer between 1 and 65535"
    if not isinstance(config["fields"], dict) or not config["fields"]:
        return "fields must be a non-empty object"
    return None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "injected failure"


def _error_body(message: str) -> dict[str, Any]:
    return {"response": None, "error": message, "error_description": ""}


def _error(entry: LoggedRequest, status: int, message: str) -> Response:
    return _answer(entry, status, _error_body(message))


def _answer(
    entry: LoggedRequest, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    entry.status = status
    return JSONResponse(body, status_code=status, headers=headers)


def _vehicle_json(car: FakeCar) -> dict[str, Any]:
    return {
        "id": car.id,
        "vehicle_id": car.vehicle_id,
        "vin": car.vin,
        "display_name": car.display_name,
        "color": None,
        "access_type": "OWNER",
        "state": car.state,
        "in_service": False,
        "id_s": str(car.id),
        "calendar_enabled": True,
        "api_version": 80,
        "backseat_token": None,
        "backseat_token_updated_at": None,
    }


def _vehicle_data(car: FakeCar, asked: list[str]) -> dict[str, Any]:
    names = set(asked) if asked else set(DEFAULT_ENDPOINTS)
    if "vehicle_data_combo" in names:
        names |= set(DEFAULT_ENDPOINTS)
    with_location = "location_data" in names
    if with_location:
        names.add("drive_state")
    sections = _sections(car)
    body = _vehicle_json(car)
    for name in sorted(names & sections.keys()):
        section = {**sections[name], **car.data.get(name, {})}
        if name == "drive_state" and not with_location:
            section = {key: value for key, value in section.items() if key not in LOCATION_KEYS}
        body[name] = section
    return body


def _sections(car: FakeCar) -> dict[str, dict[str, Any]]:
    now_ms = int(time.time() * 1000)
    return {
        "charge_state": {
            "battery_heater_on": False,
            "battery_level": 78,
            "usable_battery_level": 77,
            "battery_range": 241.5,  # rated, miles
            "est_battery_range": 203.8,
            "ideal_battery_range": 241.5,
            "charge_energy_added": 12.4,
            "charge_miles_added_rated": 50.0,
            "charge_miles_added_ideal": 50.0,
            "charge_limit_soc": 80,
            "charge_limit_soc_min": 50,
            "charge_limit_soc_max": 100,
            "charge_limit_soc_std": 80,
            "charge_rate": 0.0,
            "charge_amps": 32,
            "charge_current_request": 32,
            "charge_current_request_max": 32,
            "charger_actual_current": 0,
            "charger_pilot_current": 32,
            "charger_voltage": 2,
            "charger_power": 0,
            "charger_phases": None,
            "charging_state": "Disconnected",
            "charge_port_door_open": False,
            "charge_port_latch": "Engaged",
            "conn_charge_cable": "<invalid>",
            "fast_charger_present": False,
            "fast_charger_type": "<invalid>",
            "minutes_to_full_charge": 0,
            "time_to_full_charge": 0.0,
            "scheduled_charging_mode": "Off",
            "scheduled_charging_start_time": None,
            "scheduled_departure_time_minutes": 480,
            "preconditioning_enabled": False,
            "timestamp": now_ms,
        },
        "climate_state": {
            "inside_temp": 21.5,
            "outside_temp": 14.0,
            "driver_temp_setting": 21.0,
            "passenger_temp_setting": 21.0,
            "min_avail_temp": 15.0,
            "max_avail_temp": 28.0,
            "is_climate_on": False,
            "is_auto_conditioning_on": False,
            "is_preconditioning": False,
            "fan_status": 0,
            "seat_heater_left": 0,
            "seat_heater_right": 0,
            "cabin_overheat_protection": "On",
            "climate_keeper_mode": "off",
            "bioweapon_mode": False,
            "defrost_mode": 0,
            "steering_wheel_heat_level": 0,
            "timestamp": now_ms,
        },
        "closures_state": {
            "df": 0,
            "dr": 0,
            "pf": 0,
            "pr": 0,
            "ft": 0,
            "rt": 0,
            "fd_window": 0,
            "fp_window": 0,
            "rd_window": 0,
            "rp_window": 0,
            "locked": True,
            "timestamp": now_ms,
        },
        "drive_state": {
            "latitude": 37.4925,
            "longitude": -121.9447,
            "heading": 185,
            "gps_as_of": now_ms // 1000,
            "native_latitude": 37.4925,
            "native_longitude": -121.9447,
            "native_location_supported": 1,
            "native_type": "wgs",
            "power": 0,
            "shift_state": None,
            "speed": None,
            "timestamp": now_ms,
        },
        "gui_settings": {
            "gui_24_hour_time": False,
            "gui_charge_rate_units": "mi/hr",
            "gui_distance_units": "mi/hr",
            "gui_range_display": "Rated",
            "gui_temperature_units": "F",
            "gui_tirepressure_units": "Psi",
            "show_range_units": False,
            "timestamp": now_ms,
        },
        "vehicle_config": {
            "car_type": "model3",
            "trim_badging": "74d",
            "exterior_color": "MidnightSilver",
            "wheel_type": "Pinwheel18CapKit",
            "charge_port_type": "US",
            "rhd": False,
            "eu_vehicle": False,
            "can_actuate_trunks": True,
            "utc_offset": -28800,
            "timestamp": now_ms,
        },
        "vehicle_state": {
            "api_version": 80,
            "car_version": f"{car.firmware_version} 8d6a7ef1e0a4",
            "odometer": 15720.4,  # miles
            "locked": True,
            "sentry_mode": False,
            "valet_mode": False,
            "is_user_present": False,
            "vehicle_name": car.display_name,
            "df": 0,
            "dr": 0,
            "pf": 0,
            "pr": 0,
            "ft": 0,
            "rt": 0,
            "fd_window": 0,
            "fp_window": 0,
            "rd_window": 0,
            "rp_window": 0,
            "tpms_pressure_fl": 2.9,  # bar
            "tpms_pressure_fr": 2.9,
            "tpms_pressure_rl": 2.95,
            "tpms_pressure_rr": 2.95,
            "software_update": {
                "status": "",
                "version": " ",
                "download_perc": 0,
                "install_perc": 1,
                "expected_duration_sec": 2700,
            },
            "timestamp": now_ms,
        },
        "charge_schedule_data": {
            "charge_schedules": [],
            "max_num_charge_schedules": 10,
            "next_schedule": False,
        },
        "preconditioning_schedule_data": {
            "precondition_schedules": [],
            "max_num_precondition_schedules": 10,
            "next_schedule": False,
        },
    }


def _charging_sites(count: int) -> dict[str, Any]:
    destination = [
        {
            "location": {"lat": 37.7975, "long": -122.4055},
            "name": "Hotel Example - San Francisco",
            "type": "destination",
            "distance_miles": 1.35,
            "amenities": "restrooms,wifi,lodging",
        },
    ]
    superchargers = [
        {
            "location": {"lat": 37.4856, "long": -121.9446},
            "name": "Fremont, CA - Auto Mall Parkway",
            "type": "supercharger",
            "distance_miles": 0.62,
            "available_stalls": 5,
            "total_stalls": 12,
            "site_closed": False,
            "amenities": "restrooms,wifi",
            "billing_info": "",
        },
        {
            "location": {"lat": 37.5245, "long": -122.0063},
            "name": "Newark, CA - Stevenson Boulevard",
            "type": "supercharger",
            "distance_miles": 3.1,
            "available_stalls": 0,
            "total_stalls": 8,
            "site_closed": False,
            "amenities": "restrooms,restaurant",
            "billing_info": "",
        },
    ]
    return {
        "congestion_sync_time_utc_secs": int(time.time()),
        "destination_charging": destination[: max(count, 0)],
        "superchargers": superchargers[: max(count, 0)],
        "timestamp": int(time.time() * 1000),
    }


# --- serving ---------------------------------------------------------------------------------------------


@asynccontextmanager
async def fake_fleet(**config: Any) -> AsyncIterator[FakeFleet]:
    """A `FakeFleet(**config)` served over plain HTTP on a free loopback port until the block ends."""
    fleet = FakeFleet(**config)
    async with serve(fleet.asgi()) as port:
        fleet.base_url = f"http://127.0.0.1:{port}"
        yield fleet


@dataclass
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path


def write_tls_files(directory: Path) -> TlsFiles:
    """A throwaway CA (ca.pem) and a certificate for 127.0.0.1 and localhost it signed (cert.pem, key.pem)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TeslaSync test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.key_file.chmod(0o600)
    return files


@dataclass
class FakeProxy:
    url: str  # https://127.0.0.1:<port>
    port: int
    ca_file: Path  # the CA that signed the proxy's certificate: trust this one
    cert_file: Path
    key_file: Path
    fleet: FakeFleet

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting only the proxy's CA (for httpx: `verify=proxy.ssl_context()`)."""
        return ssl.create_default_context(cafile=str(self.ca_file))


@asynccontextmanager
async def fake_proxy(fleet: FakeFleet, tmp_dir: Path | str) -> AsyncIterator[FakeProxy]:
    """The vehicle-command proxy in front of `fleet`, over HTTPS on a free loopback port."""
    files = write_tls_files(Path(tmp_dir))
    async with serve(fleet.proxy_asgi(), tls=(files.cert_file, files.key_file)) as port:
        yield FakeProxy(
            f"https://127.0.0.1:{port}", port, files.ca_file, files.cert_file, files.key_file, fleet
        )
