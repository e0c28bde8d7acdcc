"""Each charging session's geofence and cost, from the stored geofences and tariffs (see costs.py for the
rules). Derivation prices what it writes; changing a geofence or tariff prices again what it affects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.analytics.costs import (
    Cost,
    EnergyPoint,
    Geofence,
    Tariff,
    TouWindow,
    geofence_at,
    session_cost,
)
from teslasync.db.models import ChargingSessionRow, GeofenceRow, TariffRow
from teslasync.db.repositories import costs as repo
from teslasync.db.stored_json import parsed


@dataclass(frozen=True)
class Prices:
    geofences: tuple[Geofence, ...]
    tariffs: dict[int, Tariff]


def tidy(price: Decimal | None) -> Decimal | None:
    """A stored price without the column's trailing zeros, keeping cents: 0.30000 -> 0.30, 0.12345 kept."""
    if price is None:
        return None
    exact = price.normalize()
    return exact if exact.as_tuple().exponent < -2 else price.quantize(Decimal("0.01"))  # type: ignore[operator]


def tariff_of(row: TariffRow) -> Tariff:
    return Tariff(
        id=row.id,
        name=row.name,
        currency=row.currency,
        timezone=row.timezone,
        price_per_kwh=tidy(row.price_per_kwh),
        price_per_minute=tidy(row.price_per_minute),
        session_fee=tidy(row.session_fee),
        windows=windows_of(row.windows),
        free_supercharging=row.free_supercharging,
    )


def geofence_of(row: GeofenceRow) -> Geofence:
    return Geofence(row.id, row.name, row.latitude, row.longitude, row.radius_m, row.tariff_id)


def windows_of(stored: object) -> tuple[TouWindow, ...]:
    """Windows as stored: [{"weekdays": [0, ...], "start": "22:00", "end": "06:00", "pricePerKwh": "0.1",
    "pricePerMinute": null}, ...]"""
    if not isinstance(stored, list):
        return ()
    return tuple(
        TouWindow(
            weekdays=frozenset(int(day) for day in item["weekdays"]),
            start=time.fromisoformat(item["start"]),
            end=time.fromisoformat(item["end"]),
            price_per_kwh=Decimal(item["pricePerKwh"]),
            price_per_minute=Decimal(item["pricePerMinute"]) if item.get("pricePerMinute") else None,
        )
        for item in stored
    )


def windows_json(windows: Iterable[TouWindow]) -> list[dict[str, Any]]:
    return [
        {
            "weekdays": sorted(window.weekdays),
            "start": window.start.strftime("%H:%M"),
            "end": window.end.strftime("%H:%M"),
            "pricePerKwh": str(window.price_per_kwh),
            "pricePerMinute": str(window.price_per_minute) if window.price_per_minute is not None else None,
        }
        for window in windows
    ]


async def load_prices(session: AsyncSession) -> Prices:
    return Prices(
        tuple(geofence_of(row) for row in await repo.geofences(session)),
        {row.id: tariff_of(row) for row in await repo.tariffs(session)},
    )


def profile_of_curve(curve: object) -> tuple[EnergyPoint, ...]:
    """The session's cumulative energy from its charging-power samples ([ts, level, kW], trapezoids); the
    cost scales it to the session's measured energy, so only its shape matters."""
    curve_points = parsed(curve)
    if not isinstance(curve_points, list):
        return ()
    points = [(datetime.fromisoformat(ts), float(kw)) for ts, _level, kw in curve_points if kw is not None]
    if len(points) < 2:
        return ()
    profile, total = [EnergyPoint(points[0][0], 0.0)], 0.0
    for (t0, p0), (t1, p1) in pairwise(points):
        total += (p0 + p1) / 2 * (t1 - t0).total_seconds() / 3600
        profile.append(EnergyPoint(t1, total))
    return tuple(profile)


def billed_kwh(row: ChargingSessionRow) -> float | None:
    """What a meter bills: the larger of the energy at the battery and from the wall (as TeslaMate)."""
    known = [kwh for kwh in (row.energy_added_kwh, row.energy_from_wall_kwh) if kwh is not None]
    return max(known) if known else None


def cost_of(row: ChargingSessionRow, prices: Prices) -> tuple[Geofence | None, Cost | None]:
    position = (
        (row.latitude, row.longitude) if row.latitude is not None and row.longitude is not None else None
    )
    fence = geofence_at(prices.geofences, position)
    tariff = (
        prices.tariffs.get(fence.tariff_id) if fence is not None and fence.tariff_id is not None else None
    )
    if tariff is None:
        return fence, None
    cost = session_cost(
        tariff,
        started_at=row.started_at,
        ended_at=row.ended_at,
        energy_kwh=billed_kwh(row),
        profile=profile_of_curve(row.curve),
        charger_type=row.charger_type,
        fast_charger_type=row.fast_charger_type,
    )
    return fence, cost


def price(row: ChargingSessionRow, prices: Prices) -> None:
    fence, cost = cost_of(row, prices)
    row.geofence_id = fence.id if fence is not None else None
    row.cost_amount = cost.amount if cost is not None else None
    row.cost_currency = cost.currency if cost is not None else None
    row.cost_breakdown = breakdown_json(cost) if cost is not None else None


def breakdown_json(cost: Cost) -> list[dict[str, Any]]:
    def text(value: Decimal | None) -> str | None:
        return str(value) if value is not None else None

    return [
        {
            "label": part.label,
            "amount": text(part.amount),
            "kwh": text(part.kwh),
            "minutes": text(part.minutes),
            "unitPrice": text(part.unit_price),
            "note": part.note,
        }
        for part in cost.breakdown
    ]


async def price_rows(session: AsyncSession, rows: Sequence[ChargingSessionRow]) -> None:
    """Price sessions about to be written."""
    if rows:
        prices = await load_prices(session)
        for row in rows:
            price(row, prices)


async def reprice(session: AsyncSession, tariff_id: int | None = None) -> int:
    """Price stored sessions again: all, or those in a geofence priced by `tariff_id`. Returns how many."""
    prices, count = await load_prices(session), 0
    async for rows in repo.sessions_to_price(session, tariff_id):
        for row in rows:
            price(row, prices)
        count += len(rows)
        await session.flush()
    return count
