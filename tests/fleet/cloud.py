"""A fake Tesla cloud for the tests (OAuth, the Fleet API, the vehicle-command proxy over TLS, all on
loopback) and the app in front of it, with one owner, ada, whose Tesla account holds one car."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from httpx import ASGITransport, AsyncClient

from teslasync.app import create_app
from teslasync.db.engine import Database
from teslasync.db.repositories import users as users_repo
from teslasync.fleet.services import Fleet
from teslasync.fleet.sync import sync_vehicles
from tests.auth.helpers import PROXY, TRUSTED, as_user, gql
from tests.conftest import make_settings
from tests.fleet.fake_fleet import FakeFleet, FakeProxy, fake_fleet, fake_proxy
from tests.fleet.fake_tesla import FakeTesla, fake_tesla

VIN = "5YJ3E1EA7KF000001"
ADA = as_user("ada")


@dataclass
class Cloud:
    tesla: FakeTesla
    fleet: FakeFleet
    proxy: FakeProxy
    client: AsyncClient
    services: Fleet
    db: Database
    account_id: int


@pytest.fixture
def overrides() -> dict[str, object]:
    return {}


@pytest.fixture
async def cloud(fresh_db: Database, tmp_path: Path, overrides: dict[str, object]) -> AsyncIterator[Cloud]:
    async with fake_tesla() as tesla, fake_fleet(authorised=tesla.is_live_access_token) as fleet:
        fleet.add_car(VIN, wake_after_polls=2)
        tesla.extra_audiences.add(fleet.base_url)
        async with fake_proxy(fleet, tmp_path / "proxy") as proxy:
            settings = make_settings(
                tmp_path,
                forward_auth="authelia",
                trusted_proxies=[*TRUSTED, "127.0.0.1/32"],  # the live-server test connects from loopback
                forward_auth_admin_groups=["admins"],
                tesla_authorize_url=tesla.endpoints.authorize_url,
                tesla_token_url=tesla.endpoints.token_url,
                tesla_fleet_api_url=fleet.base_url,
                command_proxy_url=proxy.url,
                command_proxy_ca_file=proxy.ca_file,
                wake_poll_s=0.05,
                rate_limit_commands_per_minute=600,
                fleet_timeout_s=1.0,
                fleet_retry_max_wait_s=2.0,
                **overrides,
            )
            app = create_app(settings, fresh_db, dispose_on_shutdown=False)
            services: Fleet = app.state.graphql.fleet
            transport = ASGITransport(app=app, client=(PROXY, 50000))
            async with AsyncClient(transport=transport, base_url="http://teslasync.test") as client:
                await gql(client, "{ me { credential } }", headers=ADA)
                account_id = await _connect(fresh_db, services, tesla)
                assert await sync_vehicles(fresh_db, services.client, account_id) == [VIN]
                yield Cloud(tesla, fleet, proxy, client, services, fresh_db, account_id)
                await services.stop()


async def _connect(db: Database, services: Fleet, tesla: FakeTesla) -> int:
    async with db.transaction() as session:
        ada = await users_repo.by_username(session, "ada")
        assert ada is not None
        connecting = await services.accounts.connect(session, ada.id, tesla.app(), china=False)
    async with httpx.AsyncClient() as browser:
        query = parse_qs(urlsplit((await browser.get(connecting.authorize_url)).headers["location"]).query)
    return (await services.accounts.complete(query["code"][0], query["state"][0])).id
