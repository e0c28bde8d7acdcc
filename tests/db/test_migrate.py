from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from teslasync.config import StorageMode
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import make_engine
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
