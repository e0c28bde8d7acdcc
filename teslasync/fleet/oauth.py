"""Tesla OAuth 2 for a user's own developer app: the authorize URL, the code exchange, token refresh and
Fleet API region discovery. HTTP only; storing the tokens is the caller's job.

The flow: send the user to `authorize_url(app, state)` (keep `state`, made by `new_state()`, in the
session); Tesla redirects back to `app.redirect_uri` with `code` and `state`; `code_from_callback` checks
the state and returns the code; `TeslaOAuth.exchange_code` turns it into a `TokenSet`;
`TeslaOAuth.discover_region` says which regional Fleet API host serves the account.

Refresh tokens are single use (Tesla rotates them on every refresh and the old one dies at once) and expire
after three months. Therefore:

- Store `TokenSet.refresh_token` after *every* successful `refresh`, before anything else can fail.
- Serialise refreshes per account (across processes too): of two concurrent refreshes with one token, the
  loser gets `ReauthRequired` although the winner holds a perfectly good new token. A caller that gets
  `ReauthRequired` should first check whether the stored token changed meanwhile.
- A refresh that fails without an answer (`TeslaUnavailable` from a timeout or a dropped connection) may
  have been carried out by Tesla: the old token may be dead already. Retrying with it then gives
  `ReauthRequired`; nothing on our side can recover the lost token.
- A refresh response that lacks `refresh_token` keeps the old one (RFC 6749 §6: the server *may* issue a
  new one; without one the client keeps its current token). Raising instead would gain nothing: the old
  token is all we could store either way, and the new access token would be lost too.
- A success response that is otherwise unusable raises `InvalidTokenResponse`, which still carries the new
  refresh token when the response had one, so that it can be stored.

Nothing secret reaches a message, a log line or a repr: tokens, codes and the client secret travel as
`Secret`, error descriptions from Tesla are scrubbed of anything token-like, and errors are raised outside
`except` blocks so that no httpx exception (which holds the request, form body and all) rides along as
`__context__`.
"""

from __future__ import annotations

import asyncio
import email.utils
import hmac
import logging
import math
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from teslasync.auth.secrets import Secret

__all__ = [
    "DEFAULT_ENDPOINTS",
    "DEFAULT_SCOPES",
    "KNOWN_SCOPES",
    "REGION_BASE_URLS",
    "AccessTokenRejected",
    "Endpoints",
    "InvalidTokenResponse",
    "OAuthError",
    "ReauthRequired",
    "Region",
    "TeslaApp",
    "TeslaOAuth",
    "TeslaUnavailable",
    "TokenSet",
    "authorize_url",
    "code_from_callback",
    "new_state",
    "parse_retry_after",
    "region_hint",
]

logger = logging.getLogger(__name__)

