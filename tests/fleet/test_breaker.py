"""Circuit breakers: opening, refusing, half-open trials, closing, the context manager and the metrics."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from prometheus_client import REGISTRY

from teslasync.fleet.breaker import Breakers, BreakerState, CircuitBreaker, CircuitOpen

_names = itertools.count()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ClientError(Exception):
    """Stands for a 4xx: the caller's mistake, not the upstream failing."""


class UpstreamError(Exception):
    pass


def upstream_name() -> str:
    # The metrics live in the process-wide registry: a fresh upstream per test keeps the series apart.
    return f"test-upstream-{next(_names)}"


def make(
    clock: FakeClock, *, failure_threshold: int = 5, reset_after_s: float = 30.0, half_open_max_calls: int = 1
) -> CircuitBreaker:
    return CircuitBreaker(
        upstream_name(),
        failure_threshold=failure_threshold,
        reset_after_s=reset_after_s,
        half_open_max_calls=half_open_max_calls,
        clock=clock,
    )


def state_of(breaker: CircuitBreaker) -> BreakerState:
    # Read through a function: mypy would otherwise narrow `breaker.state` across calls that change it.
    return breaker.state


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.before_call()
        breaker.record_failure()


def gauge(upstream: str) -> float | None:
    return REGISTRY.get_sample_value("teslasync_circuit_breaker_state", {"upstream": upstream})


def transitions(upstream: str, to: str) -> float:
    value = REGISTRY.get_sample_value(
        "teslasync_circuit_breaker_transitions_total", {"upstream": upstream, "to": to}
    )
    return value or 0.0


def rejections(upstream: str) -> float:
    value = REGISTRY.get_sample_value("teslasync_circuit_breaker_rejections_total", {"upstream": upstream})
    return value or 0.0


def test_opens_after_the_threshold_of_consecutive_failures() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=3)
    fail(breaker, 2)
    assert state_of(breaker) is BreakerState.CLOSED
    fail(breaker, 1)
    assert state_of(breaker) is BreakerState.OPEN


def test_a_success_resets_the_consecutive_count() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=3)
    for _ in range(4):
        fail(breaker, 2)
        breaker.before_call()
        breaker.record_success()
    assert state_of(breaker) is BreakerState.CLOSED
    assert breaker.consecutive_failures == 0
    fail(breaker, 3)
    assert state_of(breaker) is BreakerState.OPEN


def test_refuses_while_open_and_says_how_long() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=2, reset_after_s=30.0)
    fail(breaker, 2)
    clock.advance(12.5)
    with pytest.raises(CircuitOpen) as refused:
        breaker.before_call()
    assert refused.value.upstream == breaker.upstream
    assert refused.value.retry_after_s == pytest.approx(17.5)
    assert str(refused.value) == f"{breaker.upstream} is failing: not calling it for another 18 s"
    assert state_of(breaker) is BreakerState.OPEN


def test_half_open_after_the_reset_time_admits_one_trial() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=1, reset_after_s=30.0)
    fail(breaker, 1)
    clock.advance(29.9)
    assert state_of(breaker) is BreakerState.OPEN
    clock.advance(0.1)
    assert state_of(breaker) is BreakerState.HALF_OPEN
    breaker.before_call()
    with pytest.raises(CircuitOpen) as refused:
        breaker.before_call()
    assert refused.value.retry_after_s > 0


def test_half_open_admits_exactly_half_open_max_calls() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=1, reset_after_s=5.0, half_open_max_calls=3)
    fail(breaker, 1)
    clock.advance(5)
    for _ in range(3):
        breaker.before_call()
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_a_trial_success_closes() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=2, reset_after_s=10.0)
    fail(breaker, 2)
    clock.advance(10)
    breaker.before_call()
    breaker.record_success()
    assert state_of(breaker) is BreakerState.CLOSED
    breaker.before_call()
    breaker.before_call()  # closed: no limit on concurrent calls
    fail(breaker, 1)
    assert state_of(breaker) is BreakerState.CLOSED  # the count started again from zero


def test_a_trial_failure_reopens_at_once_with_the_timer_restarted() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=5, reset_after_s=10.0)
    fail(breaker, 5)
    clock.advance(15)
    breaker.before_call()
    breaker.record_failure()  # one failure is enough in half-open
    assert state_of(breaker) is BreakerState.OPEN
    with pytest.raises(CircuitOpen) as refused:
        breaker.before_call()
    assert refused.value.retry_after_s == pytest.approx(10.0)
    clock.advance(10)
    assert state_of(breaker) is BreakerState.HALF_OPEN


def test_release_frees_the_trial_slot_without_judging() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=1, reset_after_s=10.0)
    fail(breaker, 1)
    clock.advance(10)
    breaker.before_call()
    breaker.release()
    assert state_of(breaker) is BreakerState.HALF_OPEN
    breaker.before_call()  # the slot is free again
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_a_straggler_failure_does_not_push_the_reset_time_out() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=1, reset_after_s=10.0)
    breaker.before_call()  # a slow call, started while closed
    fail(breaker, 1)
    clock.advance(4)
    breaker.record_failure()  # the slow call fails while the breaker is open
    with pytest.raises(CircuitOpen) as refused:
        breaker.before_call()
    assert refused.value.retry_after_s == pytest.approx(6.0)


