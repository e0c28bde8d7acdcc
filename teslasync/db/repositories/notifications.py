"""Notifications: channels, subscriptions, quiet hours, and the delivery log with each attempt."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy import and_, any_, delete, exists, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import (
    NotificationAttemptRow,
    NotificationChannelRow,
    NotificationDeliveryRow,
    NotificationPreferenceRow,
    NotificationSubscriptionRow,
    User,
    Vehicle,
    VehicleAccess,
)


async def add_channel(
    session: AsyncSession, user_id: int, kind: str, name: str, config: dict[str, object], secrets: str | None
) -> NotificationChannelRow:
    row = NotificationChannelRow(user_id=user_id, kind=kind, name=name, config=config, secrets=secrets)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def channel(session: AsyncSession, channel_id: int) -> NotificationChannelRow | None:
    return await session.get(NotificationChannelRow, channel_id, populate_existing=True)


async def channels_of(session: AsyncSession, user_id: int) -> Sequence[NotificationChannelRow]:
    query = (
        select(NotificationChannelRow)
        .where(NotificationChannelRow.user_id == user_id)
        .order_by(NotificationChannelRow.id)
    )
    return (await session.scalars(query)).all()


async def delete_channel(session: AsyncSession, channel_id: int) -> None:
    await session.execute(delete(NotificationChannelRow).where(NotificationChannelRow.id == channel_id))


async def subscriptions_of(session: AsyncSession, user_id: int) -> Sequence[NotificationSubscriptionRow]:
    query = (
        select(NotificationSubscriptionRow)
        .where(NotificationSubscriptionRow.user_id == user_id)
        .order_by(NotificationSubscriptionRow.id)
    )
    return (await session.scalars(query)).all()


async def subscription(session: AsyncSession, subscription_id: int) -> NotificationSubscriptionRow | None:
    return await session.get(NotificationSubscriptionRow, subscription_id, populate_existing=True)


async def add_subscription(
    session: AsyncSession, user_id: int, channel_id: int, events: list[str], vins: list[str] | None
) -> NotificationSubscriptionRow:
    row = NotificationSubscriptionRow(user_id=user_id, channel_id=channel_id, events=events, vins=vins)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def delete_subscription(session: AsyncSession, subscription_id: int) -> None:
    await session.execute(
        delete(NotificationSubscriptionRow).where(NotificationSubscriptionRow.id == subscription_id)
    )


async def preferences(session: AsyncSession, user_id: int) -> NotificationPreferenceRow | None:
    return await session.get(NotificationPreferenceRow, user_id, populate_existing=True)


async def set_quiet_hours(
    session: AsyncSession, user_id: int, start: time | None, end: time | None, timezone: str
) -> None:
    statement = insert(NotificationPreferenceRow).values(
        user_id=user_id, quiet_start=start, quiet_end=end, timezone=timezone
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[NotificationPreferenceRow.user_id],
            set_={"quiet_start": start, "quiet_end": end, "timezone": timezone},
        )
    )


async def recipients(session: AsyncSession, kind: str, vin: str | None) -> Sequence[tuple[int, int]]:
    """(user, channel) pairs that want an event of `kind` about `vin`: an enabled channel subscribed to the
    kind (for that VIN, or for every VIN), of an enabled user who sees the vehicle (an administrator, or one it
    is shared with). An event about no vehicle goes to administrators only."""
    subscription, channel_row = NotificationSubscriptionRow, NotificationChannelRow
    query = (
        select(subscription.user_id, subscription.channel_id)
        .join(channel_row, channel_row.id == subscription.channel_id)
        .join(User, User.id == subscription.user_id)
        .where(
            channel_row.enabled,
            User.disabled_at.is_(None),
            literal(kind) == any_(subscription.events),
        )
        .distinct()
    )
    if vin is None:  # about the installation, not a car (Helix's spend): administrators only
        query = query.where(User.is_admin)
    else:
        shared = exists().where(
            VehicleAccess.user_id == subscription.user_id,
            VehicleAccess.vehicle_id == Vehicle.id,
            Vehicle.vin == vin,
        )
        query = query.where(
            or_(subscription.vins.is_(None), literal(vin) == any_(subscription.vins)),
            or_(User.is_admin, shared),
        )
    return [(int(user_id), int(channel_id)) for user_id, channel_id in (await session.execute(query)).all()]


async def add_delivery(
    session: AsyncSession,
    *,
    user_id: int,
    channel_id: int,
    kind: str,
    vin: str | None,
    dedup_key: str,
    event: dict[str, object],
) -> int | None:
    """The new delivery's id, or None when this channel already has this event (the dedup)."""
    statement = (
        insert(NotificationDeliveryRow)
        .values(
            user_id=user_id,
            channel_id=channel_id,
            event_kind=kind,
            vin=vin,
            dedup_key=dedup_key,
            event=event,
        )
        .on_conflict_do_nothing(constraint="uq_notification_deliveries_dedup")
        .returning(NotificationDeliveryRow.id)
    )
    found = (await session.execute(statement)).scalar()
    return int(found) if found is not None else None


