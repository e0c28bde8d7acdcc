from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import ApiToken


async def add_token(
    session: AsyncSession,
    name: str,
    prefix: str,
    secret_hash: str,
    scopes: Sequence[str],
    expires_at: datetime | None,
) -> ApiToken:
    token = ApiToken(
        name=name, prefix=prefix, secret_hash=secret_hash, scopes=list(scopes), expires_at=expires_at
    )
    session.add(token)
    await session.flush()
    return token


async def by_prefix(session: AsyncSession, prefix: str) -> ApiToken | None:
    return await session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))


async def list_tokens(session: AsyncSession) -> Sequence[ApiToken]:
    return (await session.scalars(select(ApiToken).order_by(ApiToken.id))).all()


async def revoke(session: AsyncSession, token_id: int) -> bool:
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
        .returning(ApiToken.id)
    )
    return result.scalar() is not None


async def touch(session: AsyncSession, token_id: int, when: datetime) -> None:
    await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when))
