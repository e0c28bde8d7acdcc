"""The engine's sessions: read-only sessions run outside a transaction and refuse writes; a pooled connection
is pinged before use only when it has been idle, and a dead one is then replaced without an error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from teslasync.db import engine as engine_module
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, WriteInReadOnlySession, make_engine
from teslasync.db.models import Vehicle
from tests.services import free_port

VIN = "5YJ3E7EB2NF000501"


async def in_transaction(session: AsyncSession) -> bool:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return bool(raw.driver_connection.is_in_transaction())  # type: ignore[union-attr]


async def test_read_sessions_run_outside_a_transaction_and_write_sessions_inside_one(
    fresh_db: Database,
) -> None:
    async with fresh_db.read_sessions() as session, session.begin():
        assert await session.scalar(select(func.count()).select_from(Vehicle)) == 0
        assert not await in_transaction(session)
    async with fresh_db.transaction() as session:
        await session.execute(text("SELECT 1"))
        assert await in_transaction(session)


async def _orm_add(session: AsyncSession) -> None:
    session.add(Vehicle(vin=VIN))
    await session.flush()


async def _core_insert(session: AsyncSession) -> None:
    await session.execute(insert(Vehicle).values(vin=VIN))


async def _text_insert(session: AsyncSession) -> None:
    await session.execute(text(f"INSERT INTO vehicles (vin) VALUES ('{VIN}')"))


WRITES: dict[str, Callable[[AsyncSession], Awaitable[None]]] = {
    "orm": _orm_add,
    "core": _core_insert,
    "text": _text_insert,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
@pytest.mark.parametrize("bound", [False, True], ids=["engine", "test-bound"])
async def test_read_sessions_refuse_writes_and_nothing_is_written(
    fresh_db: Database, write: Callable[[AsyncSession], Awaitable[None]], bound: bool
) -> None:
    async def attempt(database: Database) -> None:
        with pytest.raises(WriteInReadOnlySession, match=r"not a read|read-only"):
            async with database.read_sessions() as session, session.begin():
                await write(session)

    if bound:
        async with fresh_db.engine.connect() as connection:
            await attempt(Database.bound_to(connection))
    else:
        await attempt(fresh_db)
    async with fresh_db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Vehicle)) == 0


async def test_read_sessions_read_by_orm_core_and_text(fresh_db: Database) -> None:
    async with fresh_db.transaction() as session:
        session.add(Vehicle(vin=VIN))
    async with fresh_db.read_sessions() as session, session.begin():
        assert (await session.scalars(select(Vehicle.vin))).all() == [VIN]
        assert await session.scalar(text("  select count(*) from vehicles")) == 1
        assert await session.scalar(text("WITH v AS (SELECT vin FROM vehicles) SELECT count(*) FROM v")) == 1


@pytest.fixture
def pings(fresh_db: Database, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    dialect = fresh_db.engine.sync_engine.dialect
    calls: list[object] = []
    ping = dialect.do_ping

    def counted(dbapi: Any) -> bool:
        calls.append(dbapi)
        return ping(dbapi)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return calls


async def backend_pid(database: Database, reading: bool = False) -> int:
    """The server process of the connection a write session (or a read-only one) is given."""
    if reading:
        async with database.read_sessions() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
    else:
        async with database.transaction() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


async def test_a_read_takes_a_connection_used_just_now_unpinged_and_an_idle_one_pinged(
    fresh_db: Database, pings: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend_pid(fresh_db, reading=True)
    assert await backend_pid(fresh_db, reading=True) == first
    assert pings == []
    monkeypatch.setattr(engine_module, "ALIVE_BYPASS_S", 0.0)
    assert await backend_pid(fresh_db, reading=True) == first
    assert len(pings) == 1


async def test_a_write_session_pings_its_connection_however_recent(
    fresh_db: Database, pings: list[object]
) -> None:
    first = await backend_pid(fresh_db)
    assert await backend_pid(fresh_db) == first
    assert len(pings) == 1  # the first checkout was of a new connection, which is not pinged


async def terminate(database: Database, pid: int) -> None:
    """Kill a backend from outside the database's pool (whose one pooled connection is `pid`)."""
    outside = create_async_engine(database.engine.url, poolclass=NullPool)
    try:
        async with outside.connect() as connection:
            assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await outside.dispose()


@pytest.mark.parametrize("reading", [False, True], ids=["write", "read"])
async def test_a_dead_idle_connection_is_replaced_at_checkout_without_an_error(
    fresh_db: Database, pings: list[object], monkeypatch: pytest.MonkeyPatch, reading: bool
) -> None:
    dead = await backend_pid(fresh_db, reading)
    await terminate(fresh_db, dead)
    monkeypatch.setattr(engine_module, "ALIVE_BYPASS_S", 0.0)
    assert await backend_pid(fresh_db, reading) != dead
    assert pings


@pytest.mark.parametrize("reading", [False, True], ids=["write", "read"])
async def test_a_connection_killed_just_after_its_use_is_replaced_without_an_error(
    fresh_db: Database, pings: list[object], monkeypatch: pytest.MonkeyPatch, reading: bool
) -> None:
    """Within the window: a write session pings and replaces it; a read-only one, which does not ping,
    finds it dead at its first statement and reads again on another connection."""
    monkeypatch.setattr(engine_module, "ALIVE_BYPASS_S", 3600.0)
    dead = await backend_pid(fresh_db, reading)
    await terminate(fresh_db, dead)
    assert await backend_pid(fresh_db, reading) != dead
    assert bool(pings) is not reading


async def test_a_read_only_session_does_not_read_again_once_it_has_read(fresh_db: Database) -> None:
    """Only its first statement is read again: after that, what it read came from the connection that died."""
    async with fresh_db.read_sessions() as session:
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        await terminate(fresh_db, int(pid))  # type: ignore[arg-type]
        with pytest.raises(DBAPIError) as failed:
            await session.scalar(text("SELECT 1"))
    assert failed.value.connection_invalidated


@pytest.mark.parametrize("reading", [False, True], ids=["write", "read"])
async def test_sessions_keep_working_across_a_database_restart(tmp_path: Path, reading: bool) -> None:
    """The first session after a restart works, however soon: a restart can be quicker than the bypass window
    (0.24 s seen for a small database)."""
    server = EmbeddedPostgres(tmp_path / "pg", port=free_port())
    server.start()
    database = Database.from_engine(make_engine(server.url()))
    try:
        before = await backend_pid(database, reading)
        server.stop()
        server.start()
        assert await backend_pid(database, reading) != before
    finally:
        await database.dispose()
        server.stop()
