"""Fan-out and the latest-value cache (L2) over Redis, for several API replicas.

Fan-out: each replica publishes stored updates to `teslasync:signals:<VIN>` and one reader per replica
pattern-subscribes to them and delivers to its local subscribers. The reader reconnects within a second of
Redis coming back; every local subscriber is then told that a gap happened (it re-reads the latest values
from storage). A publish that fails while Redis is down is delivered to this replica's own subscribers
directly, so they miss nothing; the others see the gap.

L2: a hash per vehicle (`teslasync:latest:<VIN>`), field -> JSON {value, unit, at, approx}, written by a
script that never replaces a newer value with an older one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import datetime

import redis.asyncio as redis
from redis.exceptions import RedisError

from teslasync.observability import metrics
from teslasync.telemetry.fanout import Delivery, LocalFanout, SignalUpdate

log = logging.getLogger("teslasync.telemetry.redis")

CHANNEL_PREFIX = "teslasync:signals:"
LATEST_PREFIX = "teslasync:latest:"
RECONNECT_DELAY_S = 0.5


def encode(updates: Iterable[SignalUpdate]) -> str:
    return json.dumps(
        [[u.vin, u.name, u.value, u.unit, u.at.isoformat(), u.approx] for u in updates], separators=(",", ":")
    )


def decode(payload: str | bytes) -> list[SignalUpdate]:
    return [
        SignalUpdate(vin, name, value, unit, datetime.fromisoformat(at), approx)
        for vin, name, value, unit, at, approx in json.loads(payload)
    ]


class RedisFanout:
    def __init__(self, url: str) -> None:
        self.url = url
        self.local = LocalFanout()
        self.client: redis.Redis = redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="redis-fanout-reader")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.client.aclose()

    async def publish(self, vin: str, updates: list[SignalUpdate]) -> None:
        try:
            await self.client.publish(CHANNEL_PREFIX + vin, encode(updates))
        except (RedisError, OSError) as exc:
            metrics.FANOUT_PUBLISH_FAILURES.inc()
            log.warning("Redis publish failed (%s); delivering to this replica only", type(exc).__name__)
            self.local.deliver(vin, updates)

    def subscribe(self, vin: str, names: Iterable[str] | None = None) -> AsyncIterator[Delivery]:
        return self.local.subscribe(vin, names)

    async def _read(self) -> None:
        first = True
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                if not first:
                    self.reconnects += 1
                    self.local.mark_gap()  # whatever was published while we were away is lost to us
                first = False
                self.connected.set()
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    channel = message["channel"]
                    vin = (channel.decode() if isinstance(channel, bytes) else channel).removeprefix(
                        CHANNEL_PREFIX
                    )
                    try:
                        updates = decode(message["data"])
                    except (ValueError, TypeError, KeyError):
                        log.warning("ignored a malformed fan-out message on %s", channel)
                        continue
                    self.local.deliver(vin, updates)
            except (RedisError, OSError) as exc:
                if self.connected.is_set():
                    log.warning("Redis fan-out lost its connection (%s); reconnecting", type(exc).__name__)
                self.connected.clear()
                await asyncio.sleep(RECONNECT_DELAY_S)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]


_NEWER_WINS = """
for i = 1, #ARGV, 3 do
  local field, t, value = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local held = redis.call('HGET', KEYS[1], field)
  if not held or cjson.decode(held)['t'] <= t then
    redis.call('HSET', KEYS[1], field, value)
  end
end
return 0
"""


class RedisLatest:
    """L2: the latest value per vehicle and field, shared by replicas; never moves backwards in time."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._script = client.register_script(_NEWER_WINS)

    async def apply(self, updates: Iterable[SignalUpdate]) -> None:
        by_vin: dict[str, list[str]] = {}
        for update in updates:
            micros = round(update.at.timestamp() * 1_000_000)
            value = json.dumps(
                {
                    "value": update.value,
                    "unit": update.unit,
                    "at": update.at.isoformat(),
                    "t": micros,
                    "approx": update.approx,
                }
            )
            by_vin.setdefault(update.vin, []).extend([update.name, str(micros), value])
        for vin, arguments in by_vin.items():
            await self._script(keys=[LATEST_PREFIX + vin], args=arguments)

    async def get(self, vin: str) -> dict[str, dict[str, object]]:
        raw = await self.client.hgetall(LATEST_PREFIX + vin)
        return {
            (key.decode() if isinstance(key, bytes) else key): json.loads(value) for key, value in raw.items()
        }
