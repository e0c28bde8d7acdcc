"""Apply the alembic migrations programmatically (at start and by `teslasync migrate`)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from teslasync.config import StorageMode

log = logging.getLogger("teslasync.db.migrate")


# Time-series objects differ per storage strategy and are managed by hand in the migrations.
MANAGED_BY_HAND = frozenset({"signals", "signal_rollups_hourly", "signals_default"})
OPTIONAL_COLUMNS = frozenset({("helix_chunks", "embedding"), ("helix_chunks", "dims")})
MONTHLY_PARTITION = re.compile(r"signals_\d{4}_\d{2}")
# SAQ, the job queue, creates and migrates its own tables (`saq_jobs`, `saq_stats`, `saq_versions`).
FOREIGN_PREFIX = "saq_"


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """What alembic's autogenerate compares: not the hand-made time series, not SAQ's tables, not the
    pgvector columns that exist only where the extension does."""
    if type_ == "column" and (getattr(getattr(obj, "table", None), "name", None), name) in OPTIONAL_COLUMNS:
        return False
    if type_ != "table" or name is None:
        return True
    return (
        name not in MANAGED_BY_HAND
        and not MONTHLY_PARTITION.fullmatch(name)
        and not name.startswith(FOREIGN_PREFIX)
    )


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
