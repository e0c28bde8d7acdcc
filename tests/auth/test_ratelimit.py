from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from prometheus_client import REGISTRY

from teslasync.auth.ratelimit import (
    Decision,
    Limit,
    MemoryRateLimiter,
    RedisRateLimiter,
    limiter_for,
    record_refusal,
    redis_client,
)
from tests.services import free_port

PER_SECOND = Limit(per_minute=60, burst=3)  # one more each second, three at once


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def unique(name: str = "key") -> str:
    return f"test:{name}:{uuid.uuid4().hex}"


def backend_errors() -> float:
    return REGISTRY.get_sample_value("teslasync_rate_limit_backend_errors_total") or 0.0


# in-process


async def test_memory_allows_the_burst_then_refuses_until_the_next_interval() -> None:
    limiter = MemoryRateLimiter(clock=FakeClock())
    decisions = [await limiter.hit("user:1", PER_SECOND) for _ in range(4)]
    assert decisions[:3] == [Decision(True, 0.0, 2), Decision(True, 0.0, 1), Decision(True, 0.0, 0)]
    assert decisions[3] == Decision(False, 1.0, 0)


async def test_memory_refills_at_the_sustained_rate_up_to_the_burst() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    for _ in range(3):
        assert (await limiter.hit("k", PER_SECOND)).allowed
    clock.advance(0.4)
    refused = await limiter.hit("k", PER_SECOND)
    assert not refused.allowed and refused.retry_after_s == pytest.approx(0.6)
    clock.advance(0.6)
    assert await limiter.hit("k", PER_SECOND) == Decision(True, 0.0, 0)
    assert not (await limiter.hit("k", PER_SECOND)).allowed
    clock.advance(2.0)  # two intervals: two more
    assert [(await limiter.hit("k", PER_SECOND)).allowed for _ in range(3)] == [True, True, False]
    clock.advance(3600)  # a long idle refills only up to the burst
    assert [(await limiter.hit("k", PER_SECOND)).remaining for _ in range(3)] == [2, 1, 0]
    assert not (await limiter.hit("k", PER_SECOND)).allowed


async def test_memory_fractional_rates_count_exactly() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    limit = Limit(per_minute=7, burst=5)  # an interval of 8.571429 s (whole microseconds)
    assert limit.interval_us == 8_571_429
    assert [(await limiter.hit("k", limit)).remaining for _ in range(5)] == [4, 3, 2, 1, 0]
    clock.advance(3 * 8.571429)
    assert (await limiter.hit("k", limit)).remaining == 2


async def test_memory_keys_are_independent() -> None:
    limiter = MemoryRateLimiter(clock=FakeClock())
    for _ in range(3):
        await limiter.hit("user:1:mutation", PER_SECOND)
    assert not (await limiter.hit("user:1:mutation", PER_SECOND)).allowed
    assert await limiter.hit("user:2:mutation", PER_SECOND) == Decision(True, 0.0, 2)
    assert await limiter.hit("user:1:query", PER_SECOND) == Decision(True, 0.0, 2)


async def test_memory_cost_takes_several_cells() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    limit = Limit(per_minute=60, burst=5)
    assert await limiter.hit("k", limit, cost=3) == Decision(True, 0.0, 2)
    # two left, three asked: refused until one more cell refills, and nothing is taken
    assert await limiter.hit("k", limit, cost=3) == Decision(False, 1.0, 2)
    assert await limiter.hit("k", limit, cost=2) == Decision(True, 0.0, 0)
    clock.advance(5)
    assert await limiter.hit("k", limit, cost=5) == Decision(True, 0.0, 0)


@pytest.mark.parametrize("cost", [0, -1, 4])
async def test_a_cost_outside_one_to_burst_is_a_programming_error(cost: int) -> None:
    with pytest.raises(ValueError, match="cost"):
        await MemoryRateLimiter().hit("k", PER_SECOND, cost=cost)


