"""Notification jobs: an event fans out to the channels subscribed to it, and each delivery is sent, retried
and logged.

- `publish(event)` queues a fan-out (detectors in the ingest, the stale-stream check, failed commands and
  automations call it); it never blocks on a channel.
- `fan_out` finds the (user, channel) pairs that want the event (subscribed to its kind and, for a vehicle's
  event, allowed to see the vehicle) and records a delivery for each. A delivery is unique per channel and
  dedup key, so an event detected twice (a redelivered batch, a restart, two replicas) is sent once.
- `deliver` sends one delivery. During the user's quiet hours it is deferred to their end (test sends are
  not). A retryable failure (timeout, 5xx, 429) is tried again, backing off from 10 s to an hour or as the
  provider's Retry-After says, up to `TESLASYNC_NOTIFICATION_RETRIES` attempts; a permanent one (a refused
  token, a bad address) fails at once. Every attempt is logged with its outcome. A destination that is gone
  for good (a dropped Web Push subscription) disables its channel.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from teslasync.auth.secrets import Keyring, SecretError
from teslasync.db.engine import Database
from teslasync.db.models import NotificationChannelRow, NotificationDeliveryRow
from teslasync.db.repositories import notifications as repo
from teslasync.jobs.queue import JobOptions, JobQueues, QueueName
from teslasync.jobs.worker import JobFunction, services_of
from teslasync.notify.channels.base import ChannelConfigError, DeliveryFailed, DestinationGone
from teslasync.notify.events import Event, EventKind
from teslasync.notify.quiet import QuietHours
from teslasync.notify.stored import channel_of

log = logging.getLogger("teslasync.notify")

FAN_OUT = JobOptions(timeout_s=60, retries=5, retry_delay_s=2, max_retry_delay_s=120)
# provider failures are retried by `deliver` itself (its own schedule, Retry-After, the attempt log); SAQ's
# retries cover a worker that died mid-send
DELIVER = JobOptions(timeout_s=90, retries=3, retry_delay_s=5, max_retry_delay_s=60)
BACKOFF_S = (10.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
MAX_RETRY_AFTER_S = 6 * 3600.0


def backoff(attempt: int) -> float:
    """Seconds before the attempt after `attempt` (1-based)."""
    return BACKOFF_S[min(attempt, len(BACKOFF_S)) - 1]


async def publish(queues: JobQueues, event: Event) -> None:
    await queues.enqueue(
        QueueName.NOTIFICATIONS, "fan_out", FAN_OUT, key=f"event:{event.dedup_key}", event=event.as_json()
    )


async def fan_out(ctx: dict[str, Any], *, event: dict[str, Any]) -> int:
    services = services_of(ctx)
    occurred = Event.from_json(event)
    async with services.db.transaction() as session:
        recipients = await repo.recipients(session, occurred.kind.value, occurred.vin)
    return await _deliver_to(services.db, services.queues, recipients, occurred)


async def queue_deliveries(
    db: Database, queues: JobQueues, user_id: int, channel_ids: Sequence[int] | None, event: Event
) -> int:
    """Send `event` to one user's own channels: those listed (the enabled ones among them), or every enabled
    one. For messages meant for one person, such as a rule's notify action; how many deliveries were queued."""
    async with db.transaction() as session:
        channels = await repo.channels_of(session, user_id)
    chosen = [
        (user_id, channel.id)
        for channel in channels
        if channel.enabled and (channel_ids is None or channel.id in channel_ids)
    ]
    return await _deliver_to(db, queues, chosen, event)


async def _deliver_to(
    db: Database, queues: JobQueues, recipients: Sequence[tuple[int, int]], event: Event
) -> int:
    """Record a delivery of `event` per (user, channel), unless that channel has it already, and queue each
    new one; how many were new."""
    created: list[int] = []
    async with db.transaction() as session:
        for user_id, channel_id in recipients:
            delivery_id = await repo.add_delivery(
                session,
                user_id=user_id,
                channel_id=channel_id,
                kind=event.kind.value,
                vin=event.vin,
                dedup_key=event.dedup_key,
                event=event.as_json(),
            )
            if delivery_id is not None:
                created.append(delivery_id)
    for delivery_id in created:
        await _queue_delivery(queues, delivery_id, 0)
    return len(created)


async def _queue_delivery(
    queues: JobQueues, delivery_id: int, attempt: int, at: datetime | None = None
) -> None:
    await queues.enqueue(
        QueueName.NOTIFICATIONS,
        "deliver",
        DELIVER,
        key=f"delivery:{delivery_id}:{attempt}" + (f":{int(at.timestamp())}" if at else ""),
        scheduled=at.timestamp() if at is not None else 0,
        delivery_id=delivery_id,
    )


