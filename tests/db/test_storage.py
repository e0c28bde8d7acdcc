from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from teslasync.db.engine import Database
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.db.storage import Strategy, recorded_strategy

INSERT = text(
    "INSERT INTO signals (vehicle_id, field, ts, num) VALUES (:vehicle, :field, :ts, :num) "
    "ON CONFLICT (vehicle_id, field, ts) DO NOTHING"
)


async def test_plain_strategy_is_recorded(db: Database) -> None:
    async with db.transaction() as session:
        strategy = await session.run_sync(lambda s: recorded_strategy(s.connection()))
    assert strategy is Strategy.PLAIN


async def test_current_month_has_its_own_partition(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, "5YJ3E7EB2NF000101")
        await session.execute(
            INSERT, {"vehicle": vehicle.id, "field": "BatteryLevel", "ts": now, "num": 80.0}
        )
        partition = await session.scalar(
            text("SELECT tableoid::regclass::text FROM signals WHERE vehicle_id = :v"), {"v": vehicle.id}
        )
    assert partition == f"signals_{now:%Y_%m}"


async def test_signal_writes_are_idempotent(db: Database) -> None:
    ts = datetime.now(UTC)
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, "5YJ3E7EB2NF000102")
        for _ in range(3):
            await session.execute(
                INSERT, {"vehicle": vehicle.id, "field": "Odometer", "ts": ts, "num": 1000.5}
            )
        count = await session.scalar(
            text("SELECT count(*) FROM signals WHERE vehicle_id = :v"), {"v": vehicle.id}
        )
    assert count == 1


async def test_old_rows_move_from_default_into_their_month(db: Database) -> None:
    old = datetime(2019, 3, 14, 12, 0, tzinfo=UTC)
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, "5YJ3E7EB2NF000103")
        await session.execute(INSERT, {"vehicle": vehicle.id, "field": "Soc", "ts": old, "num": 55.5})
        where = text("SELECT tableoid::regclass::text FROM signals WHERE vehicle_id = :v")
        assert await session.scalar(where, {"v": vehicle.id}) == "signals_default"

        created = await session.scalar(text("SELECT teslasync_ensure_signal_partition(DATE '2019-03-01')"))
        assert created is True
        assert await session.scalar(where, {"v": vehicle.id}) == "signals_2019_03"
        value = await session.scalar(text("SELECT num FROM signals WHERE vehicle_id = :v"), {"v": vehicle.id})
        assert value == 55.5
        again = await session.scalar(text("SELECT teslasync_ensure_signal_partition(DATE '2019-03-01')"))
        assert again is False


async def test_partitions_are_prepared_ahead(db: Database) -> None:
    async with db.transaction() as session:
        await session.scalar(text("SELECT teslasync_ensure_signal_partitions(1, 3)"))
        names = set(
            await session.scalars(
                text("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'signals'::regclass")
            )
        )
    now = datetime.now(UTC)
    month = datetime(now.year, now.month, 1, tzinfo=UTC)
    expected = set()
    for offset in range(-1, 4):
        index = month.month - 1 + offset
        expected.add(f"signals_{month.year + index // 12:04d}_{index % 12 + 1:02d}")
    assert expected <= names
    assert "signals_default" in names


async def test_the_service_prepares_months_ahead_as_time_passes(db: Database) -> None:
    """A row five months ahead lands in the default partition (the migration prepared three); the service's
    periodic preparation gives it its month, as it would once that month comes near."""
    from teslasync.db.repositories.signals import prepare_partitions

    now = datetime.now(UTC)
    index = now.month - 1 + 5
    ahead = datetime(now.year + index // 12, index % 12 + 1, 15, tzinfo=UTC)
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, "5YJ3E7EB2NF000104")
        await session.execute(INSERT, {"vehicle": vehicle.id, "field": "Soc", "ts": ahead, "num": 61.0})
        where = text("SELECT tableoid::regclass::text FROM signals WHERE vehicle_id = :v")
        assert await session.scalar(where, {"v": vehicle.id}) == "signals_default"
        assert await prepare_partitions(session, 1, 5) >= 1
        assert await session.scalar(where, {"v": vehicle.id}) == f"signals_{ahead:%Y_%m}"
        assert await prepare_partitions(session, 1, 5) == 0
