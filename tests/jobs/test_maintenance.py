"""The retention task: old delivery-log entries, finished automation runs (but each rule's latest firing per
car, which carries its cool-down) and old scheduler runs are forgotten; recent and pending ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from teslasync.db.engine import Database
from teslasync.db.models import AutomationRunRow, NotificationDeliveryRow, SchedulerRun
from teslasync.db.repositories import automations as automations_repo
from teslasync.db.repositories import notifications as notifications_repo
from teslasync.db.repositories import users as users_repo
from teslasync.jobs.maintenance import maintenance_tasks
from tests.conftest import make_settings

VIN = "5YJ3E7EB2NF000055"


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
