from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from teslasync.auth.secrets import Secret
from teslasync.fleet.oauth import (
    DEFAULT_SCOPES,
    REGION_BASE_URLS,
    AccessTokenRejected,
    Endpoints,
    InvalidTokenResponse,
    OAuthError,
    ReauthRequired,
    Region,
    TeslaApp,
    TeslaOAuth,
    TeslaUnavailable,
    TokenSet,
    authorize_url,
    code_from_callback,
    new_state,
    parse_retry_after,
    region_hint,
)
from tests.fleet.fake_tesla import REGION_PATH, FakeTesla, fake_tesla
from tests.services import free_port

SECRET = Secret("client-secret-value-0123456789")


def make_app(**overrides: object) -> TeslaApp:
    fields: dict[str, object] = {
        "client_id": "client-1",
        "client_secret": SECRET,
        "redirect_uri": "https://teslasync.example/cb",
    }
    fields.update(overrides)
    return TeslaApp(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def tesla() -> AsyncIterator[FakeTesla]:
    async with fake_tesla(region="eu") as fake:
        yield fake


@pytest.fixture
async def oauth(tesla: FakeTesla) -> AsyncIterator[TeslaOAuth]:
    async with TeslaOAuth(tesla.endpoints, timeout_s=5) as client:
        yield client


async def authorize(tesla: FakeTesla, app: TeslaApp) -> str:
    """Follow the authorize URL like a browser would, up to our callback; the checked code."""
    state = new_state()
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        response = await browser.get(authorize_url(app, state, tesla.endpoints, nonce="n-1"))
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == app.redirect_uri
    params = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert "code" not in params or params["issuer"]
    return code_from_callback(params, state)


async def connect(tesla: FakeTesla, oauth: TeslaOAuth) -> TokenSet:
    app = tesla.app()
    return await oauth.exchange_code(app, await authorize(tesla, app))


async def list_vehicles(base_url: str, access_token: Secret[str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return await client.get(
            "/api/1/vehicles", headers={"Authorization": f"Bearer {access_token.reveal()}"}
        )


# --- authorize URL, app and endpoint validation -------------------------------------------------------


def test_authorize_url_carries_every_parameter() -> None:
    app = make_app()
    url = authorize_url(app, "state-1", nonce="nonce-1")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://auth.tesla.com/oauth2/v3/authorize"
    assert "%20" in parts.query and "+" not in parts.query  # scopes separated by encoded spaces
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["client-1"],
        "redirect_uri": ["https://teslasync.example/cb"],
        "scope": [" ".join(DEFAULT_SCOPES)],
        "state": ["state-1"],
        "nonce": ["nonce-1"],
        "prompt_missing_scopes": ["true"],
    }


def test_authorize_url_optional_flags() -> None:
    query = parse_qs(
        urlsplit(
            authorize_url(
                make_app(scopes=("offline_access", "vehicle_device_data")),
                "s",
                prompt_missing_scopes=False,
                require_requested_scopes=True,
                show_keypair_step=False,
            )
        ).query
    )
    assert query["scope"] == ["offline_access vehicle_device_data"]
    assert "nonce" not in query
    assert query["prompt_missing_scopes"] == ["false"]
    assert query["require_requested_scopes"] == ["true"]
    assert query["show_keypair_step"] == ["false"]
    with pytest.raises(ValueError, match="state"):
        authorize_url(make_app(), "")


def test_china_endpoints() -> None:
    china = Endpoints.china()
    assert urlsplit(authorize_url(make_app(), "s", china)).netloc == "auth.tesla.cn"
    assert china.token_url == "https://auth.tesla.cn/oauth2/v3/token"
    assert dict(china.region_base_urls) == {"cn": "https://fleet-api.prd.cn.vn.cloud.tesla.cn"}
    assert china.home_region == "cn"
    default = Endpoints()
    assert default.token_url == "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token"
    assert dict(default.region_base_urls) == REGION_BASE_URLS
    with pytest.raises(TypeError):
        default.region_base_urls["na"] = "https://elsewhere.example"  # type: ignore[index]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://teslasync.example/cb",
        "http://localhost:8000/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:9000/cb",
    ],
)
def test_redirect_uri_accepted(redirect_uri: str) -> None:
    assert make_app(redirect_uri=redirect_uri).redirect_uri == redirect_uri


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://teslasync.example/cb",
        "http://localhost.evil.example/cb",
        "http://192.168.1.10/cb",
        "ftp://localhost/cb",
        "/cb",
        "",
        "https://teslasync.example/cb#frag",
        "https://user:pw@teslasync.example/cb",
    ],
)
def test_redirect_uri_refused(redirect_uri: str) -> None:
    with pytest.raises(ValueError, match="redirect_uri"):
        make_app(redirect_uri=redirect_uri)


