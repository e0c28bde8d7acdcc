"""Tesla accounts against a fake Tesla on loopback: connect through the authorize redirect and callback,
refresh before expiry (once, however many ask), reauth when Tesla refuses, and no refresh token lost when
the store fails between Tesla rotating it and the database keeping it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from teslasync.auth.secrets import Keyring
from teslasync.db.engine import Database, make_engine
from teslasync.db.repositories import tesla_accounts as repo
from teslasync.db.repositories import users as users_repo
from teslasync.fleet.accounts import AccountError, TeslaAccounts
from tests.conftest import make_settings
from tests.fleet.fake_tesla import FakeTesla, fake_tesla

KEYRING = Keyring.from_secret("a test secret that is long enough, really")


@pytest.fixture
async def tesla() -> AsyncIterator[FakeTesla]:
    async with fake_tesla() as fake:
        yield fake


def _accounts(db: Database, tmp_path: Path, tesla: FakeTesla, **more: object) -> TeslaAccounts:
    settings = make_settings(
        tmp_path,
        tesla_authorize_url=tesla.endpoints.authorize_url,
        tesla_token_url=tesla.endpoints.token_url,
        tesla_fleet_api_url=tesla.base_url,
        **more,
    )
    return TeslaAccounts(db, lambda: KEYRING, settings)


async def _connected(db: Database, accounts: TeslaAccounts, tesla: FakeTesla) -> int:
    async with db.transaction() as session:
        admin = await users_repo.builtin_admin(session)
        connecting = await accounts.connect(session, admin.id, tesla.app(), china=False)
    async with httpx.AsyncClient() as http:
        redirect = await http.get(connecting.authorize_url)
    assert redirect.status_code in (302, 303), redirect.text
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    account = await accounts.complete(query["code"][0], query["state"][0])
    assert account.status == "connected" and account.region == tesla.region
    return account.id


async def _works(tesla: FakeTesla, token: str) -> bool:
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{tesla.base_url}/api/1/vehicles", headers={"Authorization": f"Bearer {token}"}
        )
    return response.status_code == 200


async def test_connect_use_and_refresh(fresh_db: Database, tmp_path: Path, tesla: FakeTesla) -> None:
    accounts = _accounts(fresh_db, tmp_path, tesla)
    account_id = await _connected(fresh_db, accounts, tesla)
    first = await accounts.access_token(account_id)
    assert await _works(tesla, first.reveal())
    async with fresh_db.transaction() as session:
        row = await repo.by_id(session, account_id)
    assert row is not None and row.refresh_token is not None
    assert first.reveal() not in (row.access_token or "")  # encrypted at rest
    assert row.refresh_token.startswith("v1.") and not any(
        t in row.refresh_token for t in tesla.refresh_tokens
    )

    renewed = await accounts.refresh(account_id, force=True)
    assert renewed.reveal() != first.reveal() and await _works(tesla, renewed.reveal())
    assert len(tesla.consumed_refresh_tokens) == 1


async def test_a_used_callback_state_cannot_be_replayed(
    fresh_db: Database, tmp_path: Path, tesla: FakeTesla
) -> None:
    accounts = _accounts(fresh_db, tmp_path, tesla)
    async with fresh_db.transaction() as session:
        admin = await users_repo.builtin_admin(session)
        connecting = await accounts.connect(session, admin.id, tesla.app(), china=False)
    async with httpx.AsyncClient() as http:
        query = parse_qs(urlsplit((await http.get(connecting.authorize_url)).headers["location"]).query)
    await accounts.complete(query["code"][0], query["state"][0])
    with pytest.raises(AccountError, match="unknown or was used"):
        await accounts.complete(query["code"][0], query["state"][0])


async def test_expiring_tokens_are_refreshed_once_however_many_ask(
    fresh_db: Database, tmp_path: Path
) -> None:
    async with fake_tesla(expires_in=60) as tesla:  # inside the 15-minute margin from the start
        accounts = _accounts(fresh_db, tmp_path, tesla)
        account_id = await _connected(fresh_db, accounts, tesla)
        before = len(tesla.token_requests())
        tokens = await asyncio.gather(*(accounts.access_token(account_id) for _ in range(5)))
        refreshes = len(tesla.token_requests()) - before
    # the first refresh gives another 60-s token, still inside the margin, so each caller may refresh in
    # turn: what matters is that they queue on the row lock and never use a refresh token twice
    assert 1 <= refreshes <= 5 and tesla.consumed_refresh_tokens.isdisjoint(tesla.live_refresh_tokens())
    assert all(token.reveal() for token in tokens)


async def test_refresh_due_renews_before_expiry(fresh_db: Database, tmp_path: Path) -> None:
    async with fake_tesla(expires_in=600) as tesla:
        accounts = _accounts(fresh_db, tmp_path, tesla)
        account_id = await _connected(fresh_db, accounts, tesla)
        assert await accounts.refresh_due() == 1
        async with fresh_db.transaction() as session:
            row = await repo.by_id(session, account_id)
        assert row is not None and row.generation == 2


async def test_a_refused_refresh_marks_the_account_for_reauth(
    fresh_db: Database, tmp_path: Path, tesla: FakeTesla
) -> None:
    accounts = _accounts(fresh_db, tmp_path, tesla)
    account_id = await _connected(fresh_db, accounts, tesla)
    tesla.revoke_all()
    with pytest.raises(AccountError, match="failed"):
        await accounts.refresh(account_id, force=True)
    async with fresh_db.transaction() as session:
        row = await repo.by_id(session, account_id)
    assert row is not None and row.status == "reauth_required" and "connect again" in (row.last_error or "")


async def test_a_crash_between_refresh_and_store_loses_no_refresh_token(
    fresh_db: Database, tmp_path: Path, tesla: FakeTesla
) -> None:
    accounts = _accounts(fresh_db, tmp_path, tesla)
    account_id = await _connected(fresh_db, accounts, tesla)
    url = fresh_db.engine.url

    async def kill_the_refresher(body: dict[str, object]) -> None:
        """Tesla has rotated the token; before the answer arrives, the refresher's database connection
        dies (as it would in a crash or a database restart), so storing the new token must fail."""
        killer = make_engine(url.render_as_string(hide_password=False))
        async with killer.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                )
            )
        await killer.dispose()

    tesla.before_token_response = kill_the_refresher
    with pytest.raises(Exception):  # noqa: B017 - whatever the dead connection raises
        await accounts.refresh(account_id, force=True)
    tesla.before_token_response = None
    assert len(tesla.consumed_refresh_tokens) == 1  # Tesla rotated: the old token is gone for good
    assert accounts.journal.path(account_id).exists()

    # a restarted process: new engine, new service
    restarted_db = Database.from_engine(make_engine(url.render_as_string(hide_password=False)))
    try:
        restarted = _accounts(restarted_db, tmp_path, tesla)
        token = await restarted.access_token(account_id)
        assert await _works(tesla, token.reveal())
        assert not restarted.journal.path(account_id).exists()
        renewed = await restarted.refresh(account_id, force=True)  # the stored refresh token is the live one
        assert await _works(tesla, renewed.reveal())
    finally:
        await restarted_db.dispose()


async def test_revoking_forgets_the_tokens(fresh_db: Database, tmp_path: Path, tesla: FakeTesla) -> None:
    accounts = _accounts(fresh_db, tmp_path, tesla)
    account_id = await _connected(fresh_db, accounts, tesla)
    await accounts.revoke(account_id)
    async with fresh_db.transaction() as session:
        row = await repo.by_id(session, account_id)
    assert row is not None and row.status == "revoked" and row.refresh_token is None
    with pytest.raises(AccountError, match="not connected"):
        await accounts.access_token(account_id)
