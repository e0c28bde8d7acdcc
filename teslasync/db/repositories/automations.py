"""Automations: rules, their runs, vehicle tags, and the stored history a dry run replays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import (
    AutomationRuleRow,
    AutomationRunRow,
    ChargingSessionRow,
    GeofenceRow,
    Vehicle,
    VehicleEvent,
    VehicleStateRow,
    VehicleTag,
)


async def add_rule(
    session: AsyncSession, user_id: int, name: str, rule: dict[str, object], enabled: bool
) -> AutomationRuleRow:
    row = AutomationRuleRow(user_id=user_id, name=name, rule=rule, enabled=enabled)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def rule(session: AsyncSession, rule_id: int) -> AutomationRuleRow | None:
    return await session.get(AutomationRuleRow, rule_id, populate_existing=True)


async def rules_of(session: AsyncSession, user_id: int | None) -> Sequence[AutomationRuleRow]:
    """A user's rules, or everyone's (None)."""
    query = select(AutomationRuleRow).order_by(AutomationRuleRow.id)
    if user_id is not None:
        query = query.where(AutomationRuleRow.user_id == user_id)
    return (await session.scalars(query)).all()


async def enabled_rules(session: AsyncSession) -> Sequence[AutomationRuleRow]:
    query = select(AutomationRuleRow).where(AutomationRuleRow.enabled).order_by(AutomationRuleRow.id)
    return (await session.scalars(query)).all()


async def touch_rule(session: AsyncSession, rule_id: int, **values: object) -> None:
    await session.execute(
        update(AutomationRuleRow)
        .where(AutomationRuleRow.id == rule_id)
        .values(updated_at=func.now(), **values)
    )


async def delete_rule(session: AsyncSession, rule_id: int) -> None:
    await session.execute(delete(AutomationRuleRow).where(AutomationRuleRow.id == rule_id))


async def version(session: AsyncSession) -> tuple[object, ...]:
    """Changes when a rule, a tag or a geofence changes: the live runner reloads then."""
    row = (
        await session.execute(
            text(
                "SELECT (SELECT count(*) FROM automation_rules), (SELECT max(updated_at) FROM automation_rules),"
                " (SELECT count(*) FROM vehicle_tags), (SELECT md5(string_agg(vehicle_id || ':' || tag, ','"
                " ORDER BY vehicle_id, tag)) FROM vehicle_tags),"
                " (SELECT md5(string_agg(id || ':' || latitude || ':' || longitude || ':' || radius_m, ','"
                " ORDER BY id)) FROM geofences)"
            )
        )
    ).one()
    return tuple(row)


async def add_run(
    session: AsyncSession,
    *,
    rule_id: int,
    vin: str,
    fired_at: datetime,
    trigger: str,
    values: dict[str, object],
    actions: list[dict[str, object]],
) -> int | None:
    """The new run's id, or None when this rule already fired for this car at this time."""
    statement = (
        insert(AutomationRunRow)
        .values(rule_id=rule_id, vin=vin, fired_at=fired_at, trigger=trigger, values=values, actions=actions)
        .on_conflict_do_nothing(constraint="uq_automation_runs_firing")
        .returning(AutomationRunRow.id)
    )
    found = (await session.execute(statement)).scalar()
    return int(found) if found is not None else None


async def run(session: AsyncSession, run_id: int) -> AutomationRunRow | None:
    return await session.get(AutomationRunRow, run_id, populate_existing=True, with_for_update=True)


async def finish_run(
    session: AsyncSession, run_id: int, status: str, actions: list[dict[str, object]]
) -> None:
    await session.execute(
        update(AutomationRunRow)
        .where(AutomationRunRow.id == run_id)
        .values(status=status, actions=actions, finished_at=func.now() if status != "running" else None)
    )


