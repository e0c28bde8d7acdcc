"""The audit log of sensitive actions. What succeeded is written in the operation's own transaction, so it is
there exactly when the action is; a refusal or failure is written in a transaction of its own, since the
operation's is rolled back."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.auth.principal import Principal
from teslasync.db.engine import Database
from teslasync.db.repositories import audit as repo

log = logging.getLogger("teslasync.audit")


async def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    *,
    target: str | None = None,
    outcome: str = "ok",
    detail: dict[str, object] | None = None,
) -> None:
    await repo.add(
        session,
        user_id=principal.user_id,
        principal=principal.name,
        token_id=principal.token_id,
        address=principal.address,
        action=action,
        target=target,
        outcome=outcome,
        detail=detail,
    )


async def record_apart(
    db: Database,
    principal: Principal,
    action: str,
    *,
    target: str | None = None,
    outcome: str = "refused",
    detail: dict[str, object] | None = None,
) -> None:
    """Record in a transaction of its own. An audit write that fails must not hide the refusal it records:
    it is logged instead."""
    try:
        async with db.transaction() as session:
            await record(session, principal, action, target=target, outcome=outcome, detail=detail)
    except Exception:
        log.exception(
            "could not write the audit entry %s %s (%s) for %s", action, target, outcome, principal.name
        )
