"""Circuit breakers for Tesla's upstreams: the Fleet API host of each region, the vehicle-command proxy and
the token endpoint.

After `failure_threshold` consecutive failures a breaker opens: calls are refused at once (`CircuitOpen`)
instead of piling onto a failing upstream. Once `reset_after_s` has passed it is half-open and lets
`half_open_max_calls` trial calls through; a trial's success closes it, a trial's failure opens it again for
another `reset_after_s`.

One asyncio loop drives every breaker, so there is no locking; the half-open trial limit still holds for
concurrent tasks because admitting a trial (`before_call`) never awaits.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from enum import StrEnum

from teslasync.observability.metrics import (
    CIRCUIT_BREAKER_REJECTIONS,
    CIRCUIT_BREAKER_STATE,
    CIRCUIT_BREAKER_TRANSITIONS,
)

__all__ = ["BreakerState", "Breakers", "CircuitBreaker", "CircuitOpen"]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


_GAUGE_VALUE = {BreakerState.CLOSED: 0, BreakerState.OPEN: 1, BreakerState.HALF_OPEN: 2}

# What a caller refused because the half-open trials are still running should wait: the trials usually end
# within a request timeout, and either close the breaker or open it again (then the next refusal says how long).
_TRIAL_PENDING_RETRY_S = 1.0


class CircuitOpen(Exception):
    """The upstream's breaker refused the call; nothing was sent."""

    def __init__(self, upstream: str, retry_after_s: float) -> None:
        self.upstream = upstream
        self.retry_after_s = max(0.0, retry_after_s)
        super().__init__(
            f"{upstream} is failing: not calling it for another {math.ceil(self.retry_after_s)} s"
        )


def _always(_: BaseException) -> bool:
    return True


class CircuitBreaker:
    """The breaker of one upstream. Use `call()`, or `before_call()` plus exactly one of `record_success()`,
    `record_failure()` or `release()` per admitted call."""

    def __init__(
        self,
        upstream: str,
        *,
        failure_threshold: int = 5,
        reset_after_s: float = 30.0,
        half_open_max_calls: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if not reset_after_s > 0:
            raise ValueError("reset_after_s must be positive")
        if half_open_max_calls < 1:
            raise ValueError("half_open_max_calls must be at least 1")
        self.upstream = upstream
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self.half_open_max_calls = half_open_max_calls
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0  # consecutive, while closed
        self._opened_at = 0.0
        self._trials = 0  # trial calls in flight, while half-open
        self._half_open_round = 0  # tells a trial of this half-open period from one of an earlier period
        CIRCUIT_BREAKER_STATE.labels(upstream=upstream).set(_GAUGE_VALUE[BreakerState.CLOSED])

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.upstream!r}, state={self._state.value})"

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose reset time has passed becomes half-open here."""
        if self._state is BreakerState.OPEN and self._clock() >= self._opened_at + self.reset_after_s:
            self._enter(BreakerState.HALF_OPEN)
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def before_call(self) -> None:
        """Admit a call or raise `CircuitOpen`."""
        self._admit()

    def record_success(self) -> None:
        state = self.state
        if state is BreakerState.OPEN:
            # A call that started before the breaker opened: the half-open trial decides, not a straggler.
            return
        self._failures = 0
        if state is BreakerState.HALF_OPEN:
            self._enter(BreakerState.CLOSED)

    def record_failure(self) -> None:
        state = self.state
        if state is BreakerState.OPEN:
            # Already open; a straggler's failure must not push the retry time further out.
            return
        if state is BreakerState.HALF_OPEN:
            self._open()
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._open()

    def release(self) -> None:
        """End an admitted call without judging the upstream (the caller's own error, a 4xx, a cancellation)."""
        if self.state is BreakerState.HALF_OPEN and self._trials > 0:
            self._trials -= 1

    @asynccontextmanager
    async def call(self, is_failure: Callable[[BaseException], bool] = _always) -> AsyncIterator[None]:
        """Guard one upstream call. An `Exception` for which `is_failure` is true counts as a failure, any
        other exception releases the call; the exception is re-raised either way. A cancellation (or another
        BaseException that is not an Exception) never counts: it says nothing about the upstream."""
        trial_round = self._admit()
        try:
            yield
        except BaseException as exc:
            failed = False
            try:
                failed = isinstance(exc, Exception) and is_failure(exc)
            finally:
                if failed:
                    self.record_failure()
                elif trial_round is not None and trial_round == self._half_open_round:
                    self.release()
            raise
        else:
            self.record_success()

    def _admit(self) -> int | None:
        """Admit a call, returning the half-open round when it is a trial call (None when closed)."""
        state = self.state
        if state is BreakerState.CLOSED:
            return None
        if state is BreakerState.HALF_OPEN and self._trials < self.half_open_max_calls:
            self._trials += 1
            return self._half_open_round
        if state is BreakerState.OPEN:
            retry_after_s = self._opened_at + self.reset_after_s - self._clock()
        else:
            retry_after_s = _TRIAL_PENDING_RETRY_S
        CIRCUIT_BREAKER_REJECTIONS.labels(upstream=self.upstream).inc()
        raise CircuitOpen(self.upstream, retry_after_s)

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._enter(BreakerState.OPEN)

    def _enter(self, state: BreakerState) -> None:
        if state is BreakerState.HALF_OPEN:
            self._half_open_round += 1
        self._trials = 0
        self._failures = 0
        self._state = state
        CIRCUIT_BREAKER_STATE.labels(upstream=self.upstream).set(_GAUGE_VALUE[state])
        CIRCUIT_BREAKER_TRANSITIONS.labels(upstream=self.upstream, to=state.value).inc()


class Breakers:
    """One breaker per upstream name, made on first use with the shared settings."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_after_s: float = 30.0,
        half_open_max_calls: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = (failure_threshold, reset_after_s, half_open_max_calls)
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, upstream: str) -> CircuitBreaker:
        breaker = self._breakers.get(upstream)
        if breaker is None:
            failure_threshold, reset_after_s, half_open_max_calls = self._settings
            breaker = CircuitBreaker(
                upstream,
                failure_threshold=failure_threshold,
                reset_after_s=reset_after_s,
                half_open_max_calls=half_open_max_calls,
                clock=self._clock,
            )
            self._breakers[upstream] = breaker
        return breaker

    def states(self) -> dict[str, BreakerState]:
        return {name: breaker.state for name, breaker in self._breakers.items()}
