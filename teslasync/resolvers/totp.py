"""TOTP enrolment and step-up, audited: every verification, confirmed or refused, is in the log."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import TypeVar

from teslasync.auth import audit, stepup, totp
from teslasync.context import Context
from teslasync.errors import TeslaSyncError

T = TypeVar("T")


async def _audited(context: Context, action: str, work: Awaitable[T]) -> T:
    try:
        result = await work
    except TeslaSyncError as exc:
        await audit.record_apart(context.db, context.principal, action, detail={"error": exc.code})
        raise
    await audit.record(context.session, context.principal, action)
    return result


async def start(context: Context) -> totp.Enrolment:
    work = stepup.start_enrolment(context.session, context.security, context.principal)
    return await _audited(context, "totp.enrol", work)


async def confirm(context: Context, code: str) -> stepup.Enrolled:
    work = stepup.confirm_enrolment(context.session, context.security, context.principal, code, context.now)
    return await _audited(context, "totp.confirm", work)


async def verify(context: Context, code: str) -> datetime:
    work = stepup.verify(context.session, context.security, context.principal, code, context.now)
    return await _audited(context, "totp.verify", work)


async def disable(context: Context) -> None:
    work = stepup.disable(context.session, context.security, context.principal, context.now)
    await _audited(context, "totp.disable", work)


async def regenerate(context: Context) -> list[str]:
    work = stepup.regenerate_recovery_codes(context.session, context.security, context.principal, context.now)
    return await _audited(context, "totp.recovery_codes", work)
