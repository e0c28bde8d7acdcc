"""Users, who each vehicle is shared with, step-ups, TOTP state and recovery codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import RecoveryCode, StepUp, User, VehicleAccess

ADMIN_USERNAME = "admin"  # the built-in administrator the CLI's tokens act for (migration 0005)


async def by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def by_username(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def builtin_admin(session: AsyncSession) -> User:
    """The built-in administrator, created if an operator removed it."""
    await session.execute(
        insert(User)
        .values(username=ADMIN_USERNAME, display_name="Administrator", source="local", is_admin=True)
        .on_conflict_do_nothing(index_elements=[User.username])
    )
    user = await by_username(session, ADMIN_USERNAME)
    assert user is not None
    return user


async def upsert_seen(
    session: AsyncSession,
    username: str,
    *,
    email: str | None,
    display_name: str | None,
    groups: Sequence[str],
    is_admin: bool | None,
    seen_at: datetime,
) -> User:
    """A forward-auth user on sight: created the first time, their profile kept current after. `is_admin`
    None leaves the flag as it is (no admin groups are configured)."""
    values: dict[str, object] = {
        "username": username,
        "email": email,
        "display_name": display_name,
        "groups": list(groups),
        "source": "forward-auth",
        "last_seen_at": seen_at,
    }
    changes = {key: value for key, value in values.items() if key not in ("username", "source")}
    if is_admin is not None:
        values["is_admin"] = is_admin
        changes["is_admin"] = is_admin
    statement = (
        insert(User)
        .values(**values)
        .on_conflict_do_update(index_elements=[User.username], set_=changes)
        .returning(User)
    )
    user = (await session.scalars(statement, execution_options={"populate_existing": True})).one()
    return user


async def list_page(session: AsyncSession, after_id: int | None, limit: int) -> Sequence[User]:
    query = select(User).order_by(User.id).limit(limit)
    if after_id is not None:
        query = query.where(User.id > after_id)
    return (await session.scalars(query)).all()


async def active_admin_ids(session: AsyncSession) -> list[int]:
    rows = await session.scalars(select(User.id).where(User.is_admin, User.disabled_at.is_(None)))
    return list(rows)


async def set_admin(session: AsyncSession, user_id: int, is_admin: bool) -> None:
    await session.execute(update(User).where(User.id == user_id).values(is_admin=is_admin))


async def set_disabled(session: AsyncSession, user_id: int, disabled_at: datetime | None) -> None:
    await session.execute(update(User).where(User.id == user_id).values(disabled_at=disabled_at))


async def roles_of(session: AsyncSession, user_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(VehicleAccess.vehicle_id, VehicleAccess.role).where(VehicleAccess.user_id == user_id)
    )
    return {vehicle_id: role for vehicle_id, role in rows}


async def grant(session: AsyncSession, user_id: int, vehicle_id: int, role: str) -> None:
    await session.execute(
        insert(VehicleAccess)
        .values(user_id=user_id, vehicle_id=vehicle_id, role=role)
        .on_conflict_do_update(
            index_elements=[VehicleAccess.user_id, VehicleAccess.vehicle_id], set_={"role": role}
        )
    )


async def revoke(session: AsyncSession, user_id: int, vehicle_id: int) -> bool:
    result = await session.execute(
        delete(VehicleAccess)
        .where(VehicleAccess.user_id == user_id, VehicleAccess.vehicle_id == vehicle_id)
        .returning(VehicleAccess.user_id)
    )
    return result.scalar() is not None


async def shares_of(session: AsyncSession, vehicle_ids: Sequence[int]) -> list[tuple[int, User, str]]:
    """(vehicle id, user, role) for each vehicle, users by name."""
    rows = await session.execute(
        select(VehicleAccess.vehicle_id, User, VehicleAccess.role)
        .join(User, User.id == VehicleAccess.user_id)
        .where(VehicleAccess.vehicle_id.in_(vehicle_ids))
        .order_by(VehicleAccess.vehicle_id, User.username)
    )
    return [(vehicle_id, user, role) for vehicle_id, user, role in rows]


async def record_step_up(session: AsyncSession, user_id: int, credential: str, at: datetime) -> None:
    await session.execute(
        insert(StepUp)
        .values(user_id=user_id, credential=credential, verified_at=at)
        .on_conflict_do_update(index_elements=[StepUp.user_id, StepUp.credential], set_={"verified_at": at})
    )


async def last_step_up(session: AsyncSession, user_id: int, credential: str) -> datetime | None:
    return await session.scalar(
        select(StepUp.verified_at).where(StepUp.user_id == user_id, StepUp.credential == credential)
    )


async def set_totp_pending(session: AsyncSession, user_id: int, envelope: str) -> None:
    """A new secret awaiting its first code; an enabled one stays in force until the new one is confirmed."""
    await session.execute(
        update(User)
        .where(User.id == user_id, User.totp_enabled_at.is_(None))
        .values(totp_secret=envelope, totp_last_step=None)
    )


async def claim_totp_step(session: AsyncSession, user_id: int, step: int) -> bool:
    """Move the user's last used time step forward to `step`; False if a code of that step (or a later one)
    was already used. One conditional UPDATE, so two requests racing with one code cannot both win."""
    result = await session.execute(
        update(User)
        .where(User.id == user_id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .returning(User.id)
    )
    return result.scalar() is not None


async def enable_totp(session: AsyncSession, user_id: int, at: datetime, code_hashes: Sequence[str]) -> None:
    await session.execute(update(User).where(User.id == user_id).values(totp_enabled_at=at))
    await replace_recovery_codes(session, user_id, code_hashes)


async def disable_totp(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None)
    )
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await session.execute(delete(StepUp).where(StepUp.user_id == user_id))


async def replace_recovery_codes(session: AsyncSession, user_id: int, code_hashes: Sequence[str]) -> None:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in code_hashes)
    await session.flush()


async def unused_recovery_codes(session: AsyncSession, user_id: int) -> Sequence[RecoveryCode]:
    return (
        await session.scalars(
            select(RecoveryCode).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
    ).all()


async def use_recovery_code(session: AsyncSession, code_id: int, at: datetime) -> bool:
    result = await session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == code_id, RecoveryCode.used_at.is_(None))
        .values(used_at=at)
        .returning(RecoveryCode.id)
    )
    return result.scalar() is not None


async def totp_rows(session: AsyncSession) -> Sequence[tuple[int, str]]:
    """(user id, envelope) of every TOTP secret: what key rotation walks."""
    rows = await session.execute(select(User.id, User.totp_secret).where(User.totp_secret.is_not(None)))
    return [(user_id, secret) for user_id, secret in rows if secret is not None]


async def set_totp_secret(session: AsyncSession, user_id: int, old: str, new: str) -> bool:
    """Compare-and-set, so a rotation never overwrites a secret re-enrolled meanwhile."""
    result = await session.execute(
        update(User)
        .where(User.id == user_id, User.totp_secret == old)
        .values(totp_secret=new)
        .returning(User.id)
    )
    return result.scalar() is not None
