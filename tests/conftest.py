from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from teslasync.app import create_app
from teslasync.config import Settings, StorageMode
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, make_engine
from teslasync.telemetry.fanout import LocalFanout
from teslasync.telemetry.pipeline import Pipeline
from tests.services import mosquitto, redis_server

TEST_DATABASE = "teslasync_test"


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """One embedded PostgreSQL 18 for the whole run, on its own data dir."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg"), port=55432)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def create_database(server: EmbeddedPostgres, name: str, template: str | None = None) -> str:
    """A new, empty database (or a copy of `template`), replacing any of that name."""
    admin = make_engine(server.url("postgres"))
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        await connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    await admin.dispose()
    return server.url(name)


@pytest.fixture(scope="session")
async def engine(postgres: EmbeddedPostgres) -> AsyncIterator[AsyncEngine]:
    """The migrated test database (plain PostgreSQL strategy)."""
    url = await create_database(postgres, TEST_DATABASE)
    engine = make_engine(url)
    await migrate.upgrade(engine, StorageMode.PLAIN)
    yield engine
    await engine.dispose()


TEMPLATE_DATABASE = "teslasync_template"
FIXTURES = Path(
    os.environ.get(
        "TESLASYNC_FIXTURES", Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "fleet-telemetry"
    )
)


@pytest.fixture(scope="session")
async def template_url(postgres: EmbeddedPostgres) -> str:
    """A migrated database that per-test databases are copied from (CREATE DATABASE ... TEMPLATE)."""
    url = await create_database(postgres, TEMPLATE_DATABASE)
    engine = make_engine(url)
    await migrate.upgrade(engine, StorageMode.PLAIN)
    await engine.dispose()
    return url


_copies = itertools.count()


@pytest.fixture
async def fresh_db(postgres: EmbeddedPostgres, template_url: str) -> AsyncIterator[Database]:
    """A database of its own, migrated, with a real engine: for code that commits and runs concurrently
    (the telemetry pipeline, live subscriptions)."""
    url = await create_database(postgres, f"teslasync_t{next(_copies)}", template=TEMPLATE_DATABASE)
    database = Database.from_engine(make_engine(url))
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def cli_database(postgres: EmbeddedPostgres) -> str:
    """An empty database for the CLI to migrate, as a plain postgresql:// URL."""
    url = await create_database(postgres, f"teslasync_cli{next(_copies)}")
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def pipeline(fresh_db: Database) -> AsyncIterator[Pipeline]:
    """A running pipeline on a database of its own, with in-process fan-out."""
    pipe = Pipeline(fresh_db, LocalFanout())
    await pipe.start()
    yield pipe
    await pipe.stop()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        raise RuntimeError(f"real telemetry fixtures not found at {FIXTURES} (set TESLASYNC_FIXTURES)")
    return FIXTURES


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[Database]:
    """A Database whose sessions all join one transaction, rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield Database.bound_to(connection)
        finally:
            await transaction.rollback()


@pytest.fixture(scope="session")
def redis_port() -> Iterator[int]:
    with redis_server() as port:
        yield port


@pytest.fixture(scope="session")
def mqtt_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with mosquitto(tmp_path_factory.mktemp("mqtt")) as port:
        yield port


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test. The scheduler is off unless a test turns it on: its maintenance would otherwise
    run beside the test on the `db` fixture's one shared connection."""
    overrides.setdefault("scheduler", False)
    return Settings(data_dir=tmp_path, _env_file=None, **overrides)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, demo=True)


def client_for(settings: Settings, db: Database, client_host: str = "127.0.0.1") -> AsyncClient:
    app = create_app(settings, db, dispose_on_shutdown=False)
    transport = ASGITransport(app=app, client=(client_host, 50000))
    return AsyncClient(transport=transport, base_url="http://teslasync.test")


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[AsyncClient]:
    async with client_for(settings, db) as http:
        yield http
