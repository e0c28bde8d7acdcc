from __future__ import annotations

import pgvector.sqlalchemy  # noqa: F401  # teaches SQLAlchemy the `vector` type of helix_chunks
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from teslasync.config import StorageMode
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import make_engine
from teslasync.db.models import Base
from tests.conftest import create_database


async def test_upgrade_downgrade_upgrade_round_trip(postgres: EmbeddedPostgres) -> None:
    engine = make_engine(await create_database(postgres, "teslasync_migrations"))
    try:
        await migrate.upgrade(engine, StorageMode.AUTO)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert {
                "vehicles",
                "api_tokens",
                "storage_settings",
                "signals",
                "signal_rollups_hourly",
            } <= tables
            # The embedded server has no TimescaleDB, so auto picks the plain strategy.
            strategy = await connection.scalar(text("SELECT value FROM storage_settings"))
            assert strategy == "plain"

            def downgrade(sync_connection: object) -> None:
                command.downgrade(migrate.alembic_config(sync_connection, StorageMode.AUTO), "base")  # type: ignore[arg-type]

            await connection.run_sync(downgrade)
            await connection.commit()
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert tables <= {"alembic_version"}

        await migrate.upgrade(engine, StorageMode.AUTO)
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM storage_settings")) == 1
    finally:
        await engine.dispose()


SCHEMA_ONLY_CHANGES = {"remove_index", "remove_fk", "add_fk", "remove_constraint"}
MODEL_LESS = {"mqtt_receipts"}  # written by raw SQL in db/repositories/mqtt.py


async def test_the_models_match_what_the_migrations_build(engine: AsyncEngine) -> None:
    """A table or column added to a model but not to a migration (or the reverse) shows up here, not in
    production. Indexes and constraints live in the migrations only, so they are not compared."""

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"include_object": migrate.include_object})
        return [
            change
            for change in compare_metadata(context, Base.metadata)
            if not (isinstance(change, tuple) and change[0] in SCHEMA_ONLY_CHANGES)
            and not (
                isinstance(change, tuple) and change[0] == "remove_table" and change[1].name in MODEL_LESS
            )
        ]

    async with engine.connect() as connection:
        found = await connection.run_sync(differences)
    assert found == []
