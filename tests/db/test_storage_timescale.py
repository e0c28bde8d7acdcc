"""The TimescaleDB storage strategy, migrated and queried on a real TimescaleDB (PGlite build)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from teslasync.config import StorageMode
from teslasync.db import migrate
from teslasync.db.storage import Strategy, recorded_strategy
from tests.services import pglite_timescale


@pytest.fixture(scope="module")
def timescale_port() -> Iterator[int]:
    with pglite_timescale() as port:
        yield port


@pytest.fixture(scope="module")
async def timescale(timescale_port: int) -> AsyncIterator[AsyncEngine]:
    # PGlite serves one connection at a time: no pool.
    engine = create_async_engine(
        f"postgresql+asyncpg://postgres@127.0.0.1:{timescale_port}/postgres",
        poolclass=NullPool,
        connect_args={"ssl": False},
    )
    await migrate.upgrade(engine, StorageMode.AUTO)
    yield engine
    await engine.dispose()


async def test_auto_chooses_timescale_when_available(timescale: AsyncEngine) -> None:
    async with timescale.connect() as connection:
        assert await connection.run_sync(recorded_strategy) is Strategy.TIMESCALE


async def test_signals_is_a_compressed_hypertable_with_policies(timescale: AsyncEngine) -> None:
    async with timescale.connect() as connection:
        hypertable = (
            await connection.execute(
                text(
                    "SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables "
                    "WHERE hypertable_name = 'signals'"
                )
            )
        ).one()
        assert hypertable.compression_enabled is True
        result = await connection.execute(
            text("SELECT proc_name, hypertable_name FROM timescaledb_information.jobs")
        )
        jobs = {(row.proc_name, row.hypertable_name) for row in result}
        assert ("policy_compression", "signals") in jobs
        assert any(proc == "policy_refresh_continuous_aggregate" for proc, _ in jobs)
        segment_by = set(
            await connection.scalars(
                text(
                    "SELECT attname FROM timescaledb_information.compression_settings "
                    "WHERE hypertable_name = 'signals' AND segmentby_column_index IS NOT NULL"
                )
            )
        )
        assert segment_by == {"vehicle_id", "field"}


async def test_rollup_has_the_same_shape_as_the_plain_table(timescale: AsyncEngine) -> None:
    base = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    async with timescale.begin() as connection:
        vehicle = await connection.scalar(
            text("INSERT INTO vehicles (vin) VALUES ('5YJ3E7EB2NF000201') RETURNING id")
        )
        for minute, level in enumerate([80.0, 79.0, 78.5, 77.0]):
            await connection.execute(
                text(
                    "INSERT INTO signals (vehicle_id, field, ts, num) VALUES (:v, 'BatteryLevel', :ts, :num) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"v": vehicle, "ts": base + timedelta(minutes=minute * 20), "num": level},
            )
    # real-time aggregation answers before any refresh; then materialise and ask again
    query = text(
        "SELECT bucket, n, vmin, vmax, vsum, last_ts, last_num FROM signal_rollups_hourly "
        "WHERE vehicle_id = :v AND field = 'BatteryLevel' ORDER BY bucket"
    )
    async with timescale.connect() as connection:
        live = (await connection.execute(query, {"v": vehicle})).all()
        await connection.commit()
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(
            text(
                "CALL refresh_continuous_aggregate('signal_rollups_hourly', CAST(:lo AS timestamptz), CAST(:hi AS timestamptz))"
            ),
            {"lo": base - timedelta(hours=1), "hi": base + timedelta(hours=3)},
        )
    async with timescale.connect() as connection:
        materialised = (await connection.execute(query, {"v": vehicle})).all()
    expected = [
        (base, 3, 78.5, 80.0, 237.5, base + timedelta(minutes=40), 78.5),
        (base + timedelta(hours=1), 1, 77.0, 77.0, 77.0, base + timedelta(minutes=60), 77.0),
    ]
    assert [tuple(row) for row in live] == expected
    assert [tuple(row) for row in materialised] == expected


async def test_downgrade_removes_the_timescale_objects(timescale_port: int) -> None:
    engine = create_async_engine(
        f"postgresql+asyncpg://postgres@127.0.0.1:{timescale_port}/postgres",
        poolclass=NullPool,
        connect_args={"ssl": False},
    )
    try:
        async with engine.connect() as connection:

            def downgrade(sync_connection: object) -> None:
                config = migrate.alembic_config(sync_connection, StorageMode.AUTO)  # type: ignore[arg-type]
                command.downgrade(config, "base")

            await connection.run_sync(downgrade)
            await connection.commit()
            left = await connection.scalar(
                text(
                    "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'signals'"
                )
            )
            assert left == 0
            await migrate.upgrade_connection(connection, StorageMode.TIMESCALE)
            await connection.commit()
            assert await connection.run_sync(recorded_strategy) is Strategy.TIMESCALE
    finally:
        await engine.dispose()


async def test_signal_retention_drops_old_chunks_and_keeps_the_rest(timescale: AsyncEngine) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    from teslasync.db.repositories.signals import forget_signals_before

    now = datetime.now(UTC)
    async with timescale.connect() as connection:
        vehicle = (
            await connection.execute(
                text("INSERT INTO vehicles (vin) VALUES ('5YJ3E7EB2NF000061') RETURNING id")
            )
        ).scalar_one()
        for days in (90, 60, 2):
            await connection.execute(
                text("INSERT INTO signals (vehicle_id, field, ts, num) VALUES (:v, 'Odometer', :ts, 1)"),
                {"v": vehicle, "ts": now - timedelta(days=days)},
            )
        await connection.commit()
    async with AsyncSession(timescale) as session, session.begin():
        await forget_signals_before(session, now - timedelta(days=30), Strategy.TIMESCALE)
    async with timescale.connect() as connection:
        left = (
            await connection.execute(text("SELECT ts FROM signals WHERE vehicle_id = :v"), {"v": vehicle})
        ).all()
    assert [row.ts.date() for row in left] == [(now - timedelta(days=2)).date()]