DEFAULT_SCOPES: tuple[str, ...] = (
    "openid",
    "offline_access",
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
)
KNOWN_SCOPES: frozenset[str] = frozenset(
    (*DEFAULT_SCOPES, "energy_device_data", "energy_cmds"),
)
REGION_BASE_URLS: dict[str, str] = {
    "na": "https://fleet-api.prd.na.vn.cloud.tesla.com",
    "eu": "https://fleet-api.prd.eu.vn.cloud.tesla.com",
    "cn": "https://fleet-api.prd.cn.vn.cloud.tesla.cn",
}
_LOOPBACK_HOSTS = frozenset(("localhost", "127.0.0.1", "::1"))
# Hosts a bearer token may be sent to although the endpoints do not name them (a region Tesla reports).
_TESLA_DOMAINS = (".tesla.com", ".tesla.cn")
_REGION_PATH = "/api/1/users/region"
_MAX_REGION_HOPS = 3
_USER_AGENT = "teslasync"
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_REGION_CODE = re.compile(r"[a-z]{2,16}")
_MAX_EXPIRES_IN_S = 366 * 24 * 3600.0
# Long runs of token alphabet in an error description are masked, whatever they are.
_OPAQUE = re.compile(r"[A-Za-z0-9._~+/=-]{24,}")
_MAX_DESCRIPTION = 200
_RETRY_AFTER_SECONDS = re.compile(r"\d+(\.\d+)?", re.ASCII)
# Tesla's 421 names the right host as `Alt-Svc: h2=https://<host>` (vehicle-command pkg/proxy/proxy.go);
# the standard form is `h2="<host>:<port>"`; an error body may say "use base URL: https://<host>".
_ALT_SVC = re.compile(r'^\s*[A-Za-z0-9_.-]+=(?:"([^"]+)"|(\S+?))\s*(?:;.*)?$')
_BASE_URL_HINT = re.compile(r"use base URL: (https://[-A-Za-z0-9.:]+)")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _check_url(value: object, name: str, *, base: bool = False) -> str:
    """`value` if it is an absolute https URL (http only for loopback hosts), else a ValueError naming it."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty URL")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises ValueError for a malformed port
    except ValueError:
        raise ValueError(f"{name} is not a valid URL") from None
    host = parts.hostname
    if not host:
        raise ValueError(f"{name} must be an absolute URL with a host")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK_HOSTS):
        raise ValueError(f"{name} must use https (plain http only for localhost, 127.0.0.1 or ::1)")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{name} must not contain credentials")
    if parts.fragment:
        raise ValueError(f"{name} must not have a fragment")
    if base and (parts.query or parts.path.strip("/")):
        raise ValueError(f"{name} must be a bare base URL such as https://host[:port]")
    return value.rstrip("/") if base else value


def _origin(url: str) -> tuple[str, str, int]:
    """Scheme, lowercase host and effective port: what identifies a server."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def _is_tesla_https(url: str) -> bool:
    scheme, host, _ = _origin(url)
    return scheme == "https" and host.endswith(_TESLA_DOMAINS)


@dataclass(frozen=True)
class TeslaApp:
    """The user's own app from developer.tesla.com: its credentials, callback URL and requested scopes.

    `scopes` must be known Fleet API scopes and include `offline_access` (without it Tesla issues no
    refresh token, and the connection dies with the first access token). Duplicates are dropped.
    """

    client_id: str
    client_secret: Secret[str]
    redirect_uri: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    def __post_init__(self) -> None:
        if not isinstance(self.client_id, str) or not self.client_id or not self.client_id.isprintable():
            raise ValueError("client_id must be a non-empty printable string")
        if self.client_id != self.client_id.strip() or " " in self.client_id:
            raise ValueError("client_id must not contain spaces")
        if not isinstance(self.client_secret, Secret) or not isinstance(self.client_secret.reveal(), str):
            raise ValueError("client_secret must be a Secret[str]")
        if not self.client_secret.reveal():
            raise ValueError("client_secret must not be empty")
        _check_url(self.redirect_uri, "redirect_uri")
        if isinstance(self.scopes, str) or not isinstance(self.scopes, Iterable):
            raise ValueError("scopes must be a sequence of scope names, not one string")
        scopes = tuple(dict.fromkeys(self.scopes))
        unknown = sorted(str(scope) for scope in scopes if scope not in KNOWN_SCOPES)
        if unknown:
            raise ValueError(f"scopes: unknown scope(s) {', '.join(unknown)}; known: {sorted(KNOWN_SCOPES)}")
        if "offline_access" not in scopes:
            raise ValueError("scopes must include offline_access, or Tesla issues no refresh token")
        object.__setattr__(self, "scopes", scopes)


def _default_region_base_urls() -> Mapping[str, str]:
    return dict(REGION_BASE_URLS)