@dataclass(frozen=True)
class Outcome:
    outcome: str  # sent, retrying, failed, deferred, skipped
    detail: str | None
    retry_at: datetime | None = None


async def deliver(ctx: dict[str, Any], *, delivery_id: int) -> str:
    services = services_of(ctx)
    db = services.db
    async with db.transaction() as session:
        row = await repo.delivery(session, delivery_id)
        if row is None or row.status in ("sent", "failed"):
            return "nothing to do"
        channel_row = await repo.channel(session, row.channel_id)
        preferences = await repo.preferences(session, row.user_id)
    now = datetime.now(UTC)
    quiet = (
        _quiet_hours(preferences.quiet_start, preferences.quiet_end, preferences.timezone)
        if preferences
        else None
    )
    if quiet is not None and row.event_kind != EventKind.TEST.value and quiet.contains(now):
        until = quiet.ends_after(now)
        async with db.transaction() as session:
            await repo.defer(session, delivery_id, until)
        await _queue_delivery(services.queues, delivery_id, row.attempts, until)
        return f"deferred to {until.isoformat()}"
    result = await attempt(
        db, services.keys, services.http, row, channel_row, services.settings.notification_retries
    )
    if result.retry_at is not None:
        await _queue_delivery(services.queues, delivery_id, row.attempts + 1, result.retry_at)
    return result.outcome


async def attempt(
    db: Database,
    keys: Callable[[], Keyring],
    http: httpx.AsyncClient,
    row: NotificationDeliveryRow,
    channel_row: NotificationChannelRow | None,
    max_attempts: int,
) -> Outcome:
    """Send one delivery now and log the attempt (also the test send's path)."""
    result = await _send(keys, http, row, channel_row, max_attempts)
    status = {"sent": "sent", "retrying": "pending"}.get(result.outcome, "failed")
    async with db.transaction() as session:
        await repo.record_attempt(
            session,
            row.id,
            outcome=result.outcome,
            detail=result.detail,
            status=status,
            next_attempt_at=result.retry_at,
        )
        if (
            result.outcome == "failed"
            and channel_row is not None
            and result.detail
            and result.detail.startswith(GONE)
        ):
            gone = await repo.channel(session, channel_row.id)
            if gone is not None:
                gone.enabled = False
    return result


GONE = "destination gone: "


async def _send(
    keys: Callable[[], Keyring],
    http: httpx.AsyncClient,
    row: NotificationDeliveryRow,
    channel_row: NotificationChannelRow | None,
    max_attempts: int,
) -> Outcome:
    if channel_row is None or not channel_row.enabled:
        return Outcome("skipped", "the channel was deleted or disabled")
    event = Event.from_json(row.event)
    try:
        channel = channel_of(channel_row, keys, http)
    except (ChannelConfigError, SecretError) as exc:
        return Outcome("failed", f"the channel's settings cannot be used: {exc}")
    try:
        detail = await channel.send(event)
    except DestinationGone as exc:
        log.warning("notification channel %s is gone (%s); disabling it", channel_row.id, exc.message)
        return Outcome("failed", GONE + exc.message)
    except DeliveryFailed as exc:
        number = row.attempts + 1
        if not exc.retryable or number >= max_attempts:
            return Outcome("failed", exc.message)
        delay = max(backoff(number), min(exc.retry_after_s or 0.0, MAX_RETRY_AFTER_S))
        return Outcome("retrying", exc.message, datetime.now(UTC) + timedelta(seconds=delay))
    return Outcome("sent", detail)


async def send_test(
    db: Database,
    keys: Callable[[], Keyring],
    http: httpx.AsyncClient,
    channel_row: NotificationChannelRow,
) -> Outcome:
    """A test message through a channel now, bypassing quiet hours and retries; logged like any other."""
    event = test_event(channel_row.name)
    async with db.transaction() as session:
        delivery_id = await repo.add_delivery(
            session,
            user_id=channel_row.user_id,
            channel_id=channel_row.id,
            kind=event.kind.value,
            vin=None,
            dedup_key=event.dedup_key,
            event=event.as_json(),
        )
        assert delivery_id is not None
        row = await repo.delivery(session, delivery_id)
        assert row is not None
    return await attempt(db, keys, http, row, channel_row, max_attempts=1)


def test_event(channel_name: str) -> Event:
    return Event(
        kind=EventKind.TEST,
        vin=None,
        at=datetime.now(UTC),
        title="TeslaSync test message",
        body=f"If you can read this, the channel '{channel_name}' works.",
        dedup_key=f"test:{uuid.uuid4()}",
    )


def _quiet_hours(start: Any, end: Any, timezone: str) -> QuietHours | None:
    if start is None or end is None or start == end:
        return None
    return QuietHours(start, end, timezone)


FUNCTIONS: Mapping[str, JobFunction] = {"fan_out": fan_out, "deliver": deliver}
