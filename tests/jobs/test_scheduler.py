"""The scheduler: two API replicas share one database and never run a task twice for one slot; a slow run is
not overlapped by the next slot's; failures are recorded and the loop goes on."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from teslasync.db.engine import Database
from teslasync.db.models import SchedulerRun
from teslasync.jobs.scheduler import SKIPPED, Scheduler, Task


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


async def _runs(db: Database) -> list[SchedulerRun]:
    async with db.transaction() as session:
        return list((await session.scalars(select(SchedulerRun).order_by(SchedulerRun.slot_at))).all())


async def test_two_replicas_run_each_slot_once(fresh_db: Database) -> None:
    ran: Counter[tuple[str, str, datetime]] = Counter()
    clock = Clock(datetime(2026, 11, 28, 10, 0, 30, tzinfo=UTC))

    def task(name: str, every: timedelta, replica: str) -> Task:
        async def run() -> None:
            ran[(name, replica, clock.now)] += 1
            await asyncio.sleep(0.01)

        return Task(name, every, run)

    replicas = [
        Scheduler(
            fresh_db,
            [task("minutely", timedelta(minutes=1), name), task("five", timedelta(minutes=5), name)],
            runner=name,
            clock=clock,
        )
        for name in ("api-1", "api-2")
    ]
    for _ in range(12):  # twelve minutes, both replicas looking at the same moments, concurrently
        counts = await asyncio.gather(*(replica.run_due() for replica in replicas))
        assert sum(counts) >= 1
        clock.now += timedelta(minutes=1)
    per_task = Counter(name for (name, _, _), times in ran.items() for _ in range(times))
    assert per_task["minutely"] == 12
    assert per_task["five"] == 3  # slots 10:00, 10:05, 10:10
    runs = await _runs(fresh_db)
    assert len(runs) == 15 and all(run.finished_at is not None and run.error is None for run in runs)
    assert {run.runner for run in runs} <= {"api-1", "api-2"}


async def test_a_slow_run_is_not_overlapped_and_a_failure_is_recorded(fresh_db: Database) -> None:
    clock = Clock(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await release.wait()

    async def failing() -> None:
        raise RuntimeError("the disk is full")

    first = Scheduler(fresh_db, [Task("slow", timedelta(minutes=1), slow)], runner="api-1", clock=clock)
    second = Scheduler(fresh_db, [Task("slow", timedelta(minutes=1), slow)], runner="api-2", clock=clock)
    running = await first.start_due()
    await asyncio.wait_for(started.wait(), 5)
    clock.now += timedelta(minutes=1)
    assert await second.run_due() == 1  # claimed the next slot, but found the task still running
    release.set()
    await asyncio.gather(*running)
    errors = [run.error for run in await _runs(fresh_db)]
    assert errors == [None, SKIPPED]

    broken = Scheduler(fresh_db, [Task("broken", timedelta(hours=1), failing)], runner="api-1", clock=clock)
    assert await broken.run_due() == 1
    recorded = [run for run in await _runs(fresh_db) if run.task == "broken"]
    assert recorded[0].error == "RuntimeError: the disk is full"
    assert await broken.run_due() == 0  # the same slot is not tried again


def test_task_names_are_unique_and_slots_align_to_the_period(fresh_db: Database) -> None:
    async def nothing() -> None:
        return None

    with pytest.raises(ValueError, match="unique"):
        Scheduler(
            fresh_db, [Task("a", timedelta(minutes=1), nothing), Task("a", timedelta(hours=1), nothing)]
        )
    hourly = Task("h", timedelta(hours=1), nothing)
    assert hourly.slot(datetime(2026, 11, 28, 10, 59, 59, tzinfo=UTC)) == datetime(
        2026, 11, 28, 10, tzinfo=UTC
    )
