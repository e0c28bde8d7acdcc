"""Forward-auth through the real app: identity headers are believed from trusted proxies only, each preset's
header names work, users appear on first sight (optionally only from allowed groups), admin groups."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from teslasync.auth.forward import client_address
from teslasync.config import ForwardAuthPreset, SettingsError, load_settings
from teslasync.db.engine import Database
from teslasync.db.repositories import users as users_repo
from tests.auth.helpers import OUTSIDER, PROXY, TRUSTED, as_user, codes, gql
from tests.conftest import client_for, make_settings

ME = "{ me { user { username email groups isAdmin } credential scopes } }"

PRESET_HEADERS = {
    ForwardAuthPreset.AUTHENTIK: {
        "X-authentik-username": "ada",
        "X-authentik-email": "ada@example.org",
        "X-authentik-name": "Ada L",
        "X-authentik-groups": "family|admins",
    },
    ForwardAuthPreset.AUTHELIA: {
        "Remote-User": "ada",
        "Remote-Email": "ada@example.org",
        "Remote-Name": "Ada L",
        "Remote-Groups": "family,admins",
    },
    ForwardAuthPreset.OAUTH2_PROXY: {
        "X-Forwarded-User": "ada",
        "X-Forwarded-Email": "ada@example.org",
        "X-Forwarded-Preferred-Username": "Ada L",
        "X-Forwarded-Groups": "family,admins",
    },
}


def _settings(tmp_path: Path, preset: ForwardAuthPreset = ForwardAuthPreset.AUTHELIA, **more: object):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, forward_auth=preset, trusted_proxies=TRUSTED, **more)


@pytest.mark.parametrize("preset", list(PRESET_HEADERS))
async def test_each_preset_signs_a_user_in_from_a_trusted_proxy(
    db: Database, tmp_path: Path, preset: ForwardAuthPreset
) -> None:
    settings = _settings(tmp_path, preset, forward_auth_admin_groups=["admins"])
    async with client_for(settings, db, client_host=PROXY) as client:
        body = await gql(client, ME, headers=PRESET_HEADERS[preset])
    assert "errors" not in body, body
    me = body["data"]["me"]
    assert me["user"] == {
        "username": "ada",
        "email": "ada@example.org",
        "groups": ["admins", "family"],
        "isAdmin": True,
    }
    assert me["credential"] == "user" and me["scopes"] == ["READ", "COMMAND", "ADMIN"]
    async with db.transaction() as session:
        user = await users_repo.by_username(session, "ada")
    assert user is not None and user.source == "forward-auth" and user.display_name == "Ada L"


async def test_identity_headers_from_an_untrusted_address_are_refused_and_logged(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = REGISTRY.get_sample_value("teslasync_auth_failures_total", {"reason": "untrusted_proxy"}) or 0
    async with client_for(_settings(tmp_path), db, client_host=OUTSIDER) as client:
        response = await client.post("/graphql", json={"query": ME}, headers=as_user("mallory"))
    assert response.status_code == 401
    assert codes(response.json()) == ["UNTRUSTED_PROXY"]
    assert (
        REGISTRY.get_sample_value("teslasync_auth_failures_total", {"reason": "untrusted_proxy"})
        == before + 1
    )
    assert any(OUTSIDER in record.getMessage() for record in caplog.records)
    async with db.transaction() as session:
        assert await users_repo.by_username(session, "mallory") is None


async def test_untrusted_identity_headers_are_refused_even_beside_a_token(
    db: Database, tmp_path: Path
) -> None:
    headers = {**as_user("mallory"), "Authorization": "Bearer tsk_x_y"}
    async with client_for(_settings(tmp_path), db, client_host=OUTSIDER) as client:
        response = await client.post("/graphql", json={"query": ME}, headers=headers)
    assert response.status_code == 401 and codes(response.json()) == ["UNTRUSTED_PROXY"]


async def test_without_forward_auth_configured_identity_headers_mean_nothing(
    db: Database, tmp_path: Path
) -> None:
    async with client_for(make_settings(tmp_path), db, client_host=PROXY) as client:
        response = await client.post("/graphql", json={"query": ME}, headers=as_user("ada"))
    assert response.status_code == 401 and codes(response.json()) == ["UNAUTHENTICATED"]


async def test_only_allowed_groups_may_sign_in(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path, forward_auth_allowed_groups=["teslasync"])
    async with client_for(settings, db, client_host=PROXY) as client:
        refused = await client.post("/graphql", json={"query": ME}, headers=as_user("eve", "family"))
        allowed = await gql(client, ME, headers=as_user("bob", "family,teslasync"))
    assert refused.status_code == 401
    assert allowed["data"]["me"]["user"]["username"] == "bob"
    async with db.transaction() as session:
        assert await users_repo.by_username(session, "eve") is None


async def test_a_user_outside_admin_groups_is_no_admin_and_a_profile_change_is_kept(
    db: Database, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, forward_auth_admin_groups=["admins"])
    async with client_for(settings, db, client_host=PROXY) as client:
        first = await gql(client, ME, headers=as_user("carl", "family"))
        again = await gql(client, ME, headers={**as_user("carl", "family,kids")})
    assert first["data"]["me"]["user"]["isAdmin"] is False
    assert first["data"]["me"]["scopes"] == ["READ", "COMMAND"]
    assert again["data"]["me"]["user"]["groups"] == ["family", "kids"]


async def test_custom_header_names(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path, ForwardAuthPreset.CUSTOM, forward_auth_user_header="X-Auth-Request-User")
    async with client_for(settings, db, client_host=PROXY) as client:
        body = await gql(client, ME, headers={"X-Auth-Request-User": "dora"})
    assert body["data"]["me"]["user"]["username"] == "dora"


async def test_a_disabled_user_is_refused(db: Database, tmp_path: Path) -> None:
    async with client_for(_settings(tmp_path), db, client_host=PROXY) as client:
        await gql(client, ME, headers=as_user("fred"))
        async with db.transaction() as session:
            user = await users_repo.by_username(session, "fred")
            assert user is not None
            await users_repo.set_disabled(session, user.id, user.created_at)
        response = await client.post("/graphql", json={"query": ME}, headers=as_user("fred"))
    assert response.status_code == 401 and "disabled" in response.json()["errors"][0]["message"]


def test_forward_auth_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings(data_dir=tmp_path, forward_auth="authelia", _env_file=None)
    with pytest.raises(SettingsError, match=r"TESLASYNC_TRUSTED_PROXIES: .*not an address"):
        load_settings(data_dir=tmp_path, trusted_proxies="10.0.0.0/33", _env_file=None)
    with pytest.raises(SettingsError, match="USER_HEADER"):
        load_settings(data_dir=tmp_path, forward_auth="custom", trusted_proxies="10.0.0.1", _env_file=None)


def test_the_client_address_behind_trusted_proxies_is_the_last_untrusted_hop() -> None:
    import ipaddress

    trusted = (ipaddress.ip_network("10.0.0.0/24"),)
    assert client_address("10.0.0.5", "198.51.100.1, 203.0.113.9, 10.0.0.4", trusted) == "203.0.113.9"
    assert client_address("192.0.2.7", "203.0.113.9", trusted) == "192.0.2.7"  # not via a proxy: the peer
    assert client_address("10.0.0.5", None, trusted) == "10.0.0.5"
    assert client_address("10.0.0.5", "garbage", trusted) == "10.0.0.5"
