from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from teslasync.auth.principal import Scope
from teslasync.auth.requests import Authenticator
from teslasync.auth.tokens import LAST_USED_RESOLUTION, TokenError, authenticate, create_token, parse, verify
from teslasync.db.engine import Database
from teslasync.db.repositories.tokens import revoke, with_holder
from tests.conftest import make_settings


async def test_token_round_trip_stores_only_a_hash(db: Database) -> None:
    async with db.transaction() as session:
        issued = await create_token(session, "grafana", [Scope.READ])
        prefix, secret = parse(issued.token)
        found = await with_holder(session, prefix)
        assert found is not None
        assert secret not in found[0].secret_hash and len(found[0].secret_hash) == 64
    principal = await authenticate(db, issued.token)
    assert principal.token_id == issued.id
    assert principal.can(Scope.READ) and not principal.can(Scope.COMMAND)


async def test_admin_scope_implies_the_others(db: Database) -> None:
    async with db.transaction() as session:
        issued = await create_token(session, "ops", [Scope.ADMIN])
    principal = await authenticate(db, issued.token)
    assert all(principal.can(scope) for scope in Scope)


async def test_last_used_is_recorded(db: Database) -> None:
    async with db.transaction() as session:
        issued = await create_token(session, "ha", [Scope.READ])
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    await authenticate(db, issued.token, now=when)
    async with db.transaction() as session:
        found = await with_holder(session, parse(issued.token)[0])
        assert found is not None
        assert found[0].last_used_at == when


@pytest.mark.parametrize("bad", ["", "tsk_", "tsk_abc", "abc_def_ghi", "tsk_nope_nope"])
async def test_malformed_or_unknown_tokens_are_refused(db: Database, bad: str) -> None:
    with pytest.raises(TokenError):
        await authenticate(db, bad)


async def test_wrong_secret_with_a_real_prefix_is_refused(db: Database) -> None:
    async with db.transaction() as session:
        issued = await create_token(session, "x", [Scope.READ])
        prefix, _ = parse(issued.token)
        with pytest.raises(TokenError, match="unknown"):
            await authenticate(db, f"tsk_{prefix}_not-the-secret")


async def test_revoked_and_expired_tokens_are_refused(db: Database) -> None:
    async with db.transaction() as session:
        revoked = await create_token(session, "old", [Scope.READ])
        assert await revoke(session, revoked.id)
        assert not await revoke(session, revoked.id)
        with pytest.raises(TokenError, match="revoked"):
            await authenticate(db, revoked.token)

        expiring = await create_token(session, "short", [Scope.READ], expires_in=timedelta(days=1))
        assert expiring.expires_at is not None
        with pytest.raises(TokenError, match="expired"):
            await authenticate(db, expiring.token, now=expiring.expires_at + timedelta(seconds=1))


async def test_a_token_needs_a_name_and_a_scope(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="name"):
            await create_token(session, "  ", [Scope.READ])
        with pytest.raises(ValueError, match="scope"):
            await create_token(session, "n", [])


async def test_verify_only_reads_and_says_when_the_last_use_is_worth_recording(db: Database) -> None:
    async with db.transaction() as session:
        issued = await create_token(session, "ha", [Scope.READ])
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    # a read-only session refuses any write: verify passes through one
    async with db.read_sessions() as session:
        principal, stale = await verify(session, issued.token, when)
    assert principal.token_id == issued.id and stale
    await authenticate(db, issued.token, now=when)
    async with db.read_sessions() as session:
        assert not (await verify(session, issued.token, when + LAST_USED_RESOLUTION / 2))[1]
        assert (await verify(session, issued.token, when + LAST_USED_RESOLUTION))[1]


async def test_a_request_checks_its_token_outside_a_transaction_and_records_its_use_once_a_minute(
    tmp_path: Path, fresh_db: Database
) -> None:
    async with fresh_db.transaction() as session:
        issued = await create_token(session, "ha", [Scope.READ])
    authenticator = Authenticator(make_settings(tmp_path), fresh_db)
    writes: list[str] = []

    def record(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if connection.connection.driver_connection.is_in_transaction():
            writes.append(statement)

    event.listen(fresh_db.engine.sync_engine, "after_cursor_execute", record)
    try:
        first = await authenticator.token_principal(issued.token)
        second = await authenticator.token_principal(issued.token)
    finally:
        event.remove(fresh_db.engine.sync_engine, "after_cursor_execute", record)
    assert first.token_id == second.token_id == issued.id
    assert len(writes) == 1 and writes[0].startswith("UPDATE api_tokens")
    async with fresh_db.transaction() as session:
        found = await with_holder(session, parse(issued.token)[0])
        assert found is not None and found[0].last_used_at is not None