def test_scopes_validated() -> None:
    with pytest.raises(ValueError, match="offline_access"):
        make_app(scopes=("openid", "vehicle_device_data"))
    with pytest.raises(ValueError, match=r"scopes: unknown scope.*vehicle_teleport"):
        make_app(scopes=("offline_access", "vehicle_teleport"))
    with pytest.raises(ValueError, match="scopes"):
        make_app(scopes="offline_access vehicle_device_data")
    app = make_app(scopes=("offline_access", "energy_cmds", "offline_access"))
    assert app.scopes == ("offline_access", "energy_cmds")
    with pytest.raises(ValueError, match="client_id"):
        make_app(client_id="")
    with pytest.raises(ValueError, match="client_secret"):
        make_app(client_secret=Secret(""))
    with pytest.raises(ValueError, match="client_secret"):
        make_app(client_secret="plain")


def test_endpoints_validated() -> None:
    with pytest.raises(ValueError, match="token_url"):
        Endpoints(token_url="http://tesla.example/token")
    with pytest.raises(ValueError, match="home_region"):
        Endpoints(region_base_urls={"eu": REGION_BASE_URLS["eu"]})
    with pytest.raises(ValueError, match=r"region_base_urls\['na'\]"):
        Endpoints(region_base_urls={"na": "https://fleet.example/api"})
    assert Endpoints(region_base_urls={"na": "http://127.0.0.1:1/"}).region_base_urls["na"] == (
        "http://127.0.0.1:1"
    )


@pytest.mark.parametrize(
    ("code", "region"),
    [("NA_abc", "na"), ("EU_abc", "eu"), ("CN_x_y", "cn"), ("eu_abc", "eu"), ("XX_abc", None), ("abc", None)],
)
def test_region_hint(code: str, region: str | None) -> None:
    assert region_hint(code) == region


def test_new_state_is_random_and_url_safe() -> None:
    states = {new_state() for _ in range(100)}
    assert len(states) == 100
    assert all(len(state) == 43 and state.replace("-", "").replace("_", "").isalnum() for state in states)


def test_code_from_callback() -> None:
    assert code_from_callback({"code": "EU_1", "state": "s1"}, "s1") == "EU_1"
    with pytest.raises(OAuthError, match="state"):
        code_from_callback({"code": "EU_1", "state": "other"}, "s1")
    with pytest.raises(OAuthError, match="state"):
        code_from_callback({"code": "EU_1"}, "s1")
    with pytest.raises(OAuthError, match="no authorization code"):
        code_from_callback({"state": "s1"}, "s1")
    with pytest.raises(OAuthError, match="access_denied") as denied:
        code_from_callback({"state": "s1", "error": "access_denied", "error_description": "no"}, "s1")
    assert denied.value.error == "access_denied"


