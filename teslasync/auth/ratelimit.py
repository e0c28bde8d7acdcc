"""Rate limits per principal: in Redis when configured (shared by the API replicas), in-process otherwise.

Both limiters use GCRA, the generic cell rate algorithm. A limit of `per_minute` with a `burst` gives an
emission interval T = 60 s / per_minute; each key stores one number, its *theoretical arrival time* (TAT):
when the next request would be due if requests had arrived exactly at the sustained rate. A request of cost
n at time `now` moves the TAT to max(TAT, now) + n·T, and is allowed when that new TAT lies at most
burst·T ahead of `now`. A key whose TAT is in the past is at full burst, exactly as if it did not exist, so
idle keys can be forgotten without changing any decision. The result is a smooth refill at the sustained
rate (one request every T), a burst allowance, and one value per key instead of a window of timestamps.

All arithmetic is in integer microseconds, so the counts (`remaining`) are exact rather than floored
floats that land just below a whole number.

In Redis the update is one Lua script, so it is atomic across replicas, and the script reads the clock
with Redis `TIME`: every replica then measures against the same clock, whereas each replica's own clock
would let a skewed replica see a stored TAT as further in the past (granting extra requests) or the
future (refusing too many). The key expires (`PX`) when its TAT passes, so idle keys vanish by themselves.

When Redis fails, `RedisRateLimiter` answers that call from an in-process limiter: the limit then holds
per replica rather than fleet-wide, which beats both refusing everything and limiting nothing.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from teslasync.observability.metrics import RATE_LIMIT_BACKEND_ERRORS, RATE_LIMITED

log = logging.getLogger("teslasync.auth.ratelimit")

BACKEND_WARNING_INTERVAL_S = 60.0
_MICROS = 1_000_000


def record_refusal(kind: str) -> None:
    """Count a refused request; `kind` is "query", "mutation", "command" or "login"."""
    RATE_LIMITED.labels(kind=kind).inc()


@dataclass(frozen=True)
class Limit:
    per_minute: float  # sustained rate
    burst: int  # how many may arrive at once (>= 1)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.per_minute) and self.per_minute > 0):
            raise ValueError(f"per_minute must be a positive number, not {self.per_minute!r}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, not {self.burst!r}")

    @property
    def interval_us(self) -> int:
        """The emission interval T in whole microseconds."""
        return max(1, round(60 * _MICROS / self.per_minute))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: float  # 0 when allowed; else seconds until this request would be allowed
    remaining: int  # how many more could arrive right now (>= 0)


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: Limit, cost: int = 1) -> Decision: ...

    async def close(self) -> None: ...


def _check_cost(limit: Limit, cost: int) -> None:
    if not 1 <= cost <= limit.burst:
        raise ValueError(f"cost must be between 1 and the burst ({limit.burst}), not {cost}")


def _gcra(now: int, tat: int, interval: int, burst: int, cost: int) -> tuple[Decision, int | None]:
    """One GCRA step in microseconds: the decision and the new TAT to store (None: leave it as it was).

    Keep in step with `_GCRA_LUA`."""
    tat = max(tat, now)
    window = burst * interval
    new_tat = tat + cost * interval
    allow_at = new_tat - window
    if allow_at > now:
        return Decision(False, (allow_at - now) / _MICROS, max(0, (now + window - tat) // interval)), None
    return Decision(True, 0.0, (now + window - new_tat) // interval), new_tat


class MemoryRateLimiter:
    """GCRA in this process's memory, for at most `max_keys` keys.

    When a new key would exceed `max_keys`, a key whose TAT has passed goes first (forgetting it changes
    nothing), else the least recently used one. Not thread-safe: use it from one event loop."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {max_keys}")
        self.max_keys = max_keys
        self._clock = clock
        self._tats: OrderedDict[str, int] = OrderedDict()  # least recently used first
        # (tat, key) for every TAT stored, including superseded ones (skipped when popped): the key
        # whose TAT passed first is on top, found in O(log n) instead of by scanning every key
        self._expiry: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._tats)

    async def hit(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        _check_cost(limit, cost)
        now = round(self._clock() * _MICROS)
        stored = self._tats.get(key)
        tat = now if stored is None else stored
        decision, new_tat = _gcra(now, tat, limit.interval_us, limit.burst, cost)
        if new_tat is not None:
            if stored is None and len(self._tats) >= self.max_keys:
                self._evict(now)
            self._tats[key] = new_tat
            heapq.heappush(self._expiry, (new_tat, key))
            if len(self._expiry) > 2 * len(self._tats) + 64:
                self._expiry = [(stored_tat, name) for name, stored_tat in self._tats.items()]
                heapq.heapify(self._expiry)
        if stored is not None:
            self._tats.move_to_end(key)
        return decision

    def _evict(self, now: int) -> None:
        while self._expiry:
            tat, key = self._expiry[0]
            if self._tats.get(key) != tat:
                heapq.heappop(self._expiry)  # superseded or already evicted
            elif tat <= now:
                heapq.heappop(self._expiry)
                del self._tats[key]
                return
            else:
                break
        self._tats.popitem(last=False)

    async def close(self) -> None:
        self._tats.clear()
        self._expiry.clear()


# KEYS[1]: the key; ARGV: interval (µs), burst, cost. Returns {allowed (0/1), retry after (µs), remaining}.
# Numbers are Lua doubles: exact for integers below 2^53 µs (285 years), and stored with %d because
# tostring() would keep only 14 significant digits. Keep in step with `_gcra`.
_GCRA_LUA = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0) or 0
if tat < now then tat = now end
local window = burst * interval
local new_tat = tat + cost * interval
local allow_at = new_tat - window
if allow_at > now then
  return {0, allow_at - now, math.max(0, math.floor((now + window - tat) / interval))}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, 0, math.floor((now + window - new_tat) / interval)}
