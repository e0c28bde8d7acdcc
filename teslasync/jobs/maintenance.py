"""The scheduled maintenance tasks the API's scheduler runs (see jobs/scheduler.py for "once per slot")."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.fleet.services import Fleet
from teslasync.jobs import scheduler
from teslasync.jobs.backups import backup_once
from teslasync.jobs.export_runs import clean_up_exports
from teslasync.jobs.scheduler import Task

log = logging.getLogger("teslasync.jobs.maintenance")

SCHEDULER_LOG_DAYS = 7
Extra = Callable[[], Awaitable[object]]


def maintenance_tasks(
    settings: Settings,
    db: Database,
    fleet: Fleet | None,
    extra: dict[str, tuple[timedelta, Extra]] | None = None,
) -> list[Task]:
    """Every periodic task of this installation. `extra` adds tasks owned by other parts (notifications'
    stale-stream check, automations' schedules), by name."""
    tasks = [
        Task("export-clean-up", timedelta(minutes=10), lambda: clean_up_exports(settings, db)),
        Task("retention", timedelta(hours=1), lambda: _retention(settings, db)),
    ]
    if settings.signal_retention_days > 0:
        tasks.append(Task("signal-retention", timedelta(hours=1), lambda: _signal_retention(settings, db)))
    if fleet is not None:
        tasks.append(Task("tesla-token-refresh", timedelta(minutes=5), fleet.accounts.refresh_due))
    if settings.backup_dir is not None and settings.backup_every_h > 0:
        tasks.append(
            Task("backup", timedelta(hours=settings.backup_every_h), lambda: backup_once(settings, db))
        )
    for name, (every, run) in (extra or {}).items():
        tasks.append(Task(name, every, run))
    return tasks


async def _retention(settings: Settings, db: Database) -> None:
    from teslasync.db.repositories import automations as automations_repo
    from teslasync.db.repositories import notifications as notifications_repo

    now = datetime.now(UTC)
    forgotten = await scheduler.forget_runs_before(db, now - timedelta(days=SCHEDULER_LOG_DAYS))
    kept_since = now - timedelta(days=settings.notification_log_days)
    async with db.transaction() as session:
        deliveries = await notifications_repo.forget_before(session, kept_since)
        runs = await automations_repo.forget_runs_before(session, kept_since)
    if forgotten or deliveries or runs:
        log.info(
            "retention: %d scheduler runs, %d notifications and %d automation runs forgotten",
            forgotten,
            deliveries,
            runs,
        )


async def _signal_retention(settings: Settings, db: Database) -> None:
    from teslasync.db.repositories.signals import forget_signals_before
    from teslasync.db.storage import recorded_strategy

    cutoff = datetime.now(UTC) - timedelta(days=settings.signal_retention_days)
    async with db.transaction() as session:
        strategy = await session.run_sync(lambda sync: recorded_strategy(sync.connection()))
        deleted = await forget_signals_before(session, cutoff, strategy)
    log.info("signal retention: raw signals before %s removed (%d row by row)", cutoff.isoformat(), deleted)
