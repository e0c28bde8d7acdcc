"""The retention task: old delivery-log entries, finished automation runs (but each rule's latest firing per
car, which carries its cool-down) and old scheduler runs are forgotten; recent and pending ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text, update

from teslasync.db.engine import Database
from teslasync.db.models import AutomationRunRow, NotificationDeliveryRow, SchedulerRun
from teslasync.db.repositories import automations as automations_repo
from teslasync.db.repositories import notifications as notifications_repo
from teslasync.db.repositories import users as users_repo
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.jobs.maintenance import maintenance_tasks
from tests.conftest import make_settings

VIN = "5YJ3E7EB2NF000055"
PARTITIONS = "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'signals'::regclass"


async def test_retention_forgets_what_is_old_and_keeps_cool_downs(fresh_db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, notification_log_days=30)
    now = datetime.now(UTC)
    old = now - timedelta(days=45)
    async with fresh_db.transaction() as session:
        admin = await users_repo.builtin_admin(session)
        channel = await notifications_repo.add_channel(session, admin.id, "webhook", "hook", {}, None)
        for key, status in (("old-sent", "sent"), ("old-pending", "pending"), ("new-sent", "sent")):
            await notifications_repo.add_delivery(
                session,
                user_id=admin.id,
                channel_id=channel.id,
                kind="test",
                vin=None,
                dedup_key=key,
                event={},
            )
            await session.execute(
                update(NotificationDeliveryRow)
                .where(NotificationDeliveryRow.dedup_key == key)
                .values(status=status, created_at=old if key.startswith("old") else now)
            )
        rule = await automations_repo.add_rule(session, admin.id, "r", {}, True)
        for fired in (
            old - timedelta(days=2),
            old,
        ):  # both old; the later is the rule's latest firing for VIN
            run_id = await automations_repo.add_run(
                session, rule_id=rule.id, vin=VIN, fired_at=fired, trigger="t", values={}, actions=[]
            )
            assert run_id is not None
            await automations_repo.finish_run(session, run_id, "done", [])
        session.add(SchedulerRun(task="retention", slot_at=now - timedelta(days=8), runner="x"))
    [retention] = [task for task in maintenance_tasks(settings, fresh_db, None) if task.name == "retention"]
    await retention.run()
    async with fresh_db.transaction() as session:
        kept = sorted((await session.scalars(select(NotificationDeliveryRow.dedup_key))).all())
        runs = (await session.scalars(select(AutomationRunRow.fired_at))).all()
        scheduler_runs = await session.scalar(select(func.count()).select_from(SchedulerRun))
    assert kept == ["new-sent", "old-pending"]
    assert runs == [old]
    assert scheduler_runs == 0


async def test_signal_retention_drops_old_months_and_keeps_derived_data(
    fresh_db: Database, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, signal_retention_days=30)
    now = datetime.now(UTC)
    ages = (100, 65, 31, 29, 1)
    async with fresh_db.transaction() as session:
        vehicle = await ensure_vehicle(session, VIN)
        for days in ages:
            at = now - timedelta(days=days)
            await session.execute(
                text("SELECT teslasync_ensure_signal_partition(:m)"), {"m": at.date().replace(day=1)}
            )
            await session.execute(
                text("INSERT INTO signals (vehicle_id, field, ts, num) VALUES (:v, 'Odometer', :ts, :n)"),
                {"v": vehicle.id, "ts": at, "n": float(days)},
            )
            await session.execute(
                text(
                    "INSERT INTO signal_rollups_hourly (vehicle_id, field, bucket, n, vmin, vmax, vsum, last_ts,"
                    " last_num) VALUES (:v, 'Odometer', date_trunc('hour', CAST(:ts AS timestamptz)), 1, :n, :n,"
                    " :n, :ts, :n)"
                ),
                {"v": vehicle.id, "ts": at, "n": float(days)},
            )
        before = set((await session.execute(text(PARTITIONS))).scalars())
    [task] = [task for task in maintenance_tasks(settings, fresh_db, None) if task.name == "signal-retention"]
    await task.run()
    async with fresh_db.transaction() as session:
        kept = sorted((await session.execute(text("SELECT num FROM signals"))).scalars())
        rollups = (await session.execute(text("SELECT count(*) FROM signal_rollups_hourly"))).scalar()
        after = set((await session.execute(text(PARTITIONS))).scalars())
    assert kept == [1.0, 29.0]
    assert rollups == len(ages)  # the hourly rollups outlive the raw values
    oldest = (now - timedelta(days=100)).strftime("signals_%Y_%m")
    assert (
        oldest in before and oldest not in after
    )  # a whole month older than the cutoff: dropped, not deleted
    assert not [
        name
        for name in maintenance_tasks(make_settings(tmp_path), fresh_db, None)
        if name.name == "signal-retention"
    ]
