"""Tesla accounts: a user's developer app, the pending authorization, and the encrypted tokens. Token writes
are compare-and-set on `generation`, so a stale writer can never put back a refresh token Tesla has
already retired."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import TeslaAccount


async def add(
    session: AsyncSession,
    *,
    user_id: int,
    client_id: str,
    redirect_uri: str,
    scopes: Sequence[str],
    china: bool,
    state_hash: str,
    state_expires_at: datetime,
) -> TeslaAccount:
    """A pending account; its client secret is set next, once the row has the id it is bound to."""
    account = TeslaAccount(
        user_id=user_id,
        client_id=client_id,
        client_secret="",
        redirect_uri=redirect_uri,
        scopes=list(scopes),
        china=china,
        status="pending",
        pending_state_hash=state_hash,
        pending_state_expires_at=state_expires_at,
    )
    session.add(account)
    await session.flush()
    return account


async def by_id(session: AsyncSession, account_id: int) -> TeslaAccount | None:
    return await session.get(TeslaAccount, account_id, populate_existing=True)


async def locked(session: AsyncSession, account_id: int) -> TeslaAccount | None:
    """The account, its row locked until the transaction ends: one refresher at a time, across replicas."""
    return await session.scalar(
        select(TeslaAccount)
        .where(TeslaAccount.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def by_state(session: AsyncSession, state_hash: str) -> TeslaAccount | None:
    return await session.scalar(
        select(TeslaAccount).where(TeslaAccount.pending_state_hash == state_hash).with_for_update()
    )


async def of_user(session: AsyncSession, user_id: int | None) -> Sequence[TeslaAccount]:
    query = select(TeslaAccount).order_by(TeslaAccount.id)
    if user_id is not None:
        query = query.where(TeslaAccount.user_id == user_id)
    return (await session.scalars(query)).all()


async def due(session: AsyncSession, before: datetime) -> list[int]:
    """Connected accounts whose access token expires before `before`."""
    rows = await session.scalars(
        select(TeslaAccount.id).where(
            TeslaAccount.status == "connected", TeslaAccount.access_expires_at < before
        )
    )
    return list(rows)


async def set_client_secret(session: AsyncSession, account_id: int, envelope: str) -> None:
    await session.execute(
        update(TeslaAccount).where(TeslaAccount.id == account_id).values(client_secret=envelope)
    )


async def store_tokens(
    session: AsyncSession,
    account_id: int,
    *,
    generation: int,
    access_token: str | None,
    refresh_token: str,
    expires_at: datetime,
    region: str | None = None,
    base_url: str | None = None,
) -> bool:
    """Write generation `generation` of the tokens over `generation - 1`; False if that is not what is
    stored (it was written already, or something newer was)."""
    values: dict[str, object] = {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "access_expires_at": expires_at,
        "generation": generation,
        "status": "connected",
        "last_error": None,
        "pending_state_hash": None,
        "pending_state_expires_at": None,
        "updated_at": func.now(),
    }
    if region is not None:
        values["region"] = region
        values["fleet_api_base_url"] = base_url
    result = await session.execute(
        update(TeslaAccount)
        .where(TeslaAccount.id == account_id, TeslaAccount.generation == generation - 1)
        .values(**values)
        .returning(TeslaAccount.id)
    )
    return result.scalar() is not None


async def set_region(session: AsyncSession, account_id: int, region: str, base_url: str) -> None:
    await session.execute(
        update(TeslaAccount)
        .where(TeslaAccount.id == account_id)
        .values(region=region, fleet_api_base_url=base_url, updated_at=func.now())
    )


async def set_status(session: AsyncSession, account_id: int, status: str, error: str | None) -> None:
    await session.execute(
        update(TeslaAccount)
        .where(TeslaAccount.id == account_id)
        .values(status=status, last_error=error, updated_at=func.now())
    )


async def forget_tokens(session: AsyncSession, account_id: int) -> None:
    await session.execute(
        update(TeslaAccount)
        .where(TeslaAccount.id == account_id)
        .values(
            access_token=None,
            refresh_token=None,
            access_expires_at=None,
            status="revoked",
            pending_state_hash=None,
            generation=TeslaAccount.generation + 1,
            updated_at=func.now(),
        )
    )


async def envelopes(session: AsyncSession) -> Sequence[TeslaAccount]:
    """Every account, for key rotation."""
    return (await session.scalars(select(TeslaAccount).order_by(TeslaAccount.id))).all()


async def replace_envelopes(
    session: AsyncSession, account_id: int, old: dict[str, str | None], new: dict[str, str | None]
) -> bool:
    """Compare-and-set the encrypted columns: a rotation never overwrites tokens refreshed meanwhile."""
    conditions = [
        getattr(TeslaAccount, column).is_(None) if value is None else getattr(TeslaAccount, column) == value
        for column, value in old.items()
    ]
    result = await session.execute(
        update(TeslaAccount)
        .where(TeslaAccount.id == account_id, *conditions)
        .values(**new)
        .returning(TeslaAccount.id)
    )
    return result.scalar() is not None