def test_token_set_expiry() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    tokens = TokenSet(Secret("a"), Secret("r"), now + timedelta(minutes=10), ("offline_access",))
    assert not tokens.expires_within(timedelta(minutes=5), now)
    assert tokens.expires_within(timedelta(minutes=10), now)
    assert tokens.expires_within(timedelta(0), now + timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone"):
        TokenSet(Secret("a"), Secret("r"), datetime(2026, 1, 1), ())


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 7 ", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None


# --- against the fake Tesla ---------------------------------------------------------------------------


async def test_full_flow(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    app = tesla.app()
    code = await authorize(tesla, app)
    assert code.startswith("EU_")
    before = datetime.now(UTC)
    tokens = await oauth.exchange_code(app, code)

    exchange = tesla.token_requests()[-1]
    assert exchange.form == {
        "grant_type": "authorization_code",
        "client_id": app.client_id,
        "client_secret": app.client_secret.reveal(),
        "code": code,
        "redirect_uri": app.redirect_uri,
        "audience": tesla.endpoints.region_base_urls["eu"],
    }
    assert tokens.refresh_token.reveal() in tesla.live_refresh_tokens()
    assert tesla.is_live_access_token(tokens.access_token.reveal())
    assert tokens.id_token is not None
    assert tokens.scopes == DEFAULT_SCOPES
    expected_expiry = before + timedelta(seconds=tesla.expires_in)
    assert abs((tokens.expires_at - expected_expiry).total_seconds()) < 5

    region = await oauth.discover_region(tokens.access_token)
    assert region == Region("eu", tesla.base_url)
    response = await list_vehicles(region.base_url, tokens.access_token)
    assert response.status_code == 200
    assert [car["vin"] for car in response.json()["response"]] == [tesla.vin]


async def test_code_is_single_use(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    app = tesla.app()
    code = await authorize(tesla, app)
    await oauth.exchange_code(app, code)
    with pytest.raises(ReauthRequired) as reused:
        await oauth.exchange_code(app, code)
    assert reused.value.status_code == 400 and reused.value.error == "invalid_grant"


async def test_scopes_granted_are_reported(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    tesla.withheld_scopes = {"vehicle_location", "vehicle_cmds"}
    tokens = await connect(tesla, oauth)
    assert "vehicle_location" not in tokens.scopes and "vehicle_device_data" in tokens.scopes
    tesla.include_scope = False  # then the requested scopes stand in
    refreshed = await oauth.refresh(tesla.app(), tokens.refresh_token)
    assert refreshed.scopes == DEFAULT_SCOPES


async def test_refresh_rotates_and_the_old_token_dies(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    app = tesla.app()
    first = await connect(tesla, oauth)
    second = await oauth.refresh(app, first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert tesla.token_requests()[-1].form == {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "refresh_token": first.refresh_token.reveal(),
    }
    assert first.refresh_token.reveal() in tesla.consumed_refresh_tokens
    assert tesla.live_refresh_tokens() == {second.refresh_token.reveal()}
    assert (await list_vehicles(tesla.base_url, second.access_token)).status_code == 200

    with pytest.raises(ReauthRequired) as dead:
        await oauth.refresh(app, first.refresh_token)
    assert dead.value.error == "invalid_grant"
    third = await oauth.refresh(app, second.refresh_token)
    assert tesla.live_refresh_tokens() == {third.refresh_token.reveal()}


async def test_revoked_grant_needs_reauth(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    tokens = await connect(tesla, oauth)
    tesla.revoke_all()
    with pytest.raises(AccessTokenRejected):
        await oauth.discover_region(tokens.access_token)
    with pytest.raises(ReauthRequired):
        await oauth.refresh(tesla.app(), tokens.refresh_token)


async def test_refresh_response_without_refresh_token_keeps_the_old_one(
    tesla: FakeTesla, oauth: TeslaOAuth
) -> None:
    tokens = await connect(tesla, oauth)

    async def omit_refresh_token(body: dict[str, object]) -> None:
        del body["refresh_token"]

    tesla.before_token_response = omit_refresh_token
    refreshed = await oauth.refresh(tesla.app(), tokens.refresh_token)
    assert refreshed.refresh_token == tokens.refresh_token
    assert refreshed.access_token != tokens.access_token


async def test_exchange_without_refresh_token_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"access_token": "at-value", "expires_in": 60, "token_type": "Bearer"}
        )

    async with mock_oauth(handler) as oauth:
        with pytest.raises(InvalidTokenResponse, match="no refresh_token") as missing:
            await oauth.exchange_code(make_app(), "NA_code-value")
    assert missing.value.refresh_token is None


@pytest.mark.parametrize("status", [503, 429])
async def test_unavailable_with_retry_after(tesla: FakeTesla, oauth: TeslaOAuth, status: int) -> None:
    tokens = await connect(tesla, oauth)
    tesla.fail_token_requests(2, status=status, retry_after=7)
    for _ in range(2):
        with pytest.raises(TeslaUnavailable) as unavailable:
            await oauth.refresh(tesla.app(), tokens.refresh_token)
        assert unavailable.value.status_code == status
        assert unavailable.value.retry_after_s == 7.0
    # The failures touched nothing: the refresh token still works.
    refreshed = await oauth.refresh(tesla.app(), tokens.refresh_token)
    assert tesla.live_refresh_tokens() == {refreshed.refresh_token.reveal()}


async def test_retry_after_as_http_date(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    tokens = await connect(tesla, oauth)
    when = datetime.now(UTC) + timedelta(seconds=120)
    tesla.fail_token_requests(status=429, retry_after=format_datetime(when, usegmt=True))
    with pytest.raises(TeslaUnavailable) as limited:
        await oauth.refresh(tesla.app(), tokens.refresh_token)
    assert limited.value.retry_after_s is not None and 100 < limited.value.retry_after_s <= 120
    tesla.fail_token_requests(status=502)
    with pytest.raises(TeslaUnavailable) as bad_gateway:
        await oauth.refresh(tesla.app(), tokens.refresh_token)
    assert bad_gateway.value.retry_after_s is None


async def test_region_lookup_rate_limited(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    tokens = await connect(tesla, oauth)
    tesla.fail_requests(REGION_PATH, status=429, retry_after="3")
    with pytest.raises(TeslaUnavailable) as limited:
        await oauth.discover_region(tokens.access_token)
    assert limited.value.retry_after_s == 3.0


async def test_timeout_is_unavailable_and_the_token_may_be_gone(tesla: FakeTesla) -> None:
    release = asyncio.Event()

    async def stall(body: dict[str, object]) -> None:
        await release.wait()

    async with TeslaOAuth(tesla.endpoints, timeout_s=0.3) as oauth:
        tokens = await connect(tesla, oauth)
        tesla.before_token_response = stall
        try:
            with pytest.raises(TeslaUnavailable, match="timed out") as slow:
                await oauth.refresh(tesla.app(), tokens.refresh_token)
        finally:
            release.set()
        assert slow.value.status_code is None and slow.value.retry_after_s is None
        assert slow.value.__context__ is None
        # Tesla rotated the token, its answer was lost: the documented hazard of single-use tokens.
        tesla.before_token_response = None
        with pytest.raises(ReauthRequired):
            await oauth.refresh(tesla.app(), tokens.refresh_token)


async def test_hook_failure_is_a_server_error(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    tokens = await connect(tesla, oauth)

    async def crash(body: dict[str, object]) -> None:
        raise RuntimeError("simulated crash")

    tesla.before_token_response = crash
    with pytest.raises(TeslaUnavailable) as failed:
        await oauth.refresh(tesla.app(), tokens.refresh_token)
    assert failed.value.status_code == 500
    assert [str(error) for error in tesla.hook_errors] == ["simulated crash"]
    assert tokens.refresh_token.reveal() in tesla.consumed_refresh_tokens


async def test_connection_refused_is_unavailable() -> None:
    base = f"http://127.0.0.1:{free_port()}"
    endpoints = Endpoints(base + "/authorize", base + "/token", {"na": base})
    async with TeslaOAuth(endpoints, timeout_s=2) as oauth:
        with pytest.raises(TeslaUnavailable, match="could not be reached"):
            await oauth.refresh(make_app(), Secret("NA_refresh"))
        with pytest.raises(TeslaUnavailable):
            await oauth.discover_region(Secret("access"))


async def test_wrong_client_secret_needs_reauth(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    app = tesla.app(client_secret=Secret("not-the-secret"))
    code = await authorize(tesla, app)
    with pytest.raises(ReauthRequired) as refused:
        await oauth.exchange_code(app, code)
    assert refused.value.status_code == 401 and refused.value.error == "invalid_client"
    assert not tesla.codes[code].used


async def test_user_denies_access(tesla: FakeTesla) -> None:
    tesla.deny_authorization = True
    with pytest.raises(OAuthError, match="access_denied"):
        await authorize(tesla, tesla.app())


async def test_expired_access_token_is_rejected(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    tokens = await connect(tesla, oauth)
    tesla.expire_access_tokens()
    with pytest.raises(AccessTokenRejected) as rejected:
        await oauth.discover_region(tokens.access_token)
    assert rejected.value.status_code == 401
    refreshed = await oauth.refresh(tesla.app(), tokens.refresh_token)
    assert (await oauth.discover_region(refreshed.access_token)).code == "eu"


async def test_nothing_secret_shows(tesla: FakeTesla, oauth: TeslaOAuth) -> None:
    app = tesla.app()
    code = await authorize(tesla, app)
    tokens = await oauth.exchange_code(app, code)
    rotated = await oauth.refresh(app, tokens.refresh_token)
    errors: list[OAuthError] = []
    for attempt in (
        oauth.exchange_code(app, code),  # used code
        oauth.refresh(app, tokens.refresh_token),  # used refresh token
        oauth.exchange_code(tesla.app(client_secret=Secret("wrong-secret-value")), code),
    ):
        with pytest.raises(OAuthError) as caught:
            await attempt
        errors.append(caught.value)
    tesla.revoke_all()
    with pytest.raises(OAuthError) as rejected:
        await oauth.discover_region(rotated.access_token)
    errors.append(rejected.value)

    secrets = [
        app.client_secret.reveal(),
        "wrong-secret-value",
        code,
        *(token.reveal() for token in (tokens.access_token, tokens.refresh_token)),
        *(token.reveal() for token in (rotated.access_token, rotated.refresh_token)),
    ]
    shown = [repr(tokens), str(tokens), repr(rotated), repr(app), str(app)]
    shown += [text for error in errors for text in (str(error), repr(error), repr(error.args))]
    for text in shown:
        for value in secrets:
            assert value not in text
    assert "***" in repr(tokens)
    assert all(error.__context__ is None for error in errors)


async def test_error_description_is_scrubbed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        description = f"token {form['refresh_token'][0]} is bad; also abcdefghijklmnopqrstuvwxyz0123456789"
        return httpx.Response(400, json={"error": "invalid_grant", "error_description": description})

    async with mock_oauth(handler) as oauth:
        with pytest.raises(ReauthRequired) as refused:
            await oauth.refresh(make_app(), Secret("NA_short"))
    message = str(refused.value)
    assert "NA_short" not in message and "abcdefghijklmnop" not in message
    assert "invalid_grant" in message and "is bad" in message


async def test_unusable_success_keeps_the_new_refresh_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"refresh_token": "NA_new-refresh", "expires_in": 60})

    async with mock_oauth(handler) as oauth:
        with pytest.raises(InvalidTokenResponse, match="no access_token") as invalid:
            await oauth.refresh(make_app(), Secret("NA_old"))
    assert invalid.value.refresh_token == Secret("NA_new-refresh")
    assert "NA_new-refresh" not in repr(invalid.value)


async def test_non_json_success_is_invalid() -> None:
    async with mock_oauth(lambda request: httpx.Response(200, text="<html>")) as oauth:
        with pytest.raises(InvalidTokenResponse, match="not a JSON object"):
            await oauth.refresh(make_app(), Secret("NA_old"))


# --- region discovery edge cases, against a mock transport --------------------------------------------

NA, EU = REGION_BASE_URLS["na"], REGION_BASE_URLS["eu"]


def region_answer(region: str, base_url: str) -> httpx.Response:
    return httpx.Response(200, json={"response": {"region": region, "fleet_api_base_url": base_url}})


class mock_oauth:  # lower case: used like a function
    """A TeslaOAuth with Tesla's real endpoints over a mock transport that records the requests."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        self.client = httpx.AsyncClient(transport=httpx.MockTransport(record))

    async def __aenter__(self) -> TeslaOAuth:
        self.oauth = TeslaOAuth(client=self.client)
        return self.oauth

    async def __aexit__(self, *exc_info: object) -> None:
        await self.oauth.aclose()
        assert not self.client.is_closed  # a client passed in belongs to the caller
        await self.client.aclose()


async def test_region_421_follows_alt_svc() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "fleet-api.prd.na.vn.cloud.tesla.com":
            return httpx.Response(421, headers={"Alt-Svc": "h2=https://fleet-api.prd.eu.vn.cloud.tesla.com"})
        return region_answer("eu", EU)

    recorder = mock_oauth(handler)
    async with recorder as oauth:
        assert await oauth.discover_region(Secret("at")) == Region("eu", EU)
    assert [request.url.host for request in recorder.requests] == [
        "fleet-api.prd.na.vn.cloud.tesla.com",
        "fleet-api.prd.eu.vn.cloud.tesla.com",
    ]
    assert all(request.headers["authorization"] == "Bearer at" for request in recorder.requests)


async def test_region_421_to_a_foreign_host_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(421, headers={"Alt-Svc": 'h2="evil.example:443"'})

    recorder = mock_oauth(handler)
    async with recorder as oauth:
        with pytest.raises(OAuthError, match="421"):
            await oauth.discover_region(Secret("at"))
    assert {request.url.host for request in recorder.requests} == {"fleet-api.prd.na.vn.cloud.tesla.com"}


async def test_region_421_loop_stops() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        target = EU if request.url.host.startswith("fleet-api.prd.na") else NA
        return httpx.Response(421, json={"error": f"wrong region, use base URL: {target}"})

    recorder = mock_oauth(handler)
    async with recorder as oauth:
        with pytest.raises(OAuthError, match="421"):
            await oauth.discover_region(Secret("at"))
    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (region_answer("eu", EU + "/"), Region("eu", EU)),
        (region_answer("EU", EU), Region("eu", EU)),
        # The URL is where the API lives: a code that disagrees with it yields to it.
        (region_answer("na", EU), Region("eu", EU)),
        # A Tesla host the endpoints do not list (a new region): accepted as reported.
        (
            region_answer("ap", "https://fleet-api.prd.ap.vn.cloud.tesla.com"),
            Region("ap", "https://fleet-api.prd.ap.vn.cloud.tesla.com"),
        ),
        # A foreign URL with a known code: the configured URL of that region, never the foreign one.
        (region_answer("eu", "https://fleet-api.evil.example"), Region("eu", EU)),
        (region_answer("eu", "http://fleet-api.prd.eu.vn.cloud.tesla.com.evil.example"), Region("eu", EU)),
    ],
)
async def test_region_answers_are_mapped(answer: httpx.Response, expected: Region) -> None:
    async with mock_oauth(lambda request: answer) as oauth:
        assert await oauth.discover_region(Secret("at")) == expected


@pytest.mark.parametrize(
    "answer",
    [
        region_answer("xx", "https://fleet-api.evil.example"),
        httpx.Response(200, json={"region": "eu"}),
        httpx.Response(200, text="not json"),
    ],
)
async def test_region_answers_refused(answer: httpx.Response) -> None:
    async with mock_oauth(lambda request: answer) as oauth:
        with pytest.raises(OAuthError):
            await oauth.discover_region(Secret("at"))


async def test_china_region_lookup_asks_the_china_host() -> None:
    recorder = mock_oauth(lambda request: region_answer("cn", REGION_BASE_URLS["cn"]))
    async with recorder:
        oauth = TeslaOAuth(Endpoints.china(), client=recorder.client)
        assert await oauth.discover_region(Secret("at")) == Region("cn", REGION_BASE_URLS["cn"])
    assert recorder.requests[0].url.host == "fleet-api.prd.cn.vn.cloud.tesla.cn"


async def test_exchange_audience_follows_the_code() -> None:
    forms: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        forms.append(parse_qs(request.content.decode()))
        return httpx.Response(
            200, json={"access_token": "at", "refresh_token": "rt", "expires_in": 60, "token_type": "Bearer"}
        )

    recorder = mock_oauth(handler)
    async with recorder as oauth:
        await oauth.exchange_code(make_app(), "EU_code")
        await oauth.exchange_code(make_app(), "plain-code")
        await oauth.exchange_code(make_app(), "EU_code", audience="https://aud.example")
    assert [form["audience"][0] for form in forms] == [EU, NA, "https://aud.example"]
    assert str(recorder.requests[0].url) == "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token"
    assert recorder.requests[0].headers["content-type"] == "application/x-www-form-urlencoded"


async def test_the_whole_request_is_bounded() -> None:
    async def stall(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)  # a mock transport is beyond httpx's own timeouts
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(stall)) as client:
        oauth = TeslaOAuth(client=client, timeout_s=0.1)
        with pytest.raises(TeslaUnavailable, match="timed out") as slow:
            await oauth.refresh(make_app(), Secret("NA_old"))
    assert slow.value.__context__ is None