@dataclass(frozen=True)
class Endpoints:
    """Where Tesla lives. The defaults are Tesla's global (non-China) service; `china()` is the China one;
    tests point every URL at a fake.

    `home_region` is the region asked first in `discover_region`, and the token audience when the code
    carries no region hint. Base URLs are stored without a trailing slash, read-only.
    """

    authorize_url: str = "https://auth.tesla.com/oauth2/v3/authorize"
    token_url: str = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token"  # noqa: S105  # a URL
    region_base_urls: Mapping[str, str] = field(default_factory=_default_region_base_urls, hash=False)
    home_region: str = "na"

    def __post_init__(self) -> None:
        _check_url(self.authorize_url, "authorize_url")
        _check_url(self.token_url, "token_url")
        if not isinstance(self.region_base_urls, Mapping) or not self.region_base_urls:
            raise ValueError("region_base_urls must map region codes to base URLs")
        bases = {
            str(code): _check_url(url, f"region_base_urls[{code!r}]", base=True)
            for code, url in self.region_base_urls.items()
        }
        if self.home_region not in bases:
            raise ValueError(f"home_region {self.home_region!r} is not among region_base_urls")
        object.__setattr__(self, "region_base_urls", MappingProxyType(bases))

    @classmethod
    def china(cls) -> Endpoints:
        """Tesla China: a separate account system and developer portal (developer.tesla.cn), so an app
        registered there only reaches the China region. The token URL is the one third-party clients use;
        Tesla's global documentation does not state it."""
        return cls(
            authorize_url="https://auth.tesla.cn/oauth2/v3/authorize",
            token_url="https://auth.tesla.cn/oauth2/v3/token",  # noqa: S106  # a URL
            region_base_urls={"cn": REGION_BASE_URLS["cn"]},
            home_region="cn",
        )

    def base_url(self, region: str) -> str | None:
        return self.region_base_urls.get(region)


DEFAULT_ENDPOINTS = Endpoints()


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint hands out. `expires_at` is UTC, counted from when the request was sent (a
    little early, never late). `scopes` are those Tesla reports granting, else those the app requested."""

    access_token: Secret[str]
    refresh_token: Secret[str]
    expires_at: datetime
    scopes: tuple[str, ...]
    id_token: Secret[str] | None = None

    def __post_init__(self) -> None:
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")

    def expires_within(self, margin: timedelta, now: datetime) -> bool:
        """Whether the access token expires before `now + margin` (time to refresh)."""
        return now + margin >= self.expires_at


@dataclass(frozen=True)
class Region:
    code: str  # "na", "eu" or "cn" (or a new code Tesla reports)
    base_url: str  # no trailing slash


class OAuthError(Exception):
    """Talking to Tesla failed. The message never contains tokens, secrets or codes.

    `status_code` is Tesla's HTTP status (None without an answer) and `error` its OAuth error code.
    """

    def __init__(self, message: str, *, status_code: int | None = None, error: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error


class ReauthRequired(OAuthError):
    """The grant is gone (a used or expired refresh token or code, a revoked app, a wrong client id or
    secret): the user must connect again. Retrying the same request cannot help."""


class TeslaUnavailable(OAuthError):
    """No usable answer: a timeout, a connection error, 408, 429 or 5xx. Safe to retry later, after
    `retry_after_s` when Tesla said (Retry-After)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, error=error)
        self.retry_after_s = retry_after_s


class InvalidTokenResponse(OAuthError):
    """Tesla answered 200 with something unusable. If it still held a refresh token, that token is in
    `refresh_token`: after a refresh the old one is dead, so store this one."""

    def __init__(self, message: str, *, refresh_token: Secret[str] | None = None) -> None:
        super().__init__(message, status_code=200)
        self.refresh_token = refresh_token


class AccessTokenRejected(OAuthError):
    """The Fleet API refused the access token (401): refresh it, then try again."""


def new_state() -> str:
    """256 random bits, URL-safe: the `state` that ties the callback to the session that started it."""
    return secrets.token_urlsafe(32)


def authorize_url(
    app: TeslaApp,
    state: str,
    endpoints: Endpoints = DEFAULT_ENDPOINTS,
    *,
    nonce: str | None = None,
    prompt_missing_scopes: bool = True,
    require_requested_scopes: bool | None = None,
    show_keypair_step: bool | None = None,
) -> str:
    """Where to send the user to grant `app` its scopes. Optional flags left None are not sent."""
    if not isinstance(state, str) or not state:
        raise ValueError("state must be a non-empty string (use new_state())")
    params: dict[str, str] = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": " ".join(app.scopes),
        "state": state,
    }
    if nonce is not None:
        params["nonce"] = nonce
    params["prompt_missing_scopes"] = _flag(prompt_missing_scopes)
    if require_requested_scopes is not None:
        params["require_requested_scopes"] = _flag(require_requested_scopes)
    if show_keypair_step is not None:
        params["show_keypair_step"] = _flag(show_keypair_step)
    separator = "&" if urlsplit(endpoints.authorize_url).query else "?"
    # quote: %20 rather than '+' between the scopes, which reads the same to any URL parser.
    return f"{endpoints.authorize_url}{separator}{urlencode(params, quote_via=quote)}"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def code_from_callback(params: Mapping[str, str], expected_state: str) -> str:
    """The authorization code from the redirect's query parameters, once `state` matches the session's.

    Raises `OAuthError` for a state mismatch, a refusal (`error`, e.g. access_denied) or a missing code.
    """
    state = params.get("state")
    if not expected_state or not isinstance(state, str) or not hmac.compare_digest(state, expected_state):
        raise OAuthError("the callback's state does not match this session's (stale or forged callback)")
    error = params.get("error")
    if error:
        code = _error_code(error)
        description = _scrub(params.get("error_description", ""), ())
        raise OAuthError(
            f"Tesla did not authorise the app: {code}" + (f": {description}" if description else ""),
            error=code,
        )
    code_value = params.get("code")
    if not isinstance(code_value, str) or not code_value:
        raise OAuthError("the callback carries no authorization code")
    return code_value


