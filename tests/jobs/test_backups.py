"""Scheduled backups: one archive per run, the newest kept, one replica at a time, due from the newest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from teslasync.db.engine import Database
from teslasync.jobs.backups import LOCK_KEY, archives, backup_once, prune
from tests.conftest import make_settings


async def test_backups_are_made_and_pruned(fresh_db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, backup_dir=tmp_path / "backups", backup_keep=2)
    for age_days in (3, 2, 1):  # older archives, named by their time
        stamp = datetime.now(UTC) - timedelta(days=age_days)
        old = tmp_path / "backups" / f"teslasync-backup-{stamp:%Y%m%dT%H%M%SZ}.tar"
        old.parent.mkdir(exist_ok=True)
        old.write_bytes(b"old")
    made = await backup_once(settings, fresh_db)
    assert made is not None and made.stat().st_size > 1000
    kept = archives(tmp_path / "backups")
    assert len(kept) == 2 and kept[-1] == made


async def test_only_one_replica_backs_up_at_a_time(fresh_db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, backup_dir=tmp_path / "backups")
    async with fresh_db.engine.connect() as other_replica:
        assert (await other_replica.execute(select(func.pg_try_advisory_lock(LOCK_KEY)))).scalar() is True
        assert await backup_once(settings, fresh_db) is None
        await other_replica.execute(select(func.pg_advisory_unlock(LOCK_KEY)))
    assert archives(tmp_path / "backups") == []


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for stamp in ("20261126T060000Z", "20261127T060000Z", "20261128T060000Z"):
        (tmp_path / f"teslasync-backup-{stamp}.tar").write_bytes(b"x")
    assert prune(tmp_path, 5) == []
    removed = prune(tmp_path, 1)
    assert [path.name for path in removed] == [
        "teslasync-backup-20261126T060000Z.tar",
        "teslasync-backup-20261127T060000Z.tar",
    ]
    assert [path.name for path in archives(tmp_path)] == ["teslasync-backup-20261128T060000Z.tar"]