async def test_call_records_success_and_failure() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=2, reset_after_s=10.0)
    async with breaker.call():
        pass
    for _ in range(2):
        with pytest.raises(UpstreamError):
            async with breaker.call():
                raise UpstreamError
    assert state_of(breaker) is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        async with breaker.call():
            pytest.fail("the body must not run while open")
    clock.advance(10)
    async with breaker.call():
        pass
    assert state_of(breaker) is BreakerState.CLOSED


async def test_call_with_is_failure_ignores_client_errors() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=1, reset_after_s=10.0)

    def upstream_fault(exc: BaseException) -> bool:
        return not isinstance(exc, ClientError)

    for _ in range(3):
        with pytest.raises(ClientError):
            async with breaker.call(upstream_fault):
                raise ClientError
    assert state_of(breaker) is BreakerState.CLOSED
    with pytest.raises(UpstreamError):
        async with breaker.call(upstream_fault):
            raise UpstreamError
    assert state_of(breaker) is BreakerState.OPEN

    # In half-open a client error releases the trial slot: the next call is admitted as a trial.
    clock.advance(10)
    with pytest.raises(ClientError):
        async with breaker.call(upstream_fault):
            raise ClientError
    assert state_of(breaker) is BreakerState.HALF_OPEN
    async with breaker.call(upstream_fault):
        pass
    assert state_of(breaker) is BreakerState.CLOSED


async def test_a_cancelled_trial_releases_its_slot() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=1, reset_after_s=10.0)
    fail(breaker, 1)
    clock.advance(10)
    started = asyncio.Event()

    async def trial() -> None:
        async with breaker.call():
            started.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(trial())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert state_of(breaker) is BreakerState.HALF_OPEN
    breaker.before_call()  # admitted: the cancelled trial gave its slot back


async def test_concurrent_tasks_in_half_open_respect_the_trial_limit() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=1, reset_after_s=10.0, half_open_max_calls=2)
    fail(breaker, 1)
    clock.advance(10)
    gate = asyncio.Event()
    admitted = 0

    async def attempt() -> str:
        nonlocal admitted
        try:
            async with breaker.call():
                admitted += 1
                await gate.wait()
        except CircuitOpen:
            return "refused"
        return "called"

    tasks = [asyncio.create_task(attempt()) for _ in range(6)]
    await asyncio.sleep(0)
    assert admitted == 2
    gate.set()
    outcomes = await asyncio.gather(*tasks)
    assert sorted(outcomes) == ["called"] * 2 + ["refused"] * 4
    assert state_of(breaker) is BreakerState.CLOSED


def test_metrics_follow_the_transitions() -> None:
    clock = FakeClock()
    breaker = make(clock, failure_threshold=2, reset_after_s=10.0)
    name = breaker.upstream
    assert gauge(name) == 0
    fail(breaker, 2)
    assert gauge(name) == 1
    assert transitions(name, "open") == 1
    for _ in range(3):
        with pytest.raises(CircuitOpen):
            breaker.before_call()
    assert rejections(name) == 3

    clock.advance(10)
    assert gauge(name) == 1  # not observed yet
    assert state_of(breaker) is BreakerState.HALF_OPEN  # observing it moves it, and the gauge with it
    assert gauge(name) == 2
    assert transitions(name, "half_open") == 1
    breaker.before_call()
    breaker.record_failure()
    assert gauge(name) == 1
    assert transitions(name, "open") == 2

    clock.advance(10)
    breaker.before_call()  # a call observes the state too
    assert gauge(name) == 2
    breaker.record_success()
    assert gauge(name) == 0
    assert transitions(name, "closed") == 1
    assert transitions(name, "half_open") == 2
    assert rejections(name) == 3


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(upstream_name(), failure_threshold=0)
    with pytest.raises(ValueError, match="reset_after_s"):
        CircuitBreaker(upstream_name(), reset_after_s=0)
    with pytest.raises(ValueError, match="half_open_max_calls"):
        CircuitBreaker(upstream_name(), half_open_max_calls=0)


def test_breakers_registry_keeps_one_breaker_per_upstream() -> None:
    clock = FakeClock()
    breakers = Breakers(failure_threshold=2, reset_after_s=7.0, clock=clock)
    eu, na = upstream_name(), upstream_name()
    assert breakers.get(eu) is breakers.get(eu)
    assert breakers.get(eu) is not breakers.get(na)
    assert breakers.get(eu).failure_threshold == 2
    assert breakers.get(na).reset_after_s == 7.0
    fail(breakers.get(eu), 2)
    assert breakers.states() == {eu: BreakerState.OPEN, na: BreakerState.CLOSED}
    clock.advance(7)
    assert breakers.states() == {eu: BreakerState.HALF_OPEN, na: BreakerState.CLOSED}
