"""The job queue on both backends (SAQ's PostgreSQL queue, and Redis): a job runs in a worker, a failing one
is retried with backoff and, failing for good, kept with its error; a dedup key queues a job once; the
caller's trace continues in the job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from saq.job import Status

from teslasync.auth.secrets import Keyring
from teslasync.db.engine import Database
from teslasync.jobs.queue import JobOptions, JobQueues, QueueName, libpq_url
from teslasync.jobs.services import database_url
from teslasync.jobs.worker import JobServices, build_worker, job_of, services_of
from teslasync.observability import metrics
from tests.conftest import make_settings

QUICK = JobOptions(timeout_s=10, retries=3, retry_delay_s=0.05, max_retry_delay_s=0.2)


class Calls:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.trace_ids: list[int] = []
        self.attempts: dict[str, int] = {}


@pytest.fixture(params=["postgres", "redis"])
async def queues(
    request: pytest.FixtureRequest, fresh_db: Database, tmp_path: Path
) -> AsyncIterator[JobQueues]:
    overrides: dict[str, object] = {}
    if request.param == "redis":
        overrides["redis_url"] = f"redis://127.0.0.1:{request.getfixturevalue('redis_port')}/{_next_db()}"
    settings = make_settings(tmp_path, **overrides)
    job_queues = JobQueues.from_settings(settings, database_url(fresh_db))
    await job_queues.connect()
    try:
        yield job_queues
    finally:
        await job_queues.disconnect()


_redis_dbs = iter(range(1, 16))


def _next_db() -> int:
    return next(_redis_dbs, 15)


async def _worker_running(queues: JobQueues, fresh_db: Database, tmp_path: Path, calls: Calls) -> Any:
    async def succeed(ctx: dict[str, Any], **kwargs: Any) -> str:
        calls.seen.append(("succeed", kwargs))
        calls.trace_ids.append(trace.get_current_span().get_span_context().trace_id)
        assert services_of(ctx).db is fresh_db
        return f"done {kwargs['n']}"

    async def flaky(ctx: dict[str, Any], **kwargs: Any) -> str:
        job = job_of(ctx)
        calls.attempts[job.key] = job.attempts
        if job.attempts < 2:
            raise RuntimeError("the first attempt fails")
        return "recovered"

    async def broken(ctx: dict[str, Any], **kwargs: Any) -> None:
        job = job_of(ctx)
        calls.attempts[job.key] = job.attempts
        raise ValueError("this never works")

    settings = make_settings(tmp_path)
    services = JobServices(settings, fresh_db, queues, lambda: Keyring.from_secret("x" * 40))
    functions = {"succeed": succeed, "flaky": flaky, "broken": broken}
    worker = build_worker(services, QueueName.EXPORTS, functions)
    task = asyncio.create_task(worker.start())
    return worker, task


async def test_jobs_run_retry_and_fail_for_good_with_their_error(
    queues: JobQueues, fresh_db: Database, tmp_path: Path
) -> None:
    calls = Calls()
    failed_before = metrics.JOBS_FINISHED.labels(
        queue="exports", function="broken", outcome="failed"
    )._value.get()
    worker, task = await _worker_running(queues, fresh_db, tmp_path, calls)
    try:
        ok = await queues.enqueue(QueueName.EXPORTS, "succeed", QUICK, n=1)
        flaky = await queues.enqueue(QueueName.EXPORTS, "flaky", QUICK)
        broken = await queues.enqueue(QueueName.EXPORTS, "broken", QUICK)
        assert ok is not None and flaky is not None and broken is not None
        for job in (ok, flaky, broken):
            await job.refresh(until_complete=20)
        assert ok.status is Status.COMPLETE and ok.result == "done 1"
        assert flaky.status is Status.COMPLETE and flaky.result == "recovered"
        assert calls.attempts[flaky.key] == 2
        # retried up to its budget, then kept (readable for a week) with its error
        assert broken.status is Status.FAILED and calls.attempts[broken.key] == QUICK.retries
        assert broken.error is not None and "this never works" in broken.error
        kept = await queues[QueueName.EXPORTS].job(broken.key)
        assert kept is not None and kept.status is Status.FAILED
        failed_after = metrics.JOBS_FINISHED.labels(
            queue="exports", function="broken", outcome="failed"
        )._value.get()
        assert failed_after == failed_before + 1
    finally:
        await worker.stop()
        task.cancel()


async def test_a_dedup_key_queues_a_job_once(queues: JobQueues, fresh_db: Database, tmp_path: Path) -> None:
    first = await queues.enqueue(QueueName.EXPORTS, "succeed", QUICK, key="export:7", n=7)
    second = await queues.enqueue(QueueName.EXPORTS, "succeed", QUICK, key="export:7", n=7)
    assert first is not None and second is None
    calls = Calls()
    worker, task = await _worker_running(queues, fresh_db, tmp_path, calls)
    try:
        await first.refresh(until_complete=20)
        assert first.status is Status.COMPLETE
        await asyncio.sleep(0.3)
        assert calls.seen == [("succeed", {"n": 7})]
    finally:
        await worker.stop()
        task.cancel()


async def test_the_callers_trace_continues_in_the_job(
    queues: JobQueues, fresh_db: Database, tmp_path: Path
) -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        job = await queues.enqueue(QueueName.EXPORTS, "succeed", QUICK, n=2)
        caller_trace = span.get_span_context().trace_id
    assert job is not None and "traceparent" in job.meta["trace"]
    calls = Calls()
    worker, task = await _worker_running(queues, fresh_db, tmp_path, calls)
    try:
        await job.refresh(until_complete=20)
        assert job.status is Status.COMPLETE
        assert calls.trace_ids == [caller_trace]
    finally:
        await worker.stop()
        task.cancel()


def test_the_database_url_is_handed_to_libpq_without_the_driver() -> None:
    url = "postgresql+asyncpg://teslasync:s%40cret@db.example:5433/teslasync?host=/run/pg&port=5433"
    converted = libpq_url(url)
    assert converted.startswith("postgresql://teslasync:s%40cret@db.example:5433/teslasync")
    assert "asyncpg" not in converted
