"""A fake Tesla (auth server and a sliver of the Fleet API) served over real HTTP on a loopback port.

    async with fake_tesla(region="eu") as tesla:
        oauth = TeslaOAuth(tesla.endpoints)
        app = tesla.app()          # a TeslaApp whose credentials the fake accepts
        ...

Endpoints:

- `GET /oauth2/v3/authorize`: approves at once (no login page). It checks response_type, client_id,
  redirect_uri, scope and state (400 JSON if wrong), then redirects (302) to
  `redirect_uri?code=<REGION>_...&state=...&issuer=...`, or, with `deny_authorization`, to
  `redirect_uri?error=access_denied&...&state=...`.
- `POST /oauth2/v3/token`, form-encoded: the `authorization_code` grant (client id and secret, a live and
  unused code, the redirect_uri it was issued for, an audience among the region base URLs) and the
  `refresh_token` grant (client id and a live refresh token). Codes and refresh tokens are single use; a
  used one gives 400 `{"error": "invalid_grant"}`. A wrong client id or secret gives 401
  `{"error": "invalid_client"}`. Refreshing issues a new access *and* refresh token; old access tokens stay
  valid until they expire, as Tesla's do.
- `GET /api/1/users/region` and `GET /api/1/vehicles`: need `Authorization: Bearer <live access token>`
  (401 otherwise); they return the configured region and base URL, and a one-car list.

Failure injection: `fail_token_requests(n, status=503, retry_after="7")` makes the next n token requests
answer that status (with Retry-After when given) before anything is looked at, so no code or refresh token
is used up; `fail_requests(path, ...)` does the same for any path.

`before_token_response`: an async hook called on the `refresh_token` grant after the rotation (the old
refresh token consumed, the new one issued) and just before the response is sent, with the response body
as a dict. It may mutate the dict (the change is sent), sleep or wait on an event (a client timeout then
leaves the token rotated but the answer lost), or raise (recorded in `hook_errors`; the client gets a 500).

State, all inspectable: `codes`, `access_tokens`, `refresh_tokens` (every one issued, by value),
`consumed_refresh_tokens`, `requests` (a `LoggedRequest` per request, secrets included: it is a test
fake). `revoke_all()` kills every token (the user revoked the app); `expire_access_tokens()` expires the
access tokens.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from teslasync.auth.secrets import Secret
from teslasync.fleet.oauth import KNOWN_SCOPES, Endpoints, TeslaApp
from tests.live_server import serve

AUTHORIZE_PATH = "/oauth2/v3/authorize"
TOKEN_PATH = "/oauth2/v3/token"
REGION_PATH = "/api/1/users/region"
VEHICLES_PATH = "/api/1/vehicles"
ISSUER = "https://auth.tesla.com/oauth2/v3"

TokenHook = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class IssuedCode:
    value: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    expires_at: float
    used: bool = False


@dataclass
class IssuedToken:
    value: str
    kind: str  # "access" or "refresh"
    client_id: str
    scopes: tuple[str, ...]
    audience: str
    expires_at: float | None  # None: a refresh token (their three months do not matter here)
    revoked: bool = False


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    authorization: str | None
    status: int = 0


@dataclass
class InjectedFailure:
    status: int
    retry_after: str | None


@dataclass
class FakeTesla:
    client_id: str = "fake-client-id"
    client_secret: str = "fake-client-secret"
    redirect_uris: tuple[str, ...] = ("https://teslasync.example/oauth/tesla/callback",)
    region: str = "na"
    expires_in: int = 28800
    code_ttl_s: float = 600.0
    include_scope: bool = True  # whether token responses carry `scope`
    withheld_scopes: set[str] = field(default_factory=set)  # scopes the "user" unticks on the consent page
    deny_authorization: bool = False
    vin: str = "5YJ3E1EA7KF000001"
    before_token_response: TokenHook | None = None

    base_url: str = ""  # set once serving
    region_base_url: str | None = None  # what /users/region reports; None: base_url
    # audiences accepted besides the fake's own base URL (a fake Fleet API served apart)
    extra_audiences: set[str] = field(default_factory=set)
    codes: dict[str, IssuedCode] = field(default_factory=dict)
    access_tokens: dict[str, IssuedToken] = field(default_factory=dict)
    refresh_tokens: dict[str, IssuedToken] = field(default_factory=dict)
    consumed_refresh_tokens: set[str] = field(default_factory=set)
    requests: list[LoggedRequest] = field(default_factory=list)
    hook_errors: list[BaseException] = field(default_factory=list)
    failures: dict[str, deque[InjectedFailure]] = field(default_factory=dict)

    @property
    def endpoints(self) -> Endpoints:
        """Endpoints pointing at this fake; every region's base URL is the fake's."""
        return Endpoints(
            authorize_url=self.base_url + AUTHORIZE_PATH,
            token_url=self.base_url + TOKEN_PATH,
            region_base_urls=dict.fromkeys(("na", "eu", "cn"), self.base_url),
        )

    def app(self, **overrides: Any) -> TeslaApp:
        """A `TeslaApp` with the credentials this fake accepts; keyword arguments replace fields."""
        fields: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": Secret(self.client_secret),
            "redirect_uri": self.redirect_uris[0],
        }
        fields.update(overrides)
        return TeslaApp(**fields)

    def fail_requests(
        self, path: str, count: int = 1, *, status: int = 503, retry_after: str | float | None = None
    ) -> None:
        """The next `count` requests to `path` answer `status` (with Retry-After if given), touching nothing."""
        queue = self.failures.setdefault(path, deque())
        header = None if retry_after is None else str(retry_after)
        queue.extend(InjectedFailure(status, header) for _ in range(count))

    def fail_token_requests(
        self, count: int = 1, *, status: int = 503, retry_after: str | float | None = None
    ) -> None:
        self.fail_requests(TOKEN_PATH, count, status=status, retry_after=retry_after)

    def revoke_all(self) -> None:
        for token in (*self.access_tokens.values(), *self.refresh_tokens.values()):
            token.revoked = True

    def expire_access_tokens(self) -> None:
        for token in self.access_tokens.values():
            token.expires_at = time.time() - 1

    def live_refresh_tokens(self) -> set[str]:
        return {
            value
            for value, token in self.refresh_tokens.items()
            if value not in self.consumed_refresh_tokens and not token.revoked
        }

    def token_requests(self) -> list[LoggedRequest]:
        return [entry for entry in self.requests if entry.path == TOKEN_PATH]

    def is_live_access_token(self, value: str) -> bool:
        token = self.access_tokens.get(value)
        return (
            token is not None
            and not token.revoked
            and token.expires_at is not None
            and token.expires_at > time.time()
        )

    # --- the HTTP side -------------------------------------------------------------------------------

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route(AUTHORIZE_PATH, self._authorize, methods=["GET"]),
                Route(TOKEN_PATH, self._token, methods=["POST"]),
                Route(REGION_PATH, self._region, methods=["GET"]),
                Route(VEHICLES_PATH, self._vehicles, methods=["GET"]),
            ]
        )

    async def _log(self, request: Request) -> LoggedRequest:
        form: dict[str, str] = {}
        if request.method == "POST":
            # Parsed here: Starlette's request.form() needs python-multipart, which the project lacks.
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        entry = LoggedRequest(
            request.method,
            request.url.path,
            dict(request.query_params),
            form,
            request.headers.get("authorization"),
        )
        self.requests.append(entry)
        return entry

    def _injected(self, entry: LoggedRequest) -> Response | None:
        queue = self.failures.get(entry.path)
        if not queue:
            return None
        failure = queue.popleft()
        headers = {} if failure.retry_after is None else {"Retry-After": failure.retry_after}
        return _answer(entry, failure.status, {"error": "injected_failure"}, headers)

    async def _authorize(self, request: Request) -> Response:
        entry = await self._log(request)
        params = entry.query
        if (injected := self._injected(entry)) is not None:
            return injected
        scopes = tuple(params.get("scope", "").split(" "))
        if (problem := self._authorize_problem(params, scopes)) is not None:
            return _answer(entry, 400, {"error": "invalid_request", "error_description": problem})
        redirect_uri, state = params["redirect_uri"], params["state"]
        if self.deny_authorization:
            query = {"error": "access_denied", "error_description": "The user denied access", "state": state}
        else:
            granted = tuple(scope for scope in scopes if scope not in self.withheld_scopes)
            code = IssuedCode(
                f"{self.region.upper()}_{secrets.token_hex(16)}",
                self.client_id,
                redirect_uri,
                granted,
                time.time() + self.code_ttl_s,
            )
            self.codes[code.value] = code
            query = {"locale": "en-US", "code": code.value, "state": state, "issuer": ISSUER}
        entry.status = 302
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)

    def _authorize_problem(self, params: dict[str, str], scopes: tuple[str, ...]) -> str | None:
        if params.get("response_type") != "code":
            return "response_type must be code"
        if params.get("client_id") != self.client_id:
            return "unknown client_id"
        if params.get("redirect_uri") not in self.redirect_uris:
            return "redirect_uri is not registered"
        if not all(scope in KNOWN_SCOPES for scope in scopes):
            return "unknown scope"
        if not params.get("state"):
            return "state is required"
        return None

    async def _token(self, request: Request) -> Response:
        entry = await self._log(request)
        if (injected := self._injected(entry)) is not None:
            return injected
        form = entry.form
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(entry, form)
        if grant == "refresh_token":
            return await self._refresh_grant(entry, form)
        return _answer(entry, 400, {"error": "unsupported_grant_type"})

    def _code_grant(self, entry: LoggedRequest, form: dict[str, str]) -> Response:
        if form.get("client_id") != self.client_id or not hmac.compare_digest(
            form.get("client_secret", "").encode(), self.client_secret.encode()
        ):
            return _answer(entry, 401, {"error": "invalid_client", "error_description": "client auth failed"})
        code = self.codes.get(form.get("code", ""))
        if code is None or code.used or code.expires_at < time.time() or code.client_id != self.client_id:
            return _answer(entry, 400, _invalid_grant("the authorization code is invalid or was used"))
        if form.get("redirect_uri") != code.redirect_uri:
            return _answer(entry, 400, _invalid_grant("redirect_uri does not match the authorization"))
        audience = form.get("audience", "")
        if audience not in self.endpoints.region_base_urls.values() and audience not in self.extra_audiences:
            return _answer(entry, 400, {"error": "invalid_request", "error_description": "unknown audience"})
        code.used = True
        return _answer(entry, 200, self._issue(code.scopes, audience))

    async def _refresh_grant(self, entry: LoggedRequest, form: dict[str, str]) -> Response:
        if form.get("client_id") != self.client_id:
            return _answer(entry, 401, {"error": "invalid_client", "error_description": "unknown client"})
        value = form.get("refresh_token", "")
        old = self.refresh_tokens.get(value)
        if old is None or old.revoked or value in self.consumed_refresh_tokens:
            return _answer(entry, 400, _invalid_grant("the refresh token is invalid or was used"))
        self.consumed_refresh_tokens.add(value)
        body = self._issue(old.scopes, old.audience)
        if self.before_token_response is not None:
            try:
                await self.before_token_response(body)
            except Exception as exc:
                self.hook_errors.append(exc)
                return _answer(entry, 500, {"error": "server_error"})
        return _answer(entry, 200, body)

    def _issue(self, scopes: tuple[str, ...], audience: str) -> dict[str, Any]:
        prefix = self.region.upper()
        access = IssuedToken(
            f"fake-at.{secrets.token_urlsafe(32)}",
            "access",
            self.client_id,
            scopes,
            audience,
            time.time() + self.expires_in,
        )
        refresh = IssuedToken(
            f"{prefix}_{secrets.token_hex(32)}", "refresh", self.client_id, scopes, audience, None
        )
        self.access_tokens[access.value] = access
        self.refresh_tokens[refresh.value] = refresh
        body: dict[str, Any] = {
            "access_token": access.value,
            "refresh_token": refresh.value,
            "expires_in": self.expires_in,
            "token_type": "Bearer",
        }
        if "openid" in scopes:
            body["id_token"] = f"fake-id.{secrets.token_urlsafe(32)}"
        if self.include_scope:
            body["scope"] = " ".join(scopes)
        return body

    def _bearer_problem(self, entry: LoggedRequest) -> Response | None:
        header = entry.authorization or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not self.is_live_access_token(value.strip()):
            return _answer(entry, 401, {"response": None, "error": "invalid bearer token"})
        return None

    async def _region(self, request: Request) -> Response:
        entry = await self._log(request)
        if (problem := self._injected(entry) or self._bearer_problem(entry)) is not None:
            return problem
        base = self.region_base_url if self.region_base_url is not None else self.base_url
        return _answer(entry, 200, {"response": {"region": self.region, "fleet_api_base_url": base}})

    async def _vehicles(self, request: Request) -> Response:
        entry = await self._log(request)
        if (problem := self._injected(entry) or self._bearer_problem(entry)) is not None:
            return problem
        car = {
            "id": 100021,
            "vehicle_id": 99999,
            "vin": self.vin,
            "display_name": "Fake Model 3",
            "state": "online",
            "access_type": "OWNER",
        }
        return _answer(entry, 200, {"response": [car], "count": 1})


def _invalid_grant(description: str) -> dict[str, str]:
    return {"error": "invalid_grant", "error_description": description}


def _answer(
    entry: LoggedRequest, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    entry.status = status
    return JSONResponse(body, status_code=status, headers=headers)


@asynccontextmanager
async def fake_tesla(**config: Any) -> AsyncIterator[FakeTesla]:
    """A `FakeTesla(**config)` served on a free loopback port until the block ends."""
    tesla = FakeTesla(**config)
    async with serve(tesla.asgi()) as port:
        tesla.base_url = f"http://127.0.0.1:{port}"
        yield tesla