@pytest.mark.parametrize(("per_minute", "burst"), [(0, 1), (-5, 1), (math.inf, 1), (math.nan, 1), (60, 0)])
def test_limits_must_be_positive(per_minute: float, burst: int) -> None:
    with pytest.raises(ValueError):
        Limit(per_minute=per_minute, burst=burst)


async def test_memory_is_bounded_and_evicts_idle_keys_before_limited_ones() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(max_keys=10, clock=clock)
    slow = Limit(per_minute=1, burst=1)  # limited for a minute after one hit
    fast = Limit(per_minute=6000, burst=1)  # idle again 10 ms after a hit
    assert (await limiter.hit("hot", slow)).allowed  # the least recently used key from here on
    for i in range(1000):
        clock.advance(0.02)
        assert (await limiter.hit(f"visitor:{i}", fast)).allowed
        assert len(limiter) <= 10
    assert len(limiter) == 10
    assert not (await limiter.hit("hot", slow)).allowed


async def test_memory_evicts_the_least_recently_used_when_no_key_is_idle() -> None:
    limiter = MemoryRateLimiter(max_keys=3, clock=FakeClock())
    slow = Limit(per_minute=1, burst=1)
    for key in ("a", "b", "c"):
        await limiter.hit(key, slow)
    assert not (await limiter.hit("a", slow)).allowed  # "a" is now the most recently used
    await limiter.hit("d", slow)  # evicts "b"
    assert len(limiter) == 3
    assert not (await limiter.hit("a", slow)).allowed
    assert not (await limiter.hit("c", slow)).allowed
    assert (await limiter.hit("b", slow)).allowed  # forgotten, so a fresh budget


async def test_memory_stays_correct_through_many_hits_on_few_keys() -> None:
    """Superseded expiry entries are compacted; the result is unchanged."""
    clock = FakeClock()
    limiter = MemoryRateLimiter(max_keys=2, clock=clock)
    limit = Limit(per_minute=60_000, burst=2)  # 1 ms interval
    for _ in range(5000):
        clock.advance(0.001)
        for key in ("a", "b"):
            assert (await limiter.hit(key, limit)).allowed
    assert len(limiter._expiry) <= 2 * 2 + 64 + 1


# Redis


@pytest.fixture
async def limiter(redis_port: int) -> AsyncIterator[RedisRateLimiter]:
    limiter = limiter_for(f"redis://127.0.0.1:{redis_port}")
    assert isinstance(limiter, RedisRateLimiter)
    yield limiter
    await limiter.close()


@pytest.fixture
async def client(redis_port: int) -> AsyncIterator[redis.Redis]:
    client = redis.Redis(port=redis_port)
    yield client
    await client.aclose()


async def test_redis_allows_the_burst_then_refuses(limiter: RedisRateLimiter) -> None:
    key, before = unique(), backend_errors()
    decisions = [await limiter.hit(key, PER_SECOND) for _ in range(4)]
    assert decisions[:3] == [Decision(True, 0.0, 2), Decision(True, 0.0, 1), Decision(True, 0.0, 0)]
    assert not decisions[3].allowed and decisions[3].remaining == 0
    assert 0.5 < decisions[3].retry_after_s <= 1.0
    assert backend_errors() == before


async def test_redis_refills_after_retry_after(limiter: RedisRateLimiter) -> None:
    key, limit = unique(), Limit(per_minute=300, burst=2)  # 200 ms interval
    assert [(await limiter.hit(key, limit)).allowed for _ in range(3)] == [True, True, False]
    refused = await limiter.hit(key, limit)
    assert not refused.allowed
    await asyncio.sleep(refused.retry_after_s + 0.01)
    assert (await limiter.hit(key, limit)).allowed


async def test_redis_cost_takes_several_cells(limiter: RedisRateLimiter) -> None:
    key, limit = unique(), Limit(per_minute=60, burst=5)
    assert await limiter.hit(key, limit, cost=3) == Decision(True, 0.0, 2)
    refused = await limiter.hit(key, limit, cost=3)
    assert not refused.allowed and refused.remaining == 2 and 0.5 < refused.retry_after_s <= 1.0
    assert await limiter.hit(key, limit, cost=2) == Decision(True, 0.0, 0)
    with pytest.raises(ValueError):
        await limiter.hit(key, limit, cost=6)


