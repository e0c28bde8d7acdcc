"""The async engine and the unit-of-work wrapper that owns each transaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import orjson
from sqlalchemy import TextClause, event, exc, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

# A connection used less than this long ago is handed to a read-only session without a liveness ping
# (HikariCP's aliveBypassWindow, same value): the ping is three round trips, ~0.3 ms a request under load.
# PostgreSQL can restart within it (0.24 s seen for a small database), so a read-only session that finds its
# connection dead at its first statement reads again on another one (`ReadOnlySession`).
ALIVE_BYPASS_S = 0.5
_reading = ContextVar("_reading", default=False)  # set while a read-only session takes its connection


def to_async_url(url: str) -> str:
    if url.startswith("postgresql+asyncpg://"):
        return url
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    raise ValueError("not a PostgreSQL URL")


def redact_url(url: str) -> str:
    """The URL with any password replaced, safe for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def make_engine(url: str, pool_size: int = 10, connect_timeout_s: float = 10.0) -> AsyncEngine:
    engine = create_async_engine(
        to_async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        json_deserializer=orjson.loads,  # tracks and documents: ~3x faster than json.loads, the same values
        connect_args={"timeout": connect_timeout_s, "server_settings": {"application_name": "teslasync"}},
    )
    ping_before_use(engine)
    return engine


def ping_before_use(engine: AsyncEngine) -> None:
    """SQLAlchemy's pre-ping of a reused connection, skipped when a read-only session takes one used within
    `ALIVE_BYPASS_S`. A connection that fails its ping invalidates the pool (as pre-ping does: the server
    restarted), and the checkout takes a new one."""
    pool, dialect = engine.sync_engine.pool, engine.sync_engine.dialect

    def connected(_dbapi: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["fresh"] = True  # just made: not worth a ping, as pre-ping has it
        record.info["last_used"] = time.monotonic()

    def last_used_now(_dbapi: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["last_used"] = time.monotonic()

    def ping_when_idle(
        dbapi: DBAPIConnection, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        if record.info.pop("fresh", False):
            return
        if _reading.get() and time.monotonic() - record.info.get("last_used", 0.0) < ALIVE_BYPASS_S:
            return
        try:
            dialect.do_ping(dbapi)
        except Exception as error:
            if dialect.is_disconnect(cast(Any, error), dbapi, None):  # any error, as pre-ping does
                raise exc.InvalidatePoolError() from error
            raise

    event.listen(pool, "connect", connected)
    event.listen(pool, "checkin", last_used_now)
    event.listen(pool, "checkout", ping_when_idle)


class SharedSession(AsyncSession):
    """A session the resolvers of one GraphQL operation share while they run concurrently (sibling fields,
    DataLoader batches): its statements take turns, since a connection runs one at a time. Only the
    methods that reach the connection themselves are serialised (`scalars` goes through `execute`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await self._statement(super().execute, *args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await self._statement(super().scalar, *args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await self._statement(super().get, *args, **kwargs)

    async def _statement(self, run: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        return await run(*args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        async with self._turn:
            await super().flush(*args, **kwargs)

    async def delete(self, instance: object) -> None:
        async with self._turn:
            await super().delete(instance)

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        async with self._turn:
            await super().refresh(*args, **kwargs)


class ReadOnlySession(SharedSession):
    """A GraphQL query's session (see `Database.read_sessions`). Its first statement takes a connection
    without pinging it when it was used just now; if that connection turns out dead (the server restarted
    meanwhile), the statement runs again on another. Nothing was read yet, and nothing is written, so
    running it again is safe."""

    _connected = False

    async def _statement(self, run: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        if self._connected:
            return await run(*args, **kwargs)
        reading = _reading.set(True)
        try:
            result = await run(*args, **kwargs)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            await self.rollback()
            # a disconnect makes the pool drop every connection older than it: this takes a new one
            result = await run(*args, **kwargs)
        finally:
            _reading.reset(reading)
        self._connected = True
        return result


class WriteInReadOnlySession(RuntimeError):
    """A statement that writes, run through a read-only session: a GraphQL query that writes is a bug."""


class ReadOnlySyncSession(Session):
    """The synchronous half of a read-only session (SQLAlchemy's session events are registered on it)."""


_READ_STATEMENT_STARTS = ("SELECT", "WITH", "(SELECT")


@event.listens_for(ReadOnlySyncSession, "do_orm_execute")
def _refuse_writes(state: ORMExecuteState) -> None:
    statement = state.statement
    if isinstance(statement, TextClause):
        if not statement.text.lstrip().upper().startswith(_READ_STATEMENT_STARTS):
            raise WriteInReadOnlySession(f"not a read: {statement.text.strip()[:60]!r}")
    elif state.is_insert or state.is_update or state.is_delete:
        raise WriteInReadOnlySession(f"not a read: {type(statement).__name__}")


@event.listens_for(ReadOnlySyncSession, "before_flush")
def _refuse_flush(session: Session, *_: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise WriteInReadOnlySession("objects added, changed or deleted in a read-only session")


@dataclass
class Database:
    """The engine and the session factories; tests bind the factories to one connection in a transaction.

    `read_sessions` serve GraphQL queries and token checks (`ReadOnlySession`). On an engine they run in
    autocommit: under READ COMMITTED a read-only transaction gives its statements no common snapshot, so
    BEGIN and COMMIT would only cost two round trips (~0.2 ms a query). They refuse statements that write,
    so a query cannot write half of something without a transaction to roll it back."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def from_engine(cls, engine: AsyncEngine) -> Database:
        factory: async_sessionmaker[AsyncSession] = async_sessionmaker(
            engine, expire_on_commit=False, class_=SharedSession
        )
        readers: async_sessionmaker[AsyncSession] = async_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            class_=ReadOnlySession,
            sync_session_class=ReadOnlySyncSession,
        )
        return cls(engine, factory, readers)

    @classmethod
    def bound_to(cls, connection: AsyncConnection) -> Database:
        """Sessions that join `connection`'s transaction through savepoints (used by tests)."""
        options: dict[str, Any] = {
            "bind": connection,
            "expire_on_commit": False,
            "join_transaction_mode": "create_savepoint",
            "class_": SharedSession,
        }
        factory: async_sessionmaker[AsyncSession] = async_sessionmaker(**options)
        readers: async_sessionmaker[AsyncSession] = async_sessionmaker(
            **{**options, "class_": ReadOnlySession}, sync_session_class=ReadOnlySyncSession
        )
        return cls(connection.engine, factory, readers)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The unit of work: commit on success, roll back on any error. Services never commit."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self, timeout_s: float = 2.0) -> None:
        async with asyncio.timeout(timeout_s), self.sessions() as session:
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
