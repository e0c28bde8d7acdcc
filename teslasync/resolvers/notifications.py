"""Notifications through the API: each user's channels (secrets encrypted, never shown back), what they
subscribe to, their quiet hours, test sends and the delivery log. Everything is the caller's own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from teslasync.auth import audit
from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.models import (
    NotificationAttemptRow,
    NotificationChannelRow,
    NotificationDeliveryRow,
    NotificationPreferenceRow,
    NotificationSubscriptionRow,
)
from teslasync.db.repositories import notifications as repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.errors import Forbidden, require_scope
from teslasync.jobs.notifications import Outcome, send_test
from teslasync.notify.channels.base import ChannelConfigError, ChannelKind
from teslasync.notify.channels.registry import parse_config
from teslasync.notify.events import EventKind
from teslasync.notify.quiet import QuietHours
from teslasync.notify.stored import merged, split_config
from teslasync.resolvers.derived import BadPage
from teslasync.resolvers.exports import JobsUnavailable
from teslasync.resolvers.users import MAX_PAGE

MAX_CHANNELS = 50
MAX_NAME = 100


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    not_found: bool = False


def _user_id(context: Context, scope: Scope = Scope.READ) -> int:
    require_scope(context.principal, scope)
    if context.principal.user_id is None:
        raise Forbidden("notifications belong to a user; sign in as one (or use a token)")
    return context.principal.user_id


async def _own_channel(context: Context, channel_id: int) -> NotificationChannelRow | None:
    row = await repo.channel(context.session, channel_id)
    return row if row is not None and row.user_id == context.principal.user_id else None


async def channels(context: Context) -> Sequence[NotificationChannelRow]:
    return await repo.channels_of(context.session, _user_id(context))


async def subscriptions(context: Context) -> Sequence[NotificationSubscriptionRow]:
    return await repo.subscriptions_of(context.session, _user_id(context))


async def preferences(context: Context) -> NotificationPreferenceRow | None:
    return await repo.preferences(context.session, _user_id(context))


def _name_problem(name: str) -> Problem | None:
    if not name.strip() or len(name) > MAX_NAME:
        return Problem("name", f"a name of 1 to {MAX_NAME} characters")
    return None


async def create_channel(
    context: Context, kind: ChannelKind, name: str, settings: object
) -> NotificationChannelRow | Problem:
    user_id = _user_id(context, Scope.READ)
    if (problem := _name_problem(name)) is not None:
        return problem
    if len(await repo.channels_of(context.session, user_id)) >= MAX_CHANNELS:
        return Problem("kind", f"at most {MAX_CHANNELS} channels per user")
    if not isinstance(settings, Mapping):
        return Problem("settings", "the settings must be an object of fields")
    try:
        config = parse_config(kind, settings)
    except ChannelConfigError as exc:
        return Problem(f"settings.{exc.field}" if exc.field else "settings", exc.message)
    shown, secrets = split_config(config, context.security.keys(), user_id)
    row = await repo.add_channel(context.session, user_id, kind.value, name.strip(), shown, secrets)
    await audit.record(context.session, context.principal, "notification_channel.create", target=str(row.id))
    return row


async def update_channel(
    context: Context, channel_id: int, name: str | None, settings: object | None, enabled: bool | None
) -> NotificationChannelRow | Problem:
    _user_id(context)
    row = await _own_channel(context, channel_id)
    if row is None:
        return Problem("id", f"no notification channel {channel_id}", not_found=True)
    if name is not None:
        if (problem := _name_problem(name)) is not None:
            return problem
        row.name = name.strip()
    if settings is not None:
        if not isinstance(settings, Mapping):
            return Problem("settings", "the settings must be an object of fields")
        keys = context.security.keys()
        try:
            config = merged(row, keys, settings)
        except ChannelConfigError as exc:
            return Problem(f"settings.{exc.field}" if exc.field else "settings", exc.message)
        row.config, row.secrets = split_config(config, keys, row.user_id)
    if enabled is not None:
        row.enabled = enabled
    await context.session.flush()
    await audit.record(context.session, context.principal, "notification_channel.update", target=str(row.id))
    return row


async def delete_channel(context: Context, channel_id: int) -> Problem | None:
    _user_id(context)
    row = await _own_channel(context, channel_id)
    if row is None:
        return Problem("id", f"no notification channel {channel_id}", not_found=True)
    await repo.delete_channel(context.session, channel_id)
    await audit.record(
        context.session, context.principal, "notification_channel.delete", target=str(channel_id)
    )
    return None


async def test_channel(context: Context, channel_id: int) -> Outcome | Problem:
    _user_id(context)
    if context.jobs is None:
        raise JobsUnavailable("notifications are not available in this process")
    row = await _own_channel(context, channel_id)
    if row is None:
        return Problem("id", f"no notification channel {channel_id}", not_found=True)
    services = context.jobs.services
    return await send_test(context.db, services.keys, services.http, row)


async def subscribe(
    context: Context, channel_id: int, events: Sequence[EventKind], vins: Sequence[str] | None
) -> NotificationSubscriptionRow | Problem:
    user_id = _user_id(context)
    if await _own_channel(context, channel_id) is None:
        return Problem("channelId", f"no notification channel {channel_id}", not_found=True)
    chosen = sorted({event.value for event in events if event is not EventKind.TEST})
    if not chosen:
        return Problem("events", "name at least one event")
    wanted: list[str] | None = None
    if vins is not None:
        wanted = sorted({vin.strip().upper() for vin in vins})
        found = await vehicles_repo.by_vins(context.session, wanted)
        visible = context.principal.vehicle_filter
        seen = {vin for vin, vehicle in found.items() if visible is None or vehicle.id in visible}
        if missing := sorted(set(wanted) - seen):
            return Problem("vins", f"no vehicle {', '.join(missing)}", not_found=True)
    return await repo.add_subscription(context.session, user_id, channel_id, chosen, wanted)


async def unsubscribe(context: Context, subscription_id: int) -> Problem | None:
    user_id = _user_id(context)
    row = await repo.subscription(context.session, subscription_id)
    if row is None or row.user_id != user_id:
        return Problem("id", f"no notification subscription {subscription_id}", not_found=True)
    await repo.delete_subscription(context.session, subscription_id)
    return None


async def set_quiet_hours(
    context: Context, start: time | None, end: time | None, timezone: str
) -> NotificationPreferenceRow | Problem:
    user_id = _user_id(context)
    if (start is None) != (end is None):
        return Problem(
            "end" if end is None else "start", "give both start and end, or neither to turn quiet hours off"
        )
    try:
        if start is not None and end is not None:
            QuietHours(start, end, timezone)
        else:
            QuietHours(time(0), time(1), timezone)  # the zone is checked even when quiet hours are off
    except ValueError as exc:
        field = "timezone" if "zone" in str(exc) else "start"
        return Problem(field, str(exc))
    await repo.set_quiet_hours(context.session, user_id, start, end, timezone)
    found = await repo.preferences(context.session, user_id)
    assert found is not None
    return found


async def deliveries(
    context: Context, first: int, before_id: int | None, channel_id: int | None
) -> list[NotificationDeliveryRow]:
    user_id = _user_id(context)
    if not 1 <= first <= MAX_PAGE:
        raise BadPage(f"first must be between 1 and {MAX_PAGE}")
    return list(await repo.deliveries_page(context.session, user_id, before_id, first + 1, channel_id))


async def attempts(context: Context, delivery_ids: Sequence[int]) -> dict[int, list[NotificationAttemptRow]]:
    by_delivery: dict[int, list[NotificationAttemptRow]] = {}
    for row in await repo.attempts_of(context.session, delivery_ids):
        by_delivery.setdefault(row.delivery_id, []).append(row)
    return by_delivery