def region_hint(code: str) -> str | None:
    """The region an authorization code names in its prefix (`NA_...`, `EU_...`, `CN_...`), if any."""
    prefix, separator, _ = code.partition("_")
    region = prefix.lower()
    return region if separator and region in REGION_BASE_URLS else None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent or bad."""
    if value is None:
        return None
    text = value.strip()
    if _RETRY_AFTER_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or _utc_now())).total_seconds())


def _error_code(value: object) -> str:
    return value if isinstance(value, str) and _ERROR_CODE.fullmatch(value) else "unrecognised_error"


def _scrub(text: object, hidden: Iterable[str]) -> str:
    """Tesla's error description, safe to show: known secrets and anything token-like masked, one line."""
    if not isinstance(text, str):
        return ""
    for value in hidden:
        if value:
            text = text.replace(value, "***")
    text = _OPAQUE.sub("***", text)
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1] + "…"


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:  # also UnicodeDecodeError; the error would hold the document
        return None


def _expires_in(value: object) -> float | None:
    """A token lifetime in seconds: a finite, non-negative number (or numeric string) up to a year."""
    if isinstance(value, str) and _RETRY_AFTER_SECONDS.fullmatch(value.strip()):
        value = float(value)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    seconds = float(value)
    return seconds if math.isfinite(seconds) and 0 <= seconds <= _MAX_EXPIRES_IN_S else None


