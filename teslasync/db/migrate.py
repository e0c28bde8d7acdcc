"""Apply the alembic migrations programmatically (at start and by `teslasync migrate`)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from teslasync.config import StorageMode

log = logging.getLogger("teslasync.db.migrate")


def migrations_dir() -> Path:
    """`alembic/` at the repo root (a source checkout or editable install), else the packaged copy."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir.parent / "alembic", package_dir / "_alembic"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("alembic migrations not found")


def alembic_config(connection: Connection, storage_mode: StorageMode) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["connection"] = connection
    config.attributes["storage_mode"] = storage_mode
    return config


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection, storage_mode: StorageMode, revision: str) -> None:
    before = _current(connection)
    command.upgrade(alembic_config(connection, storage_mode), revision)
    after = _current(connection)
    if after != before:
        log.info("database migrated from %s to %s", before or "empty", after)


async def upgrade_connection(
    connection: AsyncConnection, storage_mode: StorageMode = StorageMode.AUTO, revision: str = "head"
) -> None:
    await connection.run_sync(_upgrade, storage_mode, revision)


async def upgrade(engine: AsyncEngine, storage_mode: StorageMode = StorageMode.AUTO) -> None:
    async with engine.connect() as connection:
        await upgrade_connection(connection, storage_mode)
        await connection.commit()
