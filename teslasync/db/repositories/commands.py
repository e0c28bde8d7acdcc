"""Vehicle commands: the history, idempotency keys, the daily budget, and each step of a run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import VehicleCommandRow

TERMINAL = ("succeeded", "failed")


async def add(
    session: AsyncSession,
    *,
    vehicle_id: int,
    user_id: int | None,
    principal: str,
    principal_key: str,
    command: str,
    params: dict[str, object],
    idempotency_key: str | None,
    step: dict[str, object],
) -> VehicleCommandRow | None:
    """The new command, or None when the principal used this idempotency key already."""
    statement = (
        insert(VehicleCommandRow)
        .values(
            vehicle_id=vehicle_id,
            user_id=user_id,
            principal=principal,
            principal_key=principal_key,
            command=command,
            params=params,
            idempotency_key=idempotency_key,
            steps=[step],
        )
        .on_conflict_do_nothing(
            index_elements=[VehicleCommandRow.principal_key, VehicleCommandRow.idempotency_key],
            index_where=VehicleCommandRow.idempotency_key.is_not(None),
        )
        .returning(VehicleCommandRow)
    )
    return (await session.scalars(statement)).one_or_none()


async def by_key(session: AsyncSession, principal_key: str, key: str) -> VehicleCommandRow | None:
    return await session.scalar(
        select(VehicleCommandRow).where(
            VehicleCommandRow.principal_key == principal_key, VehicleCommandRow.idempotency_key == key
        )
    )


async def by_id(session: AsyncSession, command_id: int) -> VehicleCommandRow | None:
    return await session.get(VehicleCommandRow, command_id, populate_existing=True)


async def advance(
    session: AsyncSession,
    command_id: int,
    step: dict[str, object],
    *,
    status: str | None = None,
    billed: bool | None = None,
    error_code: str | None = None,
    error: str | None = None,
) -> None:
    """Append a step, and move the status on when given (a terminal status also ends the command)."""
    values: dict[str, object] = {
        "steps": VehicleCommandRow.steps.op("||")(literal([step], JSONB)),
        "updated_at": func.now(),
    }
    if status is not None:
        values["status"] = status
        if status in TERMINAL:
            values["finished_at"] = func.now()
    if billed is not None:
        values["billed"] = billed
    if error_code is not None:
        values["error_code"] = error_code
        values["error"] = error
    await session.execute(
        update(VehicleCommandRow).where(VehicleCommandRow.id == command_id).values(**values)
    )


async def billed_since(session: AsyncSession, vehicle_id: int, since: datetime) -> int:
    """Commands since `since` that Tesla billed or may still bill (queued ones count: a burst of them must
    not slip past the budget before any is sent)."""
    count = await session.scalar(
        select(func.count())
        .select_from(VehicleCommandRow)
        .where(
            VehicleCommandRow.vehicle_id == vehicle_id,
            VehicleCommandRow.created_at >= since,
            or_(VehicleCommandRow.billed, VehicleCommandRow.status.not_in(TERMINAL)),
        )
    )
    return int(count or 0)


async def page(
    session: AsyncSession, vehicle_id: int, before: tuple[datetime, int] | None, limit: int
) -> Sequence[VehicleCommandRow]:
    query = (
        select(VehicleCommandRow)
        .where(VehicleCommandRow.vehicle_id == vehicle_id)
        .order_by(VehicleCommandRow.created_at.desc(), VehicleCommandRow.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(tuple_(VehicleCommandRow.created_at, VehicleCommandRow.id) < tuple_(*before))
    return (await session.scalars(query)).all()


async def unfinished(session: AsyncSession) -> Sequence[VehicleCommandRow]:
    query = (
        select(VehicleCommandRow)
        .where(VehicleCommandRow.status.not_in(TERMINAL))
        .order_by(VehicleCommandRow.id)
    )
    return (await session.scalars(query)).all()