async def delivery(session: AsyncSession, delivery_id: int) -> NotificationDeliveryRow | None:
    return await session.get(
        NotificationDeliveryRow, delivery_id, populate_existing=True, with_for_update=True
    )


async def record_attempt(
    session: AsyncSession,
    delivery_id: int,
    *,
    outcome: str,
    detail: str | None,
    status: str,
    next_attempt_at: datetime | None = None,
) -> int:
    """Log one attempt and move the delivery to `status`; the attempt's number."""
    attempt = (
        await session.execute(
            update(NotificationDeliveryRow)
            .where(NotificationDeliveryRow.id == delivery_id)
            .values(
                attempts=NotificationDeliveryRow.attempts + 1,
                status=status,
                last_error=detail if outcome != "sent" else None,
                next_attempt_at=next_attempt_at,
                sent_at=func.now() if status == "sent" else None,
            )
            .returning(NotificationDeliveryRow.attempts)
        )
    ).scalar_one()
    session.add(
        NotificationAttemptRow(delivery_id=delivery_id, attempt=attempt, outcome=outcome, detail=detail)
    )
    return int(attempt)


async def defer(session: AsyncSession, delivery_id: int, until: datetime) -> None:
    await session.execute(
        update(NotificationDeliveryRow)
        .where(NotificationDeliveryRow.id == delivery_id)
        .values(status="deferred", next_attempt_at=until)
    )


async def deliveries_page(
    session: AsyncSession, user_id: int, before_id: int | None, limit: int, channel_id: int | None = None
) -> Sequence[NotificationDeliveryRow]:
    query = (
        select(NotificationDeliveryRow)
        .where(NotificationDeliveryRow.user_id == user_id)
        .order_by(NotificationDeliveryRow.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(NotificationDeliveryRow.id < before_id)
    if channel_id is not None:
        query = query.where(NotificationDeliveryRow.channel_id == channel_id)
    return (await session.scalars(query)).all()


async def attempts_of(session: AsyncSession, delivery_ids: Sequence[int]) -> Sequence[NotificationAttemptRow]:
    if not delivery_ids:
        return []
    query = (
        select(NotificationAttemptRow)
        .where(NotificationAttemptRow.delivery_id.in_(delivery_ids))
        .order_by(NotificationAttemptRow.delivery_id, NotificationAttemptRow.attempt)
    )
    return (await session.scalars(query)).all()


async def forget_before(session: AsyncSession, before: datetime) -> int:
    """Retention of the delivery log (attempts go with their delivery); pending ones are kept."""
    result = await session.execute(
        delete(NotificationDeliveryRow).where(
            and_(
                NotificationDeliveryRow.created_at < before,
                NotificationDeliveryRow.status.in_(("sent", "failed")),
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