async def runs_page(
    session: AsyncSession, rule_ids: Sequence[int], before_id: int | None, limit: int
) -> Sequence[AutomationRunRow]:
    query = (
        select(AutomationRunRow)
        .where(AutomationRunRow.rule_id.in_(rule_ids))
        .order_by(AutomationRunRow.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(AutomationRunRow.id < before_id)
    return (await session.scalars(query)).all()


async def last_fired(session: AsyncSession) -> dict[tuple[int, str], datetime]:
    """When each rule last fired for each car: the cool-downs a restart keeps."""
    query = select(
        AutomationRunRow.rule_id, AutomationRunRow.vin, func.max(AutomationRunRow.fired_at)
    ).group_by(AutomationRunRow.rule_id, AutomationRunRow.vin)
    return {(int(rule_id), str(vin)): at for rule_id, vin, at in (await session.execute(query)).all()}


async def tags_by_vin(session: AsyncSession) -> dict[str, set[str]]:
    """Every vehicle's tags (an untagged vehicle with an empty set)."""
    query = select(Vehicle.vin, VehicleTag.tag).outerjoin(VehicleTag, VehicleTag.vehicle_id == Vehicle.id)
    found: dict[str, set[str]] = {}
    for vin, tag in (await session.execute(query)).all():
        found.setdefault(vin, set())
        if tag is not None:
            found[vin].add(tag)
    return found


async def set_tags(session: AsyncSession, vehicle_id: int, tags: Sequence[str]) -> None:
    await session.execute(delete(VehicleTag).where(VehicleTag.vehicle_id == vehicle_id))
    if tags:
        await session.execute(
            insert(VehicleTag).values([{"vehicle_id": vehicle_id, "tag": tag} for tag in tags])
        )


async def tags_of(session: AsyncSession, vehicle_ids: Sequence[int]) -> dict[int, list[str]]:
    query = (
        select(VehicleTag.vehicle_id, VehicleTag.tag)
        .where(VehicleTag.vehicle_id.in_(vehicle_ids))
        .order_by(VehicleTag.vehicle_id, VehicleTag.tag)
    )
    found: dict[int, list[str]] = {vehicle_id: [] for vehicle_id in vehicle_ids}
    for vehicle_id, tag in (await session.execute(query)).all():
        found[vehicle_id].append(tag)
    return found


async def geofences(session: AsyncSession) -> Sequence[GeofenceRow]:
    return (await session.scalars(select(GeofenceRow))).all()


async def history_signals(
    session: AsyncSession,
    vehicle_id: int,
    fields: Sequence[str],
    since: datetime,
    until: datetime,
    limit: int,
) -> list[tuple[datetime, str, float | None, str | None, object]]:
    rows = await session.execute(
        text(
            "SELECT ts, field, num, txt, doc FROM signals WHERE vehicle_id = :v AND field = ANY(:f)"
            " AND ts >= :since AND ts < :until ORDER BY ts LIMIT :limit"
        ),
        {"v": vehicle_id, "f": list(fields), "since": since, "until": until, "limit": limit},
    )
    return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]


async def history_states(
    session: AsyncSession, vehicle_id: int, since: datetime, until: datetime
) -> Sequence[tuple[datetime, str]]:
    query = (
        select(VehicleStateRow.started_at, VehicleStateRow.state)
        .where(
            VehicleStateRow.vehicle_id == vehicle_id,
            VehicleStateRow.started_at >= since,
            VehicleStateRow.started_at < until,
        )
        .order_by(VehicleStateRow.started_at)
    )
    return [(at, state) for at, state in (await session.execute(query)).all()]


async def history_charges(
    session: AsyncSession, vehicle_id: int, since: datetime, until: datetime
) -> Sequence[tuple[datetime, datetime | None]]:
    query = (
        select(ChargingSessionRow.started_at, ChargingSessionRow.ended_at)
        .where(
            ChargingSessionRow.vehicle_id == vehicle_id,
            ChargingSessionRow.started_at >= since,
            ChargingSessionRow.started_at < until,
        )
        .order_by(ChargingSessionRow.started_at)
    )
    return [(start, end) for start, end in (await session.execute(query)).all()]


async def history_alerts(
    session: AsyncSession, vehicle_id: int, since: datetime, until: datetime
) -> Sequence[tuple[datetime, str]]:
    query = (
        select(VehicleEvent.ts, VehicleEvent.name)
        .where(
            VehicleEvent.vehicle_id == vehicle_id,
            VehicleEvent.kind == "alert",
            VehicleEvent.ts >= since,
            VehicleEvent.ts < until,
        )
        .order_by(VehicleEvent.ts)
    )
    return [(at, name) for at, name in (await session.execute(query)).all()]


async def forget_runs_before(session: AsyncSession, before: datetime) -> int:
    """Retention of the run history (finished runs only; the latest firing per rule and car is kept, as it
    carries the cool-down)."""
    result = await session.execute(
        text(
            "DELETE FROM automation_runs r WHERE r.fired_at < :before AND r.finished_at IS NOT NULL"
            " AND r.fired_at < (SELECT max(fired_at) FROM automation_runs x"
            " WHERE x.rule_id = r.rule_id AND x.vin = r.vin)"
        ),
        {"before": before},
    )
    return int(getattr(result, "rowcount", 0) or 0)
