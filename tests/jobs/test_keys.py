"""Key rotation keeps every secret at rest decryptable: Tesla tokens and TOTP secrets are re-encrypted under
the new key, and a process that loaded the old keyring goes on working by reloading the key file."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from teslasync.auth.secrets import Keyring, default_key_file
from teslasync.auth.security import KeyringSource
from teslasync.auth.stepup import totp_context
from teslasync.db.engine import Database
from teslasync.db.repositories import tesla_accounts as accounts_repo
from teslasync.db.repositories import users as users_repo
from teslasync.fleet.accounts import TeslaAccounts, account_context
from teslasync.jobs.keys import rotate
from tests.cli_helpers import run_cli
from tests.conftest import make_settings
from tests.fleet.fake_tesla import fake_tesla


async def test_rotation_keeps_every_secret_decryptable(fresh_db: Database, tmp_path: Path) -> None:
    async with fake_tesla() as tesla:
        settings = make_settings(
            tmp_path,
            secret_key="s" * 40,
            tesla_authorize_url=tesla.endpoints.authorize_url,
            tesla_token_url=tesla.endpoints.token_url,
            tesla_fleet_api_url=tesla.base_url,
        )
        keys = KeyringSource(settings)  # what a running service holds
        accounts = TeslaAccounts(fresh_db, keys, settings)
        totp_secret = pyotp.random_base32(32)
        async with fresh_db.transaction() as session:
            admin = await users_repo.builtin_admin(session)
            envelope = keys().encrypt(totp_secret, context=totp_context(admin.id))
            await users_repo.set_totp_pending(session, admin.id, envelope)
            connecting = await accounts.connect(session, admin.id, tesla.app(), china=False)
        async with httpx.AsyncClient() as http:
            query = parse_qs(urlsplit((await http.get(connecting.authorize_url)).headers["location"]).query)
        account = await accounts.complete(query["code"][0], query["state"][0])
        before = (await accounts.access_token(account.id)).reveal()
        old_key = keys().current

        result = await rotate(settings, fresh_db)

        assert result.previous_key == old_key and result.current_key != old_key
        assert result.reencrypted == 2 and result.skipped == 0  # the TOTP secret and the account's three
        stored = json.loads(default_key_file(settings).read_text())
        assert (
            set(stored["keys"]) == {old_key, result.current_key} and stored["current"] == result.current_key
        )

        fresh_keyring = Keyring.from_settings(settings)
        async with fresh_db.transaction() as session:
            row = await accounts_repo.by_id(session, account.id)
            user = await users_repo.by_id(session, admin.id)
        assert row is not None and user is not None and user.totp_secret is not None
        for column, name in (
            ("client_secret", "client_secret"),
            ("access_token", "access"),
            ("refresh_token", "refresh"),
        ):
            value = getattr(row, column)
            assert value.split(".")[1] == result.current_key
            assert fresh_keyring.decrypt_secret(value, context=account_context(row.id, name)).reveal()
        assert (
            fresh_keyring.decrypt_secret(user.totp_secret, context=totp_context(admin.id)).reveal()
            == totp_secret
        )

        # the running service picks the new key file up by itself
        assert (await accounts.access_token(account.id)).reveal() == before
        renewed = await accounts.refresh(account.id, force=True)
        assert tesla.is_live_access_token(renewed.reveal())


def test_keys_rotate_command(tmp_path: Path, cli_database: str) -> None:
    env = {"TESLASYNC_DATABASE_URL": cli_database}
    assert run_cli("migrate", cwd=tmp_path, **env).returncode == 0
    first = run_cli("keys", "rotate", cwd=tmp_path, **env)
    assert first.returncode == 0, first.stderr
    assert "re-encrypted 0 rows" in first.stdout
    second = run_cli("keys", "rotate", cwd=tmp_path, **env)
    keyring = json.loads((tmp_path / ".data" / "keyring.json").read_text())
    assert len(keyring["keys"]) == 3 and keyring["current"] in second.stdout
    assert oct((tmp_path / ".data" / "keyring.json").stat().st_mode & 0o777) == "0o600"
