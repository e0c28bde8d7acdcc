"""Helix's tables: per-feature toggles, models and budgets; settings (JSON by key); the price overrides; the
audit of every provider call, and the spend summed from it (calendar months and days in UTC, so a budget
resets at the same instant for every replica and every user)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Final

from sqlalchemy import Date, cast, delete, func, null, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import HelixCallRow, HelixFeatureRow, HelixPriceRow, HelixSettingRow


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET  # "leave as it is", where None means "clear"


# --- features


async def features(session: AsyncSession) -> Sequence[HelixFeatureRow]:
    return (await session.scalars(select(HelixFeatureRow).order_by(HelixFeatureRow.name))).all()


async def feature(session: AsyncSession, name: str) -> HelixFeatureRow | None:
    return await session.get(HelixFeatureRow, name)


async def upsert_feature(
    session: AsyncSession,
    name: str,
    *,
    enabled: bool | _Unset = UNSET,
    model: str | _Unset | None = UNSET,
    monthly_budget: Decimal | _Unset | None = UNSET,
) -> HelixFeatureRow:
    """Create the feature's row or change the given fields of it (`model`/`monthly_budget` None: back to
    the default model, no budget of its own)."""
    values: dict[str, Any] = {}
    if enabled is not UNSET:
        values["enabled"] = enabled
    if model is not UNSET:
        values["model"] = model
    if monthly_budget is not UNSET:
        values["monthly_budget"] = monthly_budget
    statement = insert(HelixFeatureRow).values(name=name, **values)
    upsert = statement.on_conflict_do_update(
        index_elements=[HelixFeatureRow.name], set_={**values, "updated_at": func.now()}
    ).returning(HelixFeatureRow)
    row: HelixFeatureRow = (
        await session.scalars(upsert, execution_options={"populate_existing": True})
    ).one()
    return row


# --- settings


async def settings(session: AsyncSession) -> dict[str, object]:
    rows = (await session.scalars(select(HelixSettingRow))).all()
    return {row.key: row.value for row in rows}


async def get_setting(session: AsyncSession, key: str, default: object = None) -> object:
    """The value under `key`; `default` only when there is no such setting (a stored JSON null is None)."""
    row = (await session.execute(select(HelixSettingRow.value).where(HelixSettingRow.key == key))).first()
    return default if row is None else row[0]


async def set_setting(session: AsyncSession, key: str, value: object) -> None:
    """Store `value` (anything JSON) under `key`, replacing what was there."""
    statement = insert(HelixSettingRow).values(key=key, value=value)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[HelixSettingRow.key],
            set_={"value": statement.excluded.value, "updated_at": func.now()},
        )
    )


async def delete_setting(session: AsyncSession, key: str) -> bool:
    result = await session.execute(delete(HelixSettingRow).where(HelixSettingRow.key == key))
    return bool(getattr(result, "rowcount", 0))


# --- prices


async def prices(session: AsyncSession) -> Sequence[HelixPriceRow]:
    return (await session.scalars(select(HelixPriceRow).order_by(HelixPriceRow.model))).all()


async def upsert_price(
    session: AsyncSession, model: str, input_per_mtok: Decimal, output_per_mtok: Decimal
) -> None:
    statement = insert(HelixPriceRow).values(
        model=model, input_per_mtok=input_per_mtok, output_per_mtok=output_per_mtok
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[HelixPriceRow.model],
            set_={
                "input_per_mtok": statement.excluded.input_per_mtok,
                "output_per_mtok": statement.excluded.output_per_mtok,
                "updated_at": func.now(),
            },
        )
    )


async def delete_price(session: AsyncSession, model: str) -> bool:
    result = await session.execute(delete(HelixPriceRow).where(HelixPriceRow.model == model))
    return bool(getattr(result, "rowcount", 0))


# --- calls and spend


async def record_call(
    session: AsyncSession,
    *,
    feature: str,
    user_id: int | None,
    provider: str,
    model: str,
    kind: str,
    input_tokens: int,
    output_tokens: int,
    cost: Decimal,
    latency_ms: int,
    outcome: str,
    error_code: str | None = None,
    prompt: object | None = None,
    response: str | None = None,
    at: datetime | None = None,
) -> int:
    """Insert the audit row of one call; its id. `at` defaults to the database's now."""
    row = HelixCallRow(
        feature=feature,
        user_id=user_id,
        provider=provider,
        model=model,
        kind=kind,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=cost,
        latency_ms=latency_ms,
        outcome=outcome,
        error_code=error_code,
        prompt=prompt if prompt is not None else null(),  # SQL NULL, not a JSON null: "not stored"
        response=response,
    )
    if at is not None:
        row.at = at
    session.add(row)
    await session.flush()
    return row.id


def month_start(moment: datetime | None = None) -> datetime:
    """The start (UTC) of the calendar month `moment` falls in (now when None)."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(start: datetime) -> datetime:
    return (start + timedelta(days=32)).replace(day=1)


async def spend_this_month(
    session: AsyncSession, *, feature: str | None = None, now: datetime | None = None
) -> Decimal:
    """The sum of the costs of this calendar month's calls (UTC), of one feature or of all."""
    start = month_start(now)
    query = select(func.coalesce(func.sum(HelixCallRow.cost), 0)).where(
        HelixCallRow.at >= start, HelixCallRow.at < next_month(start)
    )
    if feature is not None:
        query = query.where(HelixCallRow.feature == feature)
    return Decimal(await session.scalar(query) or 0)


@dataclass(frozen=True)
class DaySpend:
    day: date
    cost: Decimal
    calls: int


async def spend_by_day(session: AsyncSession, month: date, *, feature: str | None = None) -> list[DaySpend]:
    """Every day (UTC) of the calendar month containing `month`, in order, with its spend and number of
    calls; days without calls (those still to come included) are zero, so a forecast can take the list as
    it is."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = next_month(start)
    day = cast(func.timezone("UTC", HelixCallRow.at), Date)
    query = (
        select(day, func.sum(HelixCallRow.cost), func.count())
        .where(HelixCallRow.at >= start, HelixCallRow.at < end)
        .group_by(day)
    )
    if feature is not None:
        query = query.where(HelixCallRow.feature == feature)
    found = {row[0]: (Decimal(row[1]), int(row[2])) for row in (await session.execute(query)).all()}
    days = (end - start).days
    result = []
    for offset in range(days):
        current = (start + timedelta(days=offset)).date()
        cost, calls = found.get(current, (Decimal(0), 0))
        result.append(DaySpend(current, cost, calls))
    return result


async def calls_page(
    session: AsyncSession,
    *,
    before: tuple[datetime, int] | None = None,
    limit: int = 50,
    feature: str | None = None,
    user_id: int | None = None,
    outcome: str | None = None,
) -> Sequence[HelixCallRow]:
    """Newest first, keyset-paged on (at, id): pass the last row's (at, id) as `before` for the next page."""
    query = select(HelixCallRow).order_by(HelixCallRow.at.desc(), HelixCallRow.id.desc()).limit(limit)
    if before is not None:
        query = query.where(tuple_(HelixCallRow.at, HelixCallRow.id) < tuple_(*before))
    if feature is not None:
        query = query.where(HelixCallRow.feature == feature)
    if user_id is not None:
        query = query.where(HelixCallRow.user_id == user_id)
    if outcome is not None:
        query = query.where(HelixCallRow.outcome == outcome)
    return (await session.scalars(query)).all()
