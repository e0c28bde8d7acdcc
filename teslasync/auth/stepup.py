"""Two-factor step-up: TOTP enrolment, verification, recovery codes, and the check sensitive operations make.

A verified code is remembered per user *and* credential (`Principal.credential`) for the policy's window, so
a code typed in the browser does not also unlock an API token. Codes are tried at most `login` rate-limit
times a minute per user, and each time step is accepted once (`users.claim_totp_step` is one conditional
UPDATE, so two requests racing with the same code cannot both pass).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.auth import totp
from teslasync.auth.principal import Principal
from teslasync.auth.ratelimit import record_refusal
from teslasync.auth.security import Security
from teslasync.db.models import User
from teslasync.db.repositories import users as users_repo
from teslasync.errors import (
    Forbidden,
    RateLimited,
    StepUpRequired,
    TeslaSyncError,
    TotpEnrolmentRequired,
)


class TotpRefused(TeslaSyncError):
    code = "TOTP_INVALID"


class TotpReplayed(TeslaSyncError):
    code = "TOTP_REPLAYED"


def totp_context(user_id: int) -> str:
    """What a TOTP secret's envelope is bound to: it decrypts for this user's row only."""
    return f"user:{user_id}:totp"


@dataclass(frozen=True)
class Enrolled:
    recovery_codes: list[str]
    step_up_until: datetime


async def _user(session: AsyncSession, principal: Principal) -> User:
    user = await users_repo.by_id(session, principal.user_id) if principal.user_id is not None else None
    if user is None:
        raise Forbidden("two-factor authentication belongs to a user; this caller is not one")
    return user


async def require_step_up(
    session: AsyncSession, security: Security, principal: Principal, action: str, now: datetime
) -> None:
    """Raise unless the principal verified a code within the window. Demo mode's anonymous loopback caller
    has no user and is let through; `TESLASYNC_STEP_UP=off` lets everyone through."""
    if not security.step_up.required or principal.user_id is None:
        return
    user = await _user(session, principal)
    if user.totp_enabled_at is None:
        raise TotpEnrolmentRequired(
            f"{action} needs two-factor step-up: enrol TOTP first (startTotpEnrolment)"
        )
    last = await users_repo.last_step_up(session, user.id, principal.credential)
    minutes = int(security.step_up.window.total_seconds() // 60)
    if last is None or now - last > security.step_up.window:
        raise StepUpRequired(
            f"{action} needs a TOTP code verified in the last {minutes} minutes: call verifyTotp first"
        )


async def start_enrolment(session: AsyncSession, security: Security, principal: Principal) -> totp.Enrolment:
    user = await _user(session, principal)
    if user.totp_enabled_at is not None:
        raise TeslaSyncError("TOTP is already on; turn it off first (disableTotp) to enrol a new device")
    enrolment = totp.new_enrolment(user.username)
    envelope = security.keyring.encrypt(enrolment.secret, context=totp_context(user.id))
    await users_repo.set_totp_pending(session, user.id, envelope)
    return enrolment


async def confirm_enrolment(
    session: AsyncSession, security: Security, principal: Principal, code: str, now: datetime
) -> Enrolled:
    """The first code from the new device turns TOTP on and counts as a step-up; the recovery codes are
    shown once, here, and only their hashes are kept."""
    user = await _user(session, principal)
    if user.totp_enabled_at is not None:
        raise TeslaSyncError("TOTP is already on")
    if user.totp_secret is None:
        raise TeslaSyncError("no enrolment is under way: call startTotpEnrolment first")
    await _check_limit(security, user)
    await _check_code(session, security, user, code, now)
    codes, hashes = await _new_recovery_codes()
    await users_repo.enable_totp(session, user.id, now, hashes)
    await users_repo.record_step_up(session, user.id, principal.credential, now)
    return Enrolled(codes, now + security.step_up.window)


async def verify(
    session: AsyncSession, security: Security, principal: Principal, code: str, now: datetime
) -> datetime:
    """Step up with a TOTP code, or with a recovery code (used up by it). Returns when the step-up lapses."""
    user = await _user(session, principal)
    if user.totp_enabled_at is None or user.totp_secret is None:
        raise TotpEnrolmentRequired("TOTP is not on for this user: enrol first (startTotpEnrolment)")
    await _check_limit(security, user)
    if any(char.isalpha() for char in code):
        await _use_recovery_code(session, user, code, now)
    else:
        await _check_code(session, security, user, code, now)
    await users_repo.record_step_up(session, user.id, principal.credential, now)
    return now + security.step_up.window


async def disable(session: AsyncSession, security: Security, principal: Principal, now: datetime) -> None:
    await require_step_up(session, security, principal, "turning TOTP off", now)
    await users_repo.disable_totp(session, (await _user(session, principal)).id)


async def regenerate_recovery_codes(
    session: AsyncSession, security: Security, principal: Principal, now: datetime
) -> list[str]:
    await require_step_up(session, security, principal, "new recovery codes", now)
    user = await _user(session, principal)
    codes, hashes = await _new_recovery_codes()
    await users_repo.replace_recovery_codes(session, user.id, hashes)
    return codes


async def _check_limit(security: Security, user: User) -> None:
    decision = await security.limiter.hit(f"login:user:{user.id}", security.limits.login)
    if not decision.allowed:
        record_refusal("login")
        wait = max(1, round(decision.retry_after_s))
        raise RateLimited(f"too many codes tried: try again in {wait} s", retryAfter=wait)


async def _check_code(
    session: AsyncSession, security: Security, user: User, code: str, now: datetime
) -> None:
    assert user.totp_secret is not None
    secret = security.keyring.decrypt_secret(user.totp_secret, context=totp_context(user.id))
    try:
        step = totp.verify(secret.reveal(), code, last_step=user.totp_last_step, now=now)
    except totp.TotpError as exc:
        if exc.reason == "replayed":
            raise TotpReplayed("this code was already used: wait for the next one") from None
        raise TotpRefused("wrong code" if exc.reason == "invalid" else "a code is 6 digits") from None
    if not await users_repo.claim_totp_step(session, user.id, step):
        raise TotpReplayed("this code was already used: wait for the next one")


async def _use_recovery_code(session: AsyncSession, user: User, code: str, now: datetime) -> None:
    stored = [(row.id, row.code_hash) for row in await users_repo.unused_recovery_codes(session, user.id)]

    def matching() -> int | None:
        return next((code_id for code_id, hashed in stored if totp.recovery_code_matches(code, hashed)), None)

    code_id = await asyncio.to_thread(matching)  # scrypt is slow on purpose: off the event loop
    if code_id is None or not await users_repo.use_recovery_code(session, code_id, now):
        raise TotpRefused("wrong or already used recovery code")


async def _new_recovery_codes() -> tuple[list[str], list[str]]:
    """Codes to show once, and their hashes to keep."""
    codes = totp.new_recovery_codes()
    return codes, await asyncio.to_thread(lambda: [totp.hash_recovery_code(c) for c in codes])
