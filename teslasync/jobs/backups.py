"""Scheduled backups: every `TESLASYNC_BACKUP_EVERY_H` hours into `TESLASYNC_BACKUP_DIR`, keeping the newest
`TESLASYNC_BACKUP_KEEP`. The scheduler's `backup` task runs it once per period across replicas (see
jobs/scheduler.py); an advisory lock also keeps a manual run from overlapping a scheduled one."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select

from teslasync.config import Settings
from teslasync.db.backup import backup
from teslasync.db.engine import Database

log = logging.getLogger("teslasync.jobs.backups")

LOCK_KEY = 0x7E5B_AC00  # the advisory lock of scheduled backups
PATTERN = "teslasync-backup-*.tar"


def archives(directory: Path) -> list[Path]:
    """Oldest first (their names carry the time)."""
    return sorted(directory.glob(PATTERN)) if directory.is_dir() else []


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives; the deleted ones."""
    found = archives(directory)
    doomed = found[: max(0, len(found) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


async def backup_once(settings: Settings, db: Database) -> Path | None:
    """One scheduled backup, unless another replica is making one; the archive written, or None."""
    assert settings.backup_dir is not None
    async with db.engine.connect() as connection:
        if not (await connection.execute(select(func.pg_try_advisory_lock(LOCK_KEY)))).scalar():
            return None
        try:
            summary = await backup(settings, db.engine, settings.backup_dir)
        finally:
            await connection.execute(select(func.pg_advisory_unlock(LOCK_KEY)))
    removed = prune(settings.backup_dir, settings.backup_keep)
    log.info(
        "backup written: %s (%d rows, %d bytes); %d old archive(s) removed",
        summary.path.name,
        summary.rows,
        summary.bytes,
        len(removed),
    )
    return summary.path
