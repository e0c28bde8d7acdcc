"""Notifications: channels, subscriptions, quiet hours, test sends and the delivery log."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from teslasync.db.models import (
    NotificationAttemptRow,
    NotificationChannelRow,
    NotificationDeliveryRow,
    NotificationPreferenceRow,
    NotificationSubscriptionRow,
)
from teslasync.notify.channels.base import ChannelKind
from teslasync.notify.channels.registry import secret_fields
from teslasync.notify.events import EventKind
from teslasync.resolvers import notifications as resolvers
from teslasync.resolvers.derived import decode_cursor, encode_cursor
from teslasync.schema.context import Info
from teslasync.schema.costs import InvalidInput, MutationProblem, NotFoundProblem, _id
from teslasync.schema.derived import PageInfo, page_info

NotificationChannelKind = strawberry.enum(
    ChannelKind, name="NotificationChannelKind", description="How a notification reaches someone."
)
NotificationEvent = strawberry.enum(
    EventKind,
    name="NotificationEvent",
    description="What can be notified. TEST is a channel's test send; AUTOMATION a rule's notify action.",
)


@strawberry.type(name="NotificationChannel", description="One of the caller's ways of being reached.")
class NotificationChannelType:
    id: strawberry.ID = strawberry.field(description="The channel's id.")
    kind: NotificationChannelKind = strawberry.field(description="Email, SMS, Web Push, webhook, chat...")  # type: ignore[valid-type]
    name: str = strawberry.field(description="The caller's name for it.")
    enabled: bool = strawberry.field(
        description="Disabled channels get nothing; one whose destination is gone is disabled for you."
    )
    settings: JSON = strawberry.field(description="Its settings, without the secrets.")
    secret_fields: list[str] = strawberry.field(
        description="Settings that are stored encrypted and never shown; leave them out of an update to "
        "keep them."
    )
    created_at: datetime = strawberry.field(description="When it was added.")

    @classmethod
    def of(cls, row: NotificationChannelRow) -> NotificationChannelType:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=ChannelKind(row.kind),
            name=row.name,
            enabled=row.enabled,
            settings=cast(Any, row.config),
            secret_fields=sorted(secret_fields(row.kind)),
            created_at=row.created_at,
        )


@strawberry.type(name="NotificationSubscription", description="Events that go to one channel.")
class NotificationSubscriptionType:
    id: strawberry.ID = strawberry.field(description="The subscription's id.")
    channel_id: strawberry.ID = strawberry.field(description="The channel they go to.")
    events: list[NotificationEvent] = strawberry.field(description="The events.")  # type: ignore[valid-type]
    vins: list[str] | None = strawberry.field(description="Only these vehicles; null: every one you see.")

    @classmethod
    def of(cls, row: NotificationSubscriptionRow) -> NotificationSubscriptionType:
        return cls(
            id=strawberry.ID(str(row.id)),
            channel_id=strawberry.ID(str(row.channel_id)),
            events=[EventKind(event) for event in row.events],
            vins=list(row.vins) if row.vins is not None else None,
        )


@strawberry.type(description="When notifications wait: from `start` to `end`, local time in `timezone`.")
class QuietHours:
    start: str | None = strawberry.field(description="HH:MM, or null when quiet hours are off.")
    end: str | None = strawberry.field(description="HH:MM; may be before `start` (across midnight).")
    timezone: str = strawberry.field(description="An IANA time zone, e.g. Europe/Berlin.")

    @classmethod
    def of(cls, row: NotificationPreferenceRow | None) -> QuietHours:
        if row is None:
            return cls(start=None, end=None, timezone="UTC")
        return cls(
            start=row.quiet_start.strftime("%H:%M") if row.quiet_start else None,
            end=row.quiet_end.strftime("%H:%M") if row.quiet_end else None,
            timezone=row.timezone,
        )


@strawberry.type(description="One try at sending a notification.")
class NotificationAttempt:
    attempt: int = strawberry.field(description="1 for the first try.")
    at: datetime = strawberry.field(description="When.")
    outcome: str = strawberry.field(description="sent, retrying, failed or skipped.")
    detail: str | None = strawberry.field(description="The provider's answer or the error (no secrets).")

    @classmethod
    def of(cls, row: NotificationAttemptRow) -> NotificationAttempt:
        return cls(attempt=row.attempt, at=row.at, outcome=row.outcome, detail=row.detail)


@strawberry.type(description="One event sent (or being sent) to one channel, with every attempt.")
class NotificationDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id.")
    channel_id: strawberry.ID = strawberry.field(description="The channel.")
    event: NotificationEvent = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    vin: str | None = strawberry.field(description="The vehicle, if the event is about one.")
    title: str = strawberry.field(description="The message's title.")
    body: str = strawberry.field(description="The message.")
    status: str = strawberry.field(description="pending, deferred (quiet hours), sent or failed.")
    last_error: str | None = strawberry.field(description="The last attempt's error.")
    created_at: datetime = strawberry.field(description="When the event was recorded for this channel.")
    next_attempt_at: datetime | None = strawberry.field(description="When it will be tried (again).")
    sent_at: datetime | None = strawberry.field(description="When it was delivered.")
    attempts: list[NotificationAttempt] = strawberry.field(description="Every attempt, oldest first.")

    @classmethod
    def of(cls, row: NotificationDeliveryRow, attempts: list[NotificationAttemptRow]) -> NotificationDelivery:
        event: dict[str, Any] = row.event
        return cls(
            id=strawberry.ID(str(row.id)),
            channel_id=strawberry.ID(str(row.channel_id)),
            event=EventKind(row.event_kind),
            vin=row.vin,
            title=str(event.get("title", "")),
            body=str(event.get("body", "")),
            status=row.status,
            last_error=row.last_error,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at,
            sent_at=row.sent_at,
            attempts=[NotificationAttempt.of(a) for a in attempts],
        )


@strawberry.type(description="A delivery and its cursor.")
class NotificationDeliveryEdge:
    cursor: str = strawberry.field(description="Opaque position of this delivery.")
    node: NotificationDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of the delivery log, newest first.")
class NotificationDeliveryConnection:
    edges: list[NotificationDeliveryEdge] = strawberry.field(description="The deliveries of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


@strawberry.type(description="The channel as stored.")
class NotificationChannelPayload:
    channel: NotificationChannelType | None = strawberry.field(description="The channel; null if refused.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when the change was made.")


@strawberry.type(description="The subscription as stored.")
class NotificationSubscriptionPayload:
    subscription: NotificationSubscriptionType | None = strawberry.field(description="Null if refused.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when the change was made.")


@strawberry.type(description="Whether something was removed.")
class NotificationRemovalPayload:
    removed: bool = strawberry.field(description="True when it was removed.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when it was removed.")


@strawberry.type(description="How a test send went (it is also in the delivery log).")
class NotificationTestPayload:
    delivered: bool = strawberry.field(description="Whether the provider accepted it.")
    detail: str | None = strawberry.field(description="The provider's answer, or why it failed.")
    errors: list[MutationProblem] = strawberry.field(description="Empty unless the channel was not found.")


@strawberry.type(description="Quiet hours as stored.")
class QuietHoursPayload:
    quiet_hours: QuietHours | None = strawberry.field(description="Null if refused.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when the change was made.")


def _problem(problem: resolvers.Problem) -> MutationProblem:
    if problem.not_found:
        return NotFoundProblem(field=problem.field, message=problem.message)
    return InvalidInput(field=problem.field, message=problem.message)


def _time(value: str | None, field: str) -> time | resolvers.Problem | None:
    if value is None:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return resolvers.Problem(field, "a local time as HH:MM")


def _missing(id: strawberry.ID, what: str) -> list[MutationProblem]:
    return [NotFoundProblem(field="id", message=f"no {what} {id}")]


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="The caller's notification channels.")
    async def notification_channels(self, info: Info) -> list[NotificationChannelType]:
        return [NotificationChannelType.of(row) for row in await resolvers.channels(info.context)]

    @strawberry.field(description="What the caller is notified of, and where.")
    async def notification_subscriptions(self, info: Info) -> list[NotificationSubscriptionType]:
        return [NotificationSubscriptionType.of(row) for row in await resolvers.subscriptions(info.context)]

    @strawberry.field(description="The caller's quiet hours (off when start and end are null).")
    async def quiet_hours(self, info: Info) -> QuietHours:
        return QuietHours.of(await resolvers.preferences(info.context))

    @strawberry.field(description="The caller's delivery log, newest first, with every attempt.")
    async def notification_deliveries(
        self, info: Info, first: int = 20, after: str | None = None, channel_id: strawberry.ID | None = None
    ) -> NotificationDeliveryConnection:
        before = decode_cursor(after)[1] if after is not None else None
        channel: int | None = None
        if channel_id is not None:
            channel = _id(channel_id) or -1  # an id this API never gave out names no channel: an empty page
        rows = await resolvers.deliveries(info.context, first, before, channel)
        page = rows[:first]
        attempts = await resolvers.attempts(info.context, [row.id for row in page])
        edges = [
            NotificationDeliveryEdge(
                cursor=encode_cursor(row.created_at, row.id),
                node=NotificationDelivery.of(row, attempts.get(row.id, [])),
            )
            for row in page
        ]
        return NotificationDeliveryConnection(edges=edges, page_info=page_info(len(rows) > first, edges))


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        description="Add a notification channel. `settings` are the channel's fields (see "
        "docs/notifications.md); a wrong or missing one comes back in `errors`, named."
    )
    async def create_notification_channel(
        self,
        info: Info,
        kind: NotificationChannelKind,  # type: ignore[valid-type]
        name: str,
        settings: JSON,
    ) -> NotificationChannelPayload:
        outcome = await resolvers.create_channel(info.context, ChannelKind(kind), name, settings)
        if isinstance(outcome, resolvers.Problem):
            return NotificationChannelPayload(channel=None, errors=[_problem(outcome)])
        return NotificationChannelPayload(channel=NotificationChannelType.of(outcome), errors=[])

    @strawberry.mutation(
        description="Change a channel: its name, some of its settings (secrets left out are kept), or turn "
        "it on or off."
    )
    async def update_notification_channel(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        settings: JSON | None = None,
        enabled: bool | None = None,
    ) -> NotificationChannelPayload:
        channel_id = _id(id)
        if channel_id is None:
            return NotificationChannelPayload(channel=None, errors=_missing(id, "notification channel"))
        outcome = await resolvers.update_channel(info.context, channel_id, name, settings, enabled)
        if isinstance(outcome, resolvers.Problem):
            return NotificationChannelPayload(channel=None, errors=[_problem(outcome)])
        return NotificationChannelPayload(channel=NotificationChannelType.of(outcome), errors=[])

    @strawberry.mutation(description="Remove a channel, its subscriptions and its delivery log.")
    async def delete_notification_channel(self, info: Info, id: strawberry.ID) -> NotificationRemovalPayload:
        channel_id = _id(id)
        if channel_id is None:
            return NotificationRemovalPayload(removed=False, errors=_missing(id, "notification channel"))
        problem = await resolvers.delete_channel(info.context, channel_id)
        return NotificationRemovalPayload(
            removed=problem is None, errors=[_problem(problem)] if problem is not None else []
        )

    @strawberry.mutation(description="Send a test message through a channel now (quiet hours do not apply).")
    async def test_notification_channel(self, info: Info, id: strawberry.ID) -> NotificationTestPayload:
        channel_id = _id(id)
        if channel_id is None:
            return NotificationTestPayload(
                delivered=False, detail=None, errors=_missing(id, "notification channel")
            )
        outcome = await resolvers.test_channel(info.context, channel_id)
        if isinstance(outcome, resolvers.Problem):
            return NotificationTestPayload(delivered=False, detail=None, errors=[_problem(outcome)])
        return NotificationTestPayload(delivered=outcome.outcome == "sent", detail=outcome.detail, errors=[])

    @strawberry.mutation(
        description="Send these events (of these vehicles, or every one you see) to a channel."
    )
    async def subscribe_notifications(
        self,
        info: Info,
        channel_id: strawberry.ID,
        events: list[NotificationEvent],  # type: ignore[valid-type]
        vins: list[str] | None = None,
    ) -> NotificationSubscriptionPayload:
        channel = _id(channel_id)
        if channel is None:
            return NotificationSubscriptionPayload(
                subscription=None, errors=_missing(channel_id, "notification channel")
            )
        kinds = [EventKind(event) for event in events]
        outcome = await resolvers.subscribe(info.context, channel, kinds, vins)
        if isinstance(outcome, resolvers.Problem):
            return NotificationSubscriptionPayload(subscription=None, errors=[_problem(outcome)])
        return NotificationSubscriptionPayload(
            subscription=NotificationSubscriptionType.of(outcome), errors=[]
        )

    @strawberry.mutation(description="Remove a subscription.")
    async def unsubscribe_notifications(self, info: Info, id: strawberry.ID) -> NotificationRemovalPayload:
        subscription_id = _id(id)
        if subscription_id is None:
            return NotificationRemovalPayload(removed=False, errors=_missing(id, "notification subscription"))
        problem = await resolvers.unsubscribe(info.context, subscription_id)
        return NotificationRemovalPayload(
            removed=problem is None, errors=[_problem(problem)] if problem is not None else []
        )

    @strawberry.mutation(
        description="Set quiet hours (HH:MM local times; `end` may be after midnight): notifications wait "
        "until they end. Null start and end turn them off."
    )
    async def set_quiet_hours(
        self, info: Info, timezone: str, start: str | None = None, end: str | None = None
    ) -> QuietHoursPayload:
        begins, ends = _time(start, "start"), _time(end, "end")
        for given in (begins, ends):
            if isinstance(given, resolvers.Problem):
                return QuietHoursPayload(quiet_hours=None, errors=[_problem(given)])
        assert not isinstance(begins, resolvers.Problem) and not isinstance(ends, resolvers.Problem)
        outcome = await resolvers.set_quiet_hours(info.context, begins, ends, timezone)
        if isinstance(outcome, resolvers.Problem):
            return QuietHoursPayload(quiet_hours=None, errors=[_problem(outcome)])
        return QuietHoursPayload(quiet_hours=QuietHours.of(outcome), errors=[])
