"""Workers: SAQ workers for the queues, each job function wrapped in a span (continuing the trace of whoever
queued it), with the jobs metrics. `teslasync worker exports|notifications|automations` runs one queue's
worker as its own process; in the embedded default (`TESLASYNC_WORKERS=inline`) the API runs them all."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from saq import Worker
from saq.job import Job
from saq.types import PartialTimersDict

from teslasync.auth.secrets import Keyring
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.fleet.services import Fleet
from teslasync.jobs.queue import JobQueues, QueueName
from teslasync.observability import metrics, tracing

log = logging.getLogger("teslasync.jobs")

HTTP_TIMEOUT_S = 20.0
JobFunction = Callable[..., Awaitable[Any]]


@dataclass
class JobServices:
    """What job functions reach, built once per process: `ctx["services"]` inside a job."""

    settings: Settings
    db: Database
    queues: JobQueues
    keys: Callable[[], Keyring]
    fleet: Fleet | None = None
    _http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """One HTTP client for the channels and webhooks, opened with the first use."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, follow_redirects=False)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def services_of(ctx: Mapping[str, Any]) -> JobServices:
    services = ctx["services"]
    assert isinstance(services, JobServices)
    return services


def job_of(ctx: Mapping[str, Any]) -> Job:
    job = ctx["job"]
    assert isinstance(job, Job)
    return job


def instrumented(queue: QueueName, name: str, function: JobFunction) -> JobFunction:
    """`function` as a job: in a span, counted, timed; a failure on the last attempt is logged as final."""

    async def run(ctx: dict[str, Any], **kwargs: Any) -> Any:
        job = job_of(ctx)
        carried = tracing.extract_context(job.meta.get("trace"))
        attributes = {"job.queue": str(queue), "job.function": name, "job.attempt": job.attempts}
        started = time.perf_counter()
        metrics.JOBS_RUNNING.labels(queue=str(queue)).inc()
        with tracing.resumed(carried, f"job {name}", **attributes) as span:
            try:
                result = await function(ctx, **kwargs)
            except Exception as exc:
                final = not job.retryable
                outcome = "failed" if final else "retried"
                metrics.JOBS_FINISHED.labels(queue=str(queue), function=name, outcome=outcome).inc()
                tracing.mark_error(span, type(exc).__name__)
                if final:
                    log.error(
                        "job %s (%s) failed for good after %d attempt(s): %s",
                        name,
                        job.key,
                        job.attempts,
                        exc,
                    )
                raise
            else:
                metrics.JOBS_FINISHED.labels(queue=str(queue), function=name, outcome="complete").inc()
                return result
            finally:
                metrics.JOBS_RUNNING.labels(queue=str(queue)).dec()
                metrics.JOB_SECONDS.labels(queue=str(queue), function=name).observe(
                    time.perf_counter() - started
                )

    run.__qualname__ = name
    return run


class QuietWorker(Worker[Any]):
    """A SAQ worker that leaves SIGINT and SIGTERM to its process: the API server's, or, in a worker
    process, one handler that stops all its workers (SAQ's own would let only the last worker see them)."""

    SIGNALS = []  # noqa: RUF012 - overrides SAQ's class attribute


def build_worker(
    services: JobServices,
    queue: QueueName,
    functions: Mapping[str, JobFunction],
) -> Worker[Any]:
    wrapped = [(name, instrumented(queue, name, function)) for name, function in functions.items()]
    worker = QuietWorker(
        services.queues[queue],
        functions=wrapped,
        concurrency=services.settings.worker_concurrency,
        timers=PartialTimersDict(sweep=30, schedule=1, abort=1, worker_info=10),
        poll_interval=1.0,
        dequeue_timeout=1.0,
    )
    worker.context["services"] = services
    return worker


def functions_for(queue: QueueName) -> dict[str, JobFunction]:
    """The job functions each queue's worker runs (imported here, so a worker loads only its own)."""
    if queue is QueueName.EXPORTS:
        from teslasync.jobs import export_runs

        return {"run_export": export_runs.run_export}
    if queue is QueueName.NOTIFICATIONS:
        from teslasync.jobs import notifications

        return dict(notifications.FUNCTIONS)
    from teslasync.jobs import automations

    return dict(automations.FUNCTIONS)


def queues_named(names: Sequence[str]) -> list[QueueName]:
    if not names or "all" in names:
        return list(QueueName)
    return [QueueName(name) for name in names]
