"""The audit log: who did what sensitive thing, when, from where, and how it ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import AuditEntry


async def add(
    session: AsyncSession,
    *,
    user_id: int | None,
    principal: str,
    token_id: int | None,
    address: str | None,
    action: str,
    target: str | None,
    outcome: str,
    detail: dict[str, object] | None,
) -> None:
    session.add(
        AuditEntry(
            user_id=user_id,
            principal=principal,
            token_id=token_id,
            address=address,
            action=action,
            target=target,
            outcome=outcome,
            detail=detail,
        )
    )
    await session.flush()


async def page(
    session: AsyncSession,
    *,
    before: tuple[datetime, int] | None,
    limit: int,
    action: str | None = None,
    user_id: int | None = None,
) -> Sequence[AuditEntry]:
    """Newest first, keyset-paged on (at, id)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if before is not None:
        query = query.where(tuple_(AuditEntry.at, AuditEntry.id) < tuple_(*before))
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    return (await session.scalars(query)).all()