"""


class RedisRateLimiter:
    """GCRA in Redis, shared by every replica using the same server and prefix.

    The limiter owns `client` and closes it in `close`. When a call to Redis fails, that call is answered
    by `fallback` (a `MemoryRateLimiter` of its own by default)."""

    def __init__(
        self, client: redis.Redis, prefix: str = "teslasync:rl:", fallback: MemoryRateLimiter | None = None
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.fallback = fallback if fallback is not None else MemoryRateLimiter()
        self._script = client.register_script(_GCRA_LUA)
        self._last_warning: float | None = None

    async def hit(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        _check_cost(limit, cost)
        try:
            allowed, retry_after_us, remaining = await self._script(
                keys=[self.prefix + key], args=[limit.interval_us, limit.burst, cost]
            )
        except (ConnectionError, TimeoutError, RedisError) as error:
            self._backend_failed(error)
            return await self.fallback.hit(key, limit, cost)
        return Decision(bool(allowed), int(retry_after_us) / _MICROS, int(remaining))

    def _backend_failed(self, error: Exception) -> None:
        RATE_LIMIT_BACKEND_ERRORS.inc()
        now = time.monotonic()
        if self._last_warning is None or now - self._last_warning >= BACKEND_WARNING_INTERVAL_S:
            self._last_warning = now
            log.warning(
                "rate limits fall back to in-process (per replica): Redis failed: %s: %s",
                type(error).__name__,
                error,
            )

    async def close(self) -> None:
        await self.client.aclose()
        await self.fallback.close()


def redis_client(url: str) -> redis.Redis:
    """A client for rate limiting: it sits in every request's path, so a Redis that is down or slow must
    fail fast (short timeouts, one immediate retry for a stale pooled connection; redis-py's default
    retries for seconds) and let the in-process fallback answer."""
    return redis.from_url(
        url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), retries=1)
    )


def limiter_for(redis_url: str | None) -> RateLimiter:
    """The Redis limiter when a Redis URL is configured, else the in-process one."""
    if redis_url:
        return RedisRateLimiter(redis_client(redis_url))
    return MemoryRateLimiter()
