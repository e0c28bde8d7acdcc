"""The restore drill: populate (telemetry, drives, charges, tokens, a TOTP secret, a Tesla account with
encrypted tokens), back up, restore into a wiped installation, and compare every table's row count and a
checksum of its content; the encrypted secrets still decrypt. And what restore refuses."""

from __future__ import annotations

import itertools
import json
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from teslasync.auth.principal import Scope
from teslasync.auth.secrets import Keyring
from teslasync.auth.stepup import totp_context
from teslasync.auth.tokens import authenticate, create_token
from teslasync.config import Settings
from teslasync.db.backup import BackupError, backup, read_manifest, restore
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import make_engine
from teslasync.db.repositories import tesla_accounts as accounts_repo
from teslasync.db.repositories import users as users_repo
from teslasync.fleet.accounts import account_context
from teslasync.jobs.recompute import recompute
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.sources.replay import replay
from tests.conftest import create_database, make_settings

VIN = "5YJ3E7EA3LF700000"
_names = itertools.count()


async def _checksums(engine: AsyncEngine) -> dict[str, tuple[int, str]]:
    """Each table's row count and an ordered checksum of its whole content."""
    async with engine.connect() as connection:
        tables = (
            await connection.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
                    "AND c.relname NOT IN ('alembic_version', 'storage_settings') ORDER BY 1"
                )
            )
        ).scalars()
        sums = {}
        for table in list(tables):
            row = (
                await connection.execute(
                    text(
                        f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
                    )
                )
            ).one()
            sums[table] = (int(row[0]), str(row[1]))
    return sums


async def _populate(pipeline: Pipeline, fixtures_dir: Path, settings: Settings) -> dict[str, str]:
    """What a real installation holds; returns the secrets that must decrypt after the restore."""
    await replay(pipeline, [fixtures_dir / "DrivingByGear.txt", fixtures_dir / "DCCharging1.txt"])
    await recompute(pipeline.db, VIN)
    keyring = Keyring.from_settings(settings)
    async with pipeline.db.transaction() as session:
        await create_token(session, "grafana", [Scope.READ])
        ada = await users_repo.upsert_seen(
            session,
            "ada",
            email="ada@example.org",
            display_name=None,
            groups=["family"],
            is_admin=None,
            seen_at=datetime.now(UTC),
        )
        await users_repo.set_totp_pending(
            session, ada.id, keyring.encrypt("JBSWY3DPEHPK3PXP", context=totp_context(ada.id))
        )
        account = await accounts_repo.add(
            session,
            user_id=ada.id,
            client_id="app",
            redirect_uri="https://x.example/cb",
            scopes=["openid"],
            china=False,
            state_hash="h",
            state_expires_at=datetime.now(UTC) + timedelta(minutes=5),
        )
        await accounts_repo.set_client_secret(
            session,
            account.id,
            keyring.encrypt("client-secret", context=account_context(account.id, "client_secret")),
        )
        await accounts_repo.store_tokens(
            session,
            account.id,
            generation=1,
            access_token=keyring.encrypt("access-1", context=account_context(account.id, "access")),
            refresh_token=keyring.encrypt("refresh-1", context=account_context(account.id, "refresh")),
            expires_at=datetime.now(UTC) + timedelta(hours=8),
            region="eu",
            base_url="https://fleet.example",
        )
    return {
        "totp": "JBSWY3DPEHPK3PXP",
        "access": "access-1",
        "refresh": "refresh-1",
        "client_secret": "client-secret",
    }


async def _fresh_target(postgres: EmbeddedPostgres) -> AsyncEngine:
    """A wiped installation: an empty database, no schema at all."""
    return make_engine(await create_database(postgres, f"teslasync_restore{next(_names)}"))


async def test_the_restore_drill(
    pipeline: Pipeline, fixtures_dir: Path, postgres: EmbeddedPostgres, tmp_path: Path
) -> None:
    source = make_settings(tmp_path / "source")
    secrets = await _populate(pipeline, fixtures_dir, source)
    before = await _checksums(pipeline.db.engine)
    assert before["signals"][0] > 100 and before["drives"][0] >= 1 and before["charging_sessions"][0] >= 1

    seen: list[str] = []
    summary = await backup(
        source, pipeline.db.engine, tmp_path / "backups", lambda what, *_: seen.append(what)
    )
    assert summary.path.parent == tmp_path / "backups" and summary.path.stat().st_mode & 0o777 == 0o600
    assert summary.rows == sum(count for count, _ in before.values())
    assert "signals" in seen and "keys" in seen
    manifest = read_manifest(summary.path)
    assert manifest.keys == ["secret.key"] and not manifest.secret_from_environment

    target_settings = make_settings(tmp_path / "target")
    target = await _fresh_target(postgres)
    try:
        await restore(target_settings, target, summary.path)
        after = await _checksums(target)
        assert after == before

        keyring = Keyring.from_settings(target_settings)
        async with target.connect() as connection:
            account = (await connection.execute(text("SELECT * FROM tesla_accounts"))).mappings().one()
            user = (
                await connection.execute(text("SELECT id, totp_secret FROM users WHERE username = 'ada'"))
            ).one()
        for column, name in (
            ("access_token", "access"),
            ("refresh_token", "refresh"),
            ("client_secret", "client_secret"),
        ):
            assert (
                keyring.decrypt_secret(account[column], context=account_context(account["id"], name)).reveal()
                == secrets[name]
            )
        assert keyring.decrypt_secret(user[1], context=totp_context(user[0])).reveal() == secrets["totp"]

        # identities continue after the restored ids: a new token does not collide
        from teslasync.db.engine import Database

        restored = Database.from_engine(target)
        async with restored.transaction() as session:
            issued = await create_token(session, "after", [Scope.READ])
        assert (await authenticate(restored, issued.token)).name == "admin/after"

        with pytest.raises(BackupError, match="holds data"):
            await restore(target_settings, target, summary.path)
        await restore(target_settings, target, summary.path, force=True)
        assert (await _checksums(target)) == before
    finally:
        await target.dispose()


async def test_what_restore_refuses(pipeline: Pipeline, postgres: EmbeddedPostgres, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "source")
    archive = (await backup(settings, pipeline.db.engine, tmp_path / "a.tar")).path

    newer = tmp_path / "newer.tar"
    with tarfile.open(archive) as old, tarfile.open(newer, "w") as new:
        for member in old.getmembers():
            data = old.extractfile(member)
            if member.name == "manifest.json" and data is not None:
                document = json.loads(data.read())
                document["format"] = 99
                raw = json.dumps(document).encode()
                member.size = len(raw)
                import io

                new.addfile(member, io.BytesIO(raw))
            else:
                new.addfile(member, data)
    target = await _fresh_target(postgres)
    try:
        with pytest.raises(BackupError, match="format 99, newer"):
            await restore(make_settings(tmp_path / "t"), target, newer)
        with pytest.raises(BackupError, match="not a readable TeslaSync backup"):
            (tmp_path / "junk.tar").write_bytes(b"junk")
            await restore(make_settings(tmp_path / "t"), target, tmp_path / "junk.tar")
    finally:
        await target.dispose()
