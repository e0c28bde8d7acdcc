"""Alembic environment: runs on a connection handed over by `teslasync.db.migrate`, or opens its own from
TESLASYNC_DATABASE_URL when the alembic command line is used directly."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from teslasync.config import load_settings
from teslasync.db.engine import make_engine
from teslasync.db.migrate import include_object
from teslasync.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    settings = load_settings()
    if settings.database_url is None:
        raise SystemExit("set TESLASYNC_DATABASE_URL, or use `teslasync migrate` for the embedded database")
    engine = make_engine(settings.database_url.get_secret_value())
    async with engine.connect() as connection:
        await connection.run_sync(run_on)
        await connection.commit()
    await engine.dispose()


given = config.attributes.get("connection")
if given is not None:
    run_on(given)
else:
    asyncio.run(run_online())
