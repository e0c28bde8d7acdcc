"""Fan-out and L2 over a real Redis, including a Redis restart while subscribers listen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import redis.asyncio as redis

from teslasync.telemetry.fanout import SignalUpdate
from teslasync.telemetry.redis_fanout import RedisFanout, RedisLatest
from tests.services import free_port, redis_server

VIN = "5YJ3E7EB2NF000555"


def update(name: str, value: float, at: datetime) -> SignalUpdate:
    return SignalUpdate(VIN, name, value, "%", at)


async def test_two_replicas_see_each_others_updates(redis_port: int) -> None:
    url = f"redis://127.0.0.1:{redis_port}/0"
    one, two = RedisFanout(url), RedisFanout(url)
    await one.start()
    await two.start()
    try:
        await asyncio.wait_for(asyncio.gather(one.connected.wait(), two.connected.wait()), 5)
        stream = two.subscribe(VIN, ["Soc"])
        reader = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)
        now = datetime.now(UTC)
        await one.publish(VIN, [update("Soc", 61.0, now), update("Odometer", 5.0, now)])
        delivery = await asyncio.wait_for(reader, 5)
        assert [(u.name, u.value, u.at) for u in delivery.updates] == [("Soc", 61.0, now)]
        assert not delivery.gap
        await stream.aclose()
    finally:
        await one.stop()
        await two.stop()


async def test_delivery_resumes_after_a_redis_restart_and_the_gap_is_reported() -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with redis_server(port):
        fanout = RedisFanout(url)
        await fanout.start()
        await asyncio.wait_for(fanout.connected.wait(), 5)
        stream = fanout.subscribe(VIN)
    # Redis is down now: a publish still reaches this replica's own subscribers
    first = asyncio.ensure_future(stream.__anext__())
    now = datetime.now(UTC)
    await fanout.publish(VIN, [update("Soc", 50.0, now)])
    delivered = await asyncio.wait_for(first, 5)
    assert [u.value for u in delivered.updates] == [50.0]
    with redis_server(port):
        restarted = asyncio.get_running_loop().time()
        await asyncio.wait_for(fanout.connected.wait(), 5)
        assert asyncio.get_running_loop().time() - restarted < 5
        gap = await asyncio.wait_for(stream.__anext__(), 5)
        assert gap.gap, "subscribers learn that updates may have been missed"
        later = asyncio.ensure_future(stream.__anext__())
        await fanout.publish(VIN, [update("Soc", 51.0, now + timedelta(seconds=1))])
        resumed = await asyncio.wait_for(later, 5)
        assert [u.value for u in resumed.updates] == [51.0]
        assert fanout.reconnects == 1
        await stream.aclose()
        await fanout.stop()


async def test_slow_subscriber_memory_is_bounded_by_conflation(redis_port: int) -> None:
    fanout = RedisFanout(f"redis://127.0.0.1:{redis_port}/0")
    await fanout.start()
    try:
        await asyncio.wait_for(fanout.connected.wait(), 5)
        stream = fanout.subscribe(VIN)
        reader = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)
        start = datetime.now(UTC)
        for i in range(500):  # the subscriber reads nothing while 500 updates of 2 fields arrive
            at = start + timedelta(milliseconds=i)
            await fanout.publish(VIN, [update("Soc", float(i), at), update("Odometer", float(i), at)])
        await asyncio.sleep(0.3)
        [box] = [box for boxes in fanout.local._boxes.values() for box in boxes]
        assert len(box.pending) <= 2, "at most one pending update per field"
        delivery = await asyncio.wait_for(reader, 5)
        assert len(delivery.updates) <= 2
        rest = await asyncio.wait_for(stream.__anext__(), 5) if box.wake.is_set() else None
        latest = {u.name: u.value for u in [*delivery.updates, *(rest.updates if rest else [])]}
        assert latest["Soc"] == 499.0, "the newest value wins"
        await stream.aclose()
    finally:
        await fanout.stop()


async def test_l2_never_moves_backwards(redis_port: int) -> None:
    client = redis.from_url(f"redis://127.0.0.1:{redis_port}/1")
    try:
        latest = RedisLatest(client)
        now = datetime.now(UTC)
        await latest.apply([update("BatteryLevel", 70.0, now)])
        await latest.apply([update("BatteryLevel", 90.0, now - timedelta(seconds=30))])
        assert (await latest.get(VIN))["BatteryLevel"]["value"] == 70.0
        await latest.apply([update("BatteryLevel", 69.0, now + timedelta(seconds=1))])
        assert (await latest.get(VIN))["BatteryLevel"]["value"] == 69.0
    finally:
        await client.flushdb()
        await client.aclose()
