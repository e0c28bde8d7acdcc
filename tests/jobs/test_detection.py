"""Notifications detected live: a charge streamed through the real pipeline reaches the subscribed channel as
"charging started" and "charging complete" (once each); a car whose stream went stale is announced once per
stale period by the scheduler's check."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from teslasync.db.models import NotificationDeliveryRow
from teslasync.jobs.detection import announce_stale_streams
from teslasync.jobs.queue import JobQueues
from teslasync.jobs.services import database_url
from teslasync.telemetry.model import Form, Observation
from teslasync.telemetry.pipeline import Batch
from tests.conftest import make_settings
from tests.jobs.test_automations import VIN, Live, live

__all__ = ["live"]  # the fixture


async def _send(state: Live, at: datetime, **values: object) -> None:
    observations = [Observation(VIN, field, value, Form.MQTT, at) for field, value in values.items()]
    await state.runtime.pipeline.submit(Batch("mqtt", observations))
    await state.runtime.pipeline.drain()


async def _kinds(state: Live, wanted: int) -> list[str]:
    for _ in range(200):
        kinds = [d.seen["kind"] for d in state.fake.delivered_to("webhook")]
        if len(kinds) >= wanted:
            await asyncio.sleep(0.3)
            return [d.seen["kind"] for d in state.fake.delivered_to("webhook")]
        await asyncio.sleep(0.1)
    raise AssertionError(f"only {state.fake.delivered_to('webhook')}")


async def test_a_streamed_charge_is_announced_once_each(live: Live) -> None:
    await live.gql(
        "mutation($id: ID!) { subscribeNotifications(channelId: $id, events: [CHARGE_STARTED, CHARGE_COMPLETE]) { errors { __typename } } }",
        id=str(live.channel_id),
    )
    start = datetime.now(UTC) - timedelta(minutes=30)
    await _send(
        live,
        start,
        DetailedChargeState="DetailedChargeStateDisconnected",
        BatteryLevel=60.0,
        ChargeLimitSoc=80.0,
    )
    await _send(live, start + timedelta(minutes=1), DetailedChargeState="DetailedChargeStateCharging")
    for minute in range(2, 6):
        await _send(live, start + timedelta(minutes=minute), BatteryLevel=60.0 + 5 * minute)
    await _send(
        live,
        start + timedelta(minutes=6),
        DetailedChargeState="DetailedChargeStateComplete",
        BatteryLevel=80.0,
    )
    await _send(
        live, start + timedelta(minutes=7), DetailedChargeState="DetailedChargeStateComplete"
    )  # repeated
    kinds = await _kinds(live, 2)
    assert sorted(kinds) == ["charge_complete", "charge_started"]  # each once; the worker sends concurrently
    complete = next(d.seen for d in live.fake.delivered_to("webhook") if d.seen["kind"] == "charge_complete")
    assert complete["vin"] == VIN and "80" in complete["body"]


async def test_a_stale_stream_is_announced_once_per_stale_period(live: Live) -> None:
    await live.gql(
        "mutation($id: ID!) { subscribeNotifications(channelId: $id, events: [STREAM_STALE]) { errors { __typename } } }",
        id=str(live.channel_id),
    )
    await _send(live, datetime.now(UTC) - timedelta(hours=2), BatteryLevel=70.0)
    settings = make_settings(live.runtime.settings.data_dir, stale_after_s=0.5)
    await asyncio.sleep(0.6)
    job_queues = JobQueues.from_settings(settings, database_url(live.db))
    await job_queues.connect()
    try:
        assert await announce_stale_streams(settings, live.db, job_queues) == 1
        assert (
            await announce_stale_streams(settings, live.db, job_queues) == 1
        )  # published again: deduplicated
    finally:
        await job_queues.disconnect()
    kinds = await _kinds(live, 1)
    assert kinds == ["stream_stale"]
    async with live.db.transaction() as session:
        rows = (await session.scalars(select(NotificationDeliveryRow))).all()
    assert [row.event_kind for row in rows] == ["stream_stale"]
