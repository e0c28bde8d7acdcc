"""The jobs side of a process, built once and started with it: the queues, the workers that run in this
process (all of them in the embedded default, none with `TESLASYNC_WORKERS=external`), and the scheduler."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from saq import Worker

from teslasync.auth.secrets import Keyring
from teslasync.config import Settings, WorkersMode
from teslasync.db.engine import Database
from teslasync.fleet.services import Fleet
from teslasync.jobs.maintenance import Extra, maintenance_tasks
from teslasync.jobs.queue import JobQueues, QueueName
from teslasync.jobs.scheduler import Scheduler
from teslasync.jobs.worker import JobServices, build_worker, functions_for
from teslasync.observability import metrics

log = logging.getLogger("teslasync.jobs")

QUEUED_EVERY_S = 15.0


def database_url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


@dataclass
class Jobs:
    services: JobServices
    worker_queues: list[QueueName]
    run_scheduler: bool
    extra_tasks: dict[str, tuple[timedelta, Extra]] = field(default_factory=dict)
    workers: list[Worker[Any]] = field(default_factory=list)
    scheduler: Scheduler | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        settings: Settings,
        db: Database,
        keys: Callable[[], Keyring],
        fleet: Fleet | None,
        *,
        worker_queues: list[QueueName] | None = None,
        run_scheduler: bool | None = None,
    ) -> Jobs:
        """For the API: its workers per `TESLASYNC_WORKERS` and the scheduler per `TESLASYNC_SCHEDULER`;
        a worker process names its queues and runs no scheduler."""
        queues = JobQueues.from_settings(settings, database_url(db))
        services = JobServices(settings, db, queues, keys, fleet)
        if worker_queues is None:
            worker_queues = list(QueueName) if settings.workers is WorkersMode.INLINE else []
        return cls(
            services,
            worker_queues,
            settings.scheduler if run_scheduler is None else run_scheduler,
        )

    @property
    def queues(self) -> JobQueues:
        return self.services.queues

    async def start(self) -> None:
        await self.queues.connect()
        for queue in self.worker_queues:
            worker = build_worker(self.services, queue, functions_for(queue))
            self.workers.append(worker)
            self._tasks.append(asyncio.create_task(worker.start(), name=f"worker-{queue}"))
        self._tasks.append(asyncio.create_task(self._count_queued(), name="jobs-queued"))
        if self.run_scheduler:
            tasks = maintenance_tasks(
                self.services.settings, self.services.db, self.services.fleet, self.extra_tasks
            )
            self.scheduler = Scheduler(self.services.db, tasks)
            self._tasks.append(asyncio.create_task(self.scheduler.run(), name="scheduler"))

    async def _count_queued(self) -> None:
        """The `teslasync_jobs_queued` gauge, read from the shared queues by every process that serves
        metrics, so any one's /metrics tells the truth."""
        while True:
            for name, queue in self.queues.queues.items():
                try:
                    metrics.JOBS_QUEUED.labels(queue=str(name)).set(await queue.count("queued"))
                except Exception as exc:  # a queue outage must not end the loop
                    log.debug("counting queued %s jobs failed: %s", name, exc)
            await asyncio.sleep(QUEUED_EVERY_S)

    async def run_until_stopped(self) -> None:
        """A worker process: until SIGINT or SIGTERM."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        await self.start()
        try:
            await stopping.wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        # a job cut short is put back in its queue ("cancelled") and runs again later
        await asyncio.gather(*(worker.stop() for worker in self.workers))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self.workers.clear()
        await self.queues.disconnect()
        await self.services.close()
