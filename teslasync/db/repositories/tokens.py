from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import String, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import ApiToken, User, VehicleAccess


async def add_token(
    session: AsyncSession,
    name: str,
    prefix: str,
    secret_hash: str,
    scopes: Sequence[str],
    expires_at: datetime | None,
    user_id: int,
) -> ApiToken:
    token = ApiToken(
        name=name,
        prefix=prefix,
        secret_hash=secret_hash,
        scopes=list(scopes),
        expires_at=expires_at,
        user_id=user_id,
    )
    session.add(token)
    await session.flush()
    return token


_ROLES = (
    select(func.jsonb_object_agg(VehicleAccess.vehicle_id, VehicleAccess.role))
    .where(VehicleAccess.user_id == User.id)
    .scalar_subquery()
)
# built once: building it for each request cost as much as running it
_WITH_HOLDER = (
    select(ApiToken, User, _ROLES)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.prefix == bindparam("prefix", type_=String))
)


async def with_holder(session: AsyncSession, prefix: str) -> tuple[ApiToken, User, dict[int, str]] | None:
    """The token of `prefix`, the user it acts for and that user's role per vehicle, in one statement: every
    authenticated request asks this, and three statements were most of its cost."""
    found = (await session.execute(_WITH_HOLDER, {"prefix": prefix})).first()
    if found is None:
        return None
    token, user, by_vehicle = found
    return token, user, {int(vehicle_id): role for vehicle_id, role in (by_vehicle or {}).items()}


async def list_tokens(session: AsyncSession, user_id: int | None = None) -> Sequence[ApiToken]:
    """Every token, or one user's."""
    query = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return (await session.scalars(query)).all()


async def revoke(session: AsyncSession, token_id: int, user_id: int | None = None) -> bool:
    """Revoke a token (only if it is `user_id`'s, when given); False if there was none to revoke."""
    query = update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    result = await session.execute(query.values(revoked_at=datetime.now(UTC)).returning(ApiToken.id))
    return result.scalar() is not None


async def touch(session: AsyncSession, token_id: int, when: datetime) -> None:
    await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when))
