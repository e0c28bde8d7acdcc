"""The in-process scheduler: periodic maintenance (token refresh, stale-stream checks, retention, partitions,
export clean-up, backups) run by the API.

Every replica may run a scheduler; a task still runs once per slot. Time is cut into slots of the task's
period (aligned to the Unix epoch), and a run first claims its slot by inserting `(task, slot)` into
`scheduler_runs`, whose primary key lets exactly one insert win. The winner also holds an advisory lock
on the task while it runs, so a slow run is never overlapped by the next slot's on another replica (that
slot is recorded as skipped). A slot missed while no replica ran is not caught up: the next one runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from teslasync.db.engine import Database
from teslasync.db.models import SchedulerRun
from teslasync.observability import metrics

log = logging.getLogger("teslasync.jobs.scheduler")

LOCK_NAMESPACE = 0x7E5C_0000  # advisory lock keys of scheduled tasks: this plus a hash of the task's name
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SKIPPED = "skipped: the previous run is still going"


@dataclass(frozen=True)
class Task:
    name: str
    every: timedelta
    run: Callable[[], Awaitable[object]]

    def slot(self, now: datetime) -> datetime:
        """The start of the slot `now` falls in."""
        period = self.every.total_seconds()
        elapsed = (now - EPOCH).total_seconds()
        return EPOCH + timedelta(seconds=elapsed - elapsed % period)

    @property
    def lock_key(self) -> int:
        return LOCK_NAMESPACE + zlib.crc32(self.name.encode()) % 0xFFFF


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    def __init__(
        self,
        db: Database,
        tasks: Sequence[Task],
        *,
        runner: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        poll_s: float = 1.0,
    ) -> None:
        names = [task.name for task in tasks]
        if len(set(names)) != len(names):
            raise ValueError("scheduled task names must be unique")
        self.db = db
        self.tasks = list(tasks)
        self.runner = runner or runner_name()
        self.clock = clock
        self.poll_s = poll_s
        self._claimed: dict[str, datetime] = {}  # the last slot this process looked at, per task
        self._running: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Run due tasks until cancelled (a task's failure is logged and recorded, never stops the loop)."""
        try:
            while True:
                await self.start_due()
                await asyncio.sleep(self.poll_s)
        finally:
            for running in self._running:
                running.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)

    async def start_due(self) -> list[asyncio.Task[None]]:
        """Claim and start every task whose current slot is unclaimed; the runs started."""
        now = self.clock()
        started = []
        for task in self.tasks:
            slot = task.slot(now)
            if self._claimed.get(task.name) == slot:
                continue
            self._claimed[task.name] = slot
            if await self._claim(task, slot):
                running = asyncio.create_task(self._run(task, slot), name=f"scheduled-{task.name}")
                self._running.add(running)
                running.add_done_callback(self._running.discard)
                started.append(running)
        return started

    async def run_due(self) -> int:
        """Claim, run and wait for every due task (tests, and `teslasync maintenance`): how many ran here."""
        runs = await self.start_due()
        await asyncio.gather(*runs)
        return len(runs)

    async def _claim(self, task: Task, slot: datetime) -> bool:
        statement = (
            insert(SchedulerRun)
            .values(task=task.name, slot_at=slot, runner=self.runner)
            .on_conflict_do_nothing()
            .returning(SchedulerRun.task)
        )
        async with self.db.transaction() as session:
            return (await session.execute(statement)).scalar() is not None

    async def _run(self, task: Task, slot: datetime) -> None:
        error: str | None = None
        async with self.db.engine.connect() as lock:
            if not await lock.scalar(select(func.pg_try_advisory_lock(task.lock_key))):
                await self._finish(task, slot, SKIPPED)
                metrics.SCHEDULED_RUNS.labels(task=task.name, outcome="skipped").inc()
                return
            try:
                await task.run()
            except Exception as exc:
                log.exception("scheduled task %s failed", task.name)
                error = f"{type(exc).__name__}: {exc}"[:2000]
            finally:
                await lock.scalar(select(func.pg_advisory_unlock(task.lock_key)))
                await lock.commit()
        await self._finish(task, slot, error)
        metrics.SCHEDULED_RUNS.labels(task=task.name, outcome="failed" if error else "complete").inc()

    async def _finish(self, task: Task, slot: datetime, error: str | None) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(SchedulerRun)
                .where(SchedulerRun.task == task.name, SchedulerRun.slot_at == slot)
                .values(finished_at=func.now(), error=error)
            )


async def forget_runs_before(db: Database, before: datetime) -> int:
    """Retention of the scheduler's own log."""
    async with db.transaction() as session:
        result = await session.execute(delete(SchedulerRun).where(SchedulerRun.slot_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
