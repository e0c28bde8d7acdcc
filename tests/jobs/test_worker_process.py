"""`teslasync worker exports` as its own process: it takes an export the API queued (the API running with
TESLASYNC_WORKERS=external), writes it, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

from teslasync.db.engine import Database
from teslasync.db.models import ExportRow
from teslasync.jobs.export_runs import queue_export
from teslasync.jobs.exports import Dataset, ExportSpec, Format
from teslasync.jobs.queue import JobQueues
from teslasync.jobs.services import database_url
from tests.cli_helpers import TESLASYNC, clean_env
from tests.conftest import make_settings
from tests.jobs.test_exports import BASE, copy_signals, prepare


async def _status(db: Database, export_id: int) -> ExportRow:
    async with db.transaction() as session:
        row = await session.get(ExportRow, export_id, populate_existing=True)
        assert row is not None
        return row


async def test_a_worker_process_runs_exports_and_stops_on_sigterm(tmp_path: Path, fresh_db: Database) -> None:
    ids = await prepare(fresh_db)
    await copy_signals(
        fresh_db,
        [(ids[0], "Odometer", BASE + timedelta(minutes=i), float(i), None, None, False) for i in range(500)],
    )
    settings = make_settings(tmp_path, workers="external")
    url = database_url(fresh_db).replace("postgresql+asyncpg://", "postgresql://")
    env = clean_env(TESLASYNC_DATABASE_URL=url, TESLASYNC_DATA_DIR=str(tmp_path), TESLASYNC_LOG_FORMAT="text")
    worker = await asyncio.create_subprocess_exec(
        *TESLASYNC, "worker", "exports", env=env, cwd=tmp_path, stderr=subprocess.PIPE
    )
    queues = JobQueues.from_settings(settings, database_url(fresh_db))
    await queues.connect()
    try:
        spec = ExportSpec(Dataset.SIGNALS, Format.JSONL, (ids[0],), BASE, BASE + timedelta(days=1))
        row = await queue_export(fresh_db, queues, None, spec, ["5YJ3E7EB2NF000001"])
        for _ in range(300):
            current = await _status(fresh_db, row.id)
            if current.status in ("done", "failed"):
                break
            await asyncio.sleep(0.1)
        assert current.status == "done", current.error
        assert current.rows == 500
        assert (settings.resolved_export_dir / str(current.file_name)).read_text().count("\n") == 500
    finally:
        await queues.disconnect()
        worker.send_signal(signal.SIGTERM)
        _, output = await asyncio.wait_for(worker.communicate(), 30)
    stderr = output.decode()
    assert worker.returncode == 0, stderr
    assert "worker for exports starting" in stderr