class TeslaOAuth:
    """Tesla's token endpoint and region lookup, over one httpx client.

    A client passed in is used as is (redirects are never followed, whatever it is configured to do) and
    is not closed by `aclose`. `timeout_s` bounds every request as a whole, either way.
    """

    def __init__(
        self,
        endpoints: Endpoints = DEFAULT_ENDPOINTS,
        *,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 15.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not timeout_s > 0:
            raise ValueError("timeout_s must be positive")
        self.endpoints = endpoints
        self._timeout_s = timeout_s
        self._timeout = httpx.Timeout(timeout_s)
        self._owns_client = client is None
        self._http = client if client is not None else httpx.AsyncClient(headers={"User-Agent": _USER_AGENT})
        self._clock = clock

    async def __aenter__(self) -> TeslaOAuth:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def exchange_code(self, app: TeslaApp, code: str, *, audience: str | None = None) -> TokenSet:
        """Trade the callback's code for tokens. `audience` defaults to the base URL of the region the
        code names, else of `endpoints.home_region`. A used or expired code gives `ReauthRequired`."""
        if not isinstance(code, str) or not code:
            raise ValueError("code must be a non-empty string")
        if audience is None:
            hint = region_hint(code)
            audience = self.endpoints.base_url(hint) if hint else None
            audience = audience or self.endpoints.region_base_urls[self.endpoints.home_region]
        form = {
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "client_secret": app.client_secret.reveal(),
            "code": code,
            "redirect_uri": app.redirect_uri,
            "audience": audience,
        }
        return await self._token_request(form, app, hidden=(code,), previous_refresh=None)

    async def refresh(self, app: TeslaApp, refresh_token: Secret[str]) -> TokenSet:
        """A new access token *and a new refresh token*, which must be stored at once: the one passed in
        is dead from the moment Tesla answers. A response without a refresh token keeps `refresh_token`
        (see the module docstring). A used, expired or revoked token gives `ReauthRequired`."""
        value = refresh_token.reveal()
        if not isinstance(value, str) or not value:
            raise ValueError("refresh_token must be a non-empty Secret[str]")
        form = {"grant_type": "refresh_token", "client_id": app.client_id, "refresh_token": value}
        return await self._token_request(form, app, hidden=(value,), previous_refresh=refresh_token)

    async def discover_region(self, access_token: Secret[str]) -> Region:
        """The account's Fleet API region, asking the home region's host first (any regional host answers).

        A 421 (wrong region) is followed to the host its Alt-Svc names, if that host is a configured base
        URL or a Tesla https host; the bearer token goes nowhere else. The reported `fleet_api_base_url` is
        mapped to a configured base URL when it matches one, accepted as is when it is a Tesla https host,
        and otherwise replaced by the configured URL of the reported region code.
        """
        headers = {"Authorization": f"Bearer {access_token.reveal()}", "Accept": "application/json"}
        hidden = (access_token.reveal(),)
        base = self.endpoints.region_base_urls[self.endpoints.home_region]
        visited = {_origin(base)}
        for _ in range(_MAX_REGION_HOPS):
            response = await self._send("GET", base + _REGION_PATH, "region lookup", headers=headers)
            if response.status_code == 421:
                target = self._misdirected_to(response)
                if target is None or _origin(target) in visited:
                    raise OAuthError(
                        "Tesla's region lookup answered 421 (wrong region) without a usable other host",
                        status_code=421,
                    )
                logger.info(
                    "Tesla region lookup: 421 from %s, asking %s", _origin(base)[1], _origin(target)[1]
                )
                visited.add(_origin(target))
                base = target
                continue
            if response.status_code != 200:
                raise self._error(response, "region lookup", hidden, token_endpoint=False)
            return self._region_from(_json(response))
        raise OAuthError("Tesla's region lookup was redirected too often (421)", status_code=421)

    async def _token_request(
        self,
        form: dict[str, str],
        app: TeslaApp,
        *,
        hidden: tuple[str, ...],
        previous_refresh: Secret[str] | None,
    ) -> TokenSet:
        # expires_in counts from when Tesla issued the token, which is after we sent the request.
        sent_at = self._clock()
        response = await self._send(
            "POST",
            self.endpoints.token_url,
            "token endpoint",
            data=form,
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            hidden = (*hidden, app.client_secret.reveal())
            raise self._error(response, "token endpoint", hidden, token_endpoint=True)
        return self._token_set(
            _json(response), sent_at=sent_at, requested_scopes=app.scopes, previous_refresh=previous_refresh
        )

    async def _send(self, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
        # The failure is raised after the except block, so the httpx error is not its __context__.
        failure: OAuthError
        try:
            # httpx's timeouts bound each phase (connect, each read...); this bounds the whole request.
            async with asyncio.timeout(self._timeout_s):
                return await self._http.request(
                    method, url, timeout=self._timeout, follow_redirects=False, **kwargs
                )
        except (httpx.TimeoutException, TimeoutError):
            failure = TeslaUnavailable(f"Tesla's {what} timed out")
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            failure = TeslaUnavailable(f"Tesla's {what} could not be reached ({type(exc).__name__})")
        except httpx.HTTPError as exc:  # e.g. an unsupported scheme: configuration, not a passing fault
            failure = OAuthError(f"the request to Tesla's {what} failed ({type(exc).__name__})")
        raise failure

    @staticmethod
    def _error_details(response: httpx.Response, hidden: Iterable[str]) -> tuple[str | None, str]:
        body = _json(response)
        if not isinstance(body, dict):
            return None, ""
        error = body.get("error")
        code = _error_code(error) if error else None
        return code, _scrub(body.get("error_description"), hidden)

    def _error(
        self, response: httpx.Response, what: str, hidden: Iterable[str], *, token_endpoint: bool
    ) -> OAuthError:
        status = response.status_code
        error, description = self._error_details(response, hidden)
        message = f"Tesla's {what} answered {status}" + (f" {error}" if error else "")
        message += f": {description}" if description else ""
        if status in (408, 429) or status >= 500:
            retry = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            return TeslaUnavailable(message, status_code=status, error=error, retry_after_s=retry)
        if token_endpoint and (status == 401 or error in ("invalid_grant", "invalid_client")):
            return ReauthRequired(message, status_code=status, error=error)
        if not token_endpoint and status == 401:
            return AccessTokenRejected(message, status_code=status, error=error)
        return OAuthError(message, status_code=status, error=error)

    def _token_set(
        self,
        body: object,
        *,
        sent_at: datetime,
        requested_scopes: tuple[str, ...],
        previous_refresh: Secret[str] | None,
    ) -> TokenSet:
        if not isinstance(body, dict):
            raise InvalidTokenResponse("Tesla's token response is not a JSON object")
        raw_refresh = body.get("refresh_token")
        new_refresh = Secret(raw_refresh) if isinstance(raw_refresh, str) and raw_refresh else None

        def invalid(reason: str) -> InvalidTokenResponse:
            return InvalidTokenResponse(f"Tesla's token response {reason}", refresh_token=new_refresh)

        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise invalid("has no access_token")
        token_type = body.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise invalid("is not for a bearer token")
        expires_in = _expires_in(body.get("expires_in"))
        if expires_in is None:
            raise invalid("has no usable expires_in")
        if new_refresh is None:
            if previous_refresh is None:
                raise invalid("has no refresh_token (was offline_access granted?)")
            logger.warning("Tesla's refresh response carried no new refresh token; keeping the current one")
            new_refresh = previous_refresh
        scope = body.get("scope")
        scopes = tuple(scope.split()) if isinstance(scope, str) and scope.strip() else requested_scopes
        id_token = body.get("id_token")
        return TokenSet(
            access_token=Secret(access),
            refresh_token=new_refresh,
            expires_at=sent_at.astimezone(UTC) + timedelta(seconds=expires_in),
            scopes=scopes,
            id_token=Secret(id_token) if isinstance(id_token, str) and id_token else None,
        )

    def _configured_base(self, url: str) -> str | None:
        origin = _origin(url)
        return next(
            (base for base in self.endpoints.region_base_urls.values() if _origin(base) == origin), None
        )

    def _misdirected_to(self, response: httpx.Response) -> str | None:
        """The base URL a 421 points to, if the bearer token may go there."""
        candidates: list[str] = []
        for header in response.headers.get_list("Alt-Svc"):
            for item in header.split(","):
                match = _ALT_SVC.match(item)
                if match:
                    target = match.group(1) or match.group(2)
                    candidates.append(target if "://" in target else f"https://{target}")
        body = _json(response)
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            candidates.extend(_BASE_URL_HINT.findall(body["error"]))
        for candidate in candidates:
            try:
                configured = self._configured_base(candidate)
            except ValueError:  # a malformed port
                continue
            if configured is not None:
                return configured
            if _is_tesla_https(candidate):
                _, host, port = _origin(candidate)
                return f"https://{host}" + ("" if port == 443 else f":{port}")
        return None

    def _region_from(self, body: object) -> Region:
        answer = body.get("response") if isinstance(body, dict) else None
        if not isinstance(answer, dict):
            raise OAuthError("Tesla's region lookup answered without a region")
        raw_code = answer.get("region")
        code = raw_code.strip().lower() if isinstance(raw_code, str) else ""
        if not _REGION_CODE.fullmatch(code):
            code = ""
        raw_url = answer.get("fleet_api_base_url")
        url = raw_url.strip().rstrip("/") if isinstance(raw_url, str) else ""
        try:
            configured = self._configured_base(url) if url else None
            tesla_host = bool(url) and _is_tesla_https(url)
        except ValueError:
            configured, tesla_host = None, False
        if configured is not None:
            # Several codes may share one base URL (in tests every region does): prefer the reported one.
            codes = [key for key, base in self.endpoints.region_base_urls.items() if base == configured]
            return Region(code if code in codes else codes[0], configured)
        if tesla_host and code:
            logger.info("Tesla reports region %s at a base URL the endpoints do not list: %s", code, url)
            return Region(code, url)
        known = self.endpoints.base_url(code) if code else None
        if known is not None:
            logger.warning("Tesla reports region %s with an unexpected base URL; using %s", code, known)
            return Region(code, known)
        raise OAuthError(
            f"Tesla's region lookup named an unknown region ({code or 'none'}) without a usable URL"
        )