async def test_two_replicas_share_one_budget(redis_port: int) -> None:
    url = f"redis://127.0.0.1:{redis_port}"
    one, two = RedisRateLimiter(redis_client(url)), RedisRateLimiter(redis_client(url))
    try:
        key = unique("user")
        allowed = [(await replica.hit(key, PER_SECOND)).allowed for replica in (one, two, one, two, one)]
        assert allowed == [True, True, True, False, False]
        assert not (await two.hit(key, PER_SECOND)).allowed
        assert (await two.hit(unique("other"), PER_SECOND)).allowed
    finally:
        await one.close()
        await two.close()


async def test_redis_keys_expire_when_their_tat_passes(
    limiter: RedisRateLimiter, client: redis.Redis
) -> None:
    key = unique()
    await limiter.hit(key, PER_SECOND)
    assert 0 < await client.pttl(limiter.prefix + key) <= 1000
    await limiter.hit(key, PER_SECOND)
    await limiter.hit(key, PER_SECOND)
    assert 1000 < await client.pttl(limiter.prefix + key) <= 3000

    quick = unique()
    await limiter.hit(quick, Limit(per_minute=600, burst=1))  # 100 ms
    deadline = time.monotonic() + 5
    while await client.exists(limiter.prefix + quick):
        assert time.monotonic() < deadline, "the key never expired"
        await asyncio.sleep(0.05)


async def test_redis_stores_the_tat_in_whole_microseconds(
    limiter: RedisRateLimiter, client: redis.Redis
) -> None:
    key = unique()
    await limiter.hit(key, PER_SECOND)
    value = await client.get(limiter.prefix + key)
    assert value is not None
    stored = int(value)  # not "1.7e+15": every digit kept
    seconds, micros = await client.time()
    assert 0 < stored - (seconds * 1_000_000 + micros) <= 1_000_000


async def test_redis_unavailable_falls_back_to_in_process_limits(caplog: pytest.LogCaptureFixture) -> None:
    limiter = limiter_for(f"redis://127.0.0.1:{free_port()}")  # nobody listens there
    assert isinstance(limiter, RedisRateLimiter)
    before = backend_errors()
    try:
        with caplog.at_level(logging.WARNING, logger="teslasync.auth.ratelimit"):
            key = unique()
            decisions = [await limiter.hit(key, PER_SECOND) for _ in range(4)]
    finally:
        await limiter.close()
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 0.5 < decisions[3].retry_after_s <= 1.0
    assert backend_errors() == before + 4
    warnings = [r for r in caplog.records if r.name == "teslasync.auth.ratelimit"]
    assert len(warnings) == 1 and "in-process" in warnings[0].getMessage()


async def test_redis_errors_fall_back_too(limiter: RedisRateLimiter, client: redis.Redis) -> None:
    key = unique()
    await client.rpush(limiter.prefix + key, "not a number")  # GET then fails with WRONGTYPE
    before = backend_errors()
    assert [(await limiter.hit(key, PER_SECOND)).allowed for _ in range(4)] == [True, True, True, False]
    assert backend_errors() == before + 4
    await client.delete(limiter.prefix + key)


# the rest


def test_limiter_for_without_redis_is_in_process() -> None:
    assert isinstance(limiter_for(None), MemoryRateLimiter)
    assert isinstance(limiter_for(""), MemoryRateLimiter)


def test_refusals_are_counted_by_kind() -> None:
    def count(kind: str) -> float:
        return REGISTRY.get_sample_value("teslasync_rate_limited_total", {"kind": kind}) or 0.0

    before_login, before_query = count("login"), count("query")
    record_refusal("login")
    record_refusal("login")
    assert count("login") == before_login + 2
    assert count("query") == before_query
