"""The job queues (SAQ): Redis when `TESLASYNC_REDIS_URL` is set, PostgreSQL otherwise (SAQ's own `saq_*`
tables, created by SAQ on connect and kept out of the alembic migrations).

There is one queue per kind of worker, so `teslasync worker exports` scales apart from the notifications.
Every job carries the caller's trace context in `meta`, so its span continues the request that queued it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from saq import Job, Queue
from sqlalchemy.engine import make_url

from teslasync.config import Settings
from teslasync.observability import tracing

# SAQ takes its advisory locks as (keyspace, n); a keyspace of our own keeps them apart from other users of
# the database.
SAQ_LOCK_KEYSPACE = 0x7E5A
FINISHED_JOB_TTL_S = 7 * 24 * 3600  # a job that failed for good stays readable, with its error, for a week


class QueueName(StrEnum):
    EXPORTS = "exports"
    NOTIFICATIONS = "notifications"
    AUTOMATIONS = "automations"


@dataclass(frozen=True)
class JobOptions:
    """How a kind of job runs: SAQ's `timeout` (s, 0 = none), `heartbeat` (s without a progress update
    after which the job counts as stuck), `retries` (attempts in all) and the first retry's delay, doubled
    each time (with jitter) up to `max_retry_delay_s`."""

    timeout_s: int = 60
    heartbeat_s: int = 0
    retries: int = 3
    retry_delay_s: float = 5.0
    max_retry_delay_s: float = 600.0

    def saq_kwargs(self) -> dict[str, Any]:
        return {
            "timeout": self.timeout_s,
            "heartbeat": self.heartbeat_s,
            "retries": self.retries,
            "retry_delay": self.retry_delay_s,
            "retry_backoff": self.max_retry_delay_s,
            "ttl": FINISHED_JOB_TTL_S,
        }


SWEEP_SETTLE_S = 10.0


def settled_redis_queue() -> type[Queue]:
    """SAQ's Redis queue, whose sweep waits `SWEEP_SETTLE_S` after a worker starts. SAQ sweeps at once when a
    worker starts, and counts a job that a worker has just taken but not yet marked active as stuck: it
    would run twice. Stuck jobs of dead workers are swept a little later instead."""
    from saq.queue.redis import RedisQueue

    class SettledRedisQueue(RedisQueue):
        _first_sweep: float | None = None

        async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
            now = time.monotonic()
            if self._first_sweep is None:
                self._first_sweep = now
            if now - self._first_sweep < SWEEP_SETTLE_S:
                return []
            return await super().sweep(lock, abort)

    return SettledRedisQueue


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL (`postgresql+asyncpg://…`) as libpq takes it (psycopg, which SAQ uses)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class JobQueues:
    """The three queues over one connection (pool), connected and disconnected together."""

    def __init__(self, queues: Mapping[QueueName, Queue], pool: Any | None = None) -> None:
        self.queues = dict(queues)
        self._pool = pool
        for queue in self.queues.values():
            queue.register_before_enqueue(_carry_trace_context)

    @classmethod
    def from_settings(cls, settings: Settings, database_url: str) -> JobQueues:
        if settings.redis_url is not None:
            url = settings.redis_url.get_secret_value()
            kind = settled_redis_queue()
            return cls({name: kind.from_url(url, name=f"teslasync:{name}") for name in QueueName})
        from psycopg_pool import AsyncConnectionPool
        from saq.queue.postgres import PostgresQueue

        pool = AsyncConnectionPool(
            libpq_url(database_url),
            min_size=1,
            max_size=settings.job_pool_size,
            open=False,
            kwargs={"autocommit": True, "application_name": "teslasync-jobs"},
        )
        queues = {
            name: PostgresQueue(
                pool=pool,
                name=str(name),
                saq_lock_keyspace=SAQ_LOCK_KEYSPACE,
                manage_pool_lifecycle=False,
            )
            for name in QueueName
        }
        return cls(queues, pool)

    def __getitem__(self, name: QueueName) -> Queue:
        return self.queues[name]

    async def connect(self) -> None:
        if self._pool is not None:
            await self._pool.open()
        for queue in self.queues.values():
            await queue.connect()

    async def disconnect(self) -> None:
        for queue in self.queues.values():
            await queue.disconnect()
        if self._pool is not None:
            await self._pool.close()

    async def enqueue(
        self,
        name: QueueName,
        function: str,
        options: JobOptions,
        *,
        key: str | None = None,
        scheduled: float = 0,
        **kwargs: Any,
    ) -> Job | None:
        """Queue `function(**kwargs)`. A `key` makes it a dedup key: while a job with that key is queued or
        running, another is not queued (None comes back)."""
        job = Job(function=function, kwargs=kwargs, scheduled=int(scheduled), **options.saq_kwargs())
        if key is not None:
            job.key = key
        return await self.queues[name].enqueue(job)


async def _carry_trace_context(job: Job) -> None:
    carrier = tracing.inject_context()
    if carrier:
        job.meta["trace"] = carrier
