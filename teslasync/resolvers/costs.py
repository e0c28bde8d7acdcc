"""Geofences and tariffs: read them, change them (admin), and price the affected sessions again in the same
transaction, so a session's cost never reflects a tariff that no longer exists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from teslasync.analytics.costs import Tariff, TouWindow, validate_tariff
from teslasync.analytics.pricing import reprice, windows_json
from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.models import GeofenceRow, TariffRow
from teslasync.db.repositories import costs as repo
from teslasync.errors import require_scope

MAX_RADIUS_M = 100_000.0


@dataclass(frozen=True)
class Problem:
    """A refusal the client can act on: which input field, and why (`field` None: the whole input)."""

    field: str | None
    message: str
    not_found: bool = False


@dataclass
class Outcome:
    """What a mutation did: the row (None when refused or deleted), its problems, sessions priced again."""

    tariff: TariffRow | None = None
    geofence: GeofenceRow | None = None
    problems: list[Problem] = field(default_factory=list)
    repriced: int = 0


@dataclass(frozen=True)
class TariffInput:
    name: str
    currency: str
    timezone: str
    price_per_kwh: Decimal | None
    price_per_minute: Decimal | None
    session_fee: Decimal | None
    windows: tuple[TouWindow, ...]
    free_supercharging: bool


@dataclass(frozen=True)
class GeofenceInput:
    name: str
    latitude: float
    longitude: float
    radius_m: float
    tariff_id: int | None


async def tariffs(context: Context) -> Sequence[TariffRow]:
    require_scope(context.principal, Scope.READ)
    return await repo.tariffs(context.session)


async def geofences(context: Context) -> Sequence[GeofenceRow]:
    require_scope(context.principal, Scope.READ)
    return await repo.geofences(context.session)


async def geofence(context: Context, geofence_id: int) -> GeofenceRow | None:
    require_scope(context.principal, Scope.READ)
    return await context.loaders.geofence_by_id.load(geofence_id)


async def tariff(context: Context, tariff_id: int) -> TariffRow | None:
    require_scope(context.principal, Scope.READ)
    return await context.loaders.tariff_by_id.load(tariff_id)


def _tariff_problems(given: TariffInput) -> list[Problem]:
    problems = [] if given.name.strip() else [Problem("name", "name: must not be empty")]
    candidate = Tariff(
        0,
        given.name,
        given.currency,
        given.timezone,
        given.price_per_kwh,
        given.price_per_minute,
        given.session_fee,
        given.windows,
        given.free_supercharging,
    )
    for message in map(_camel, validate_tariff(candidate)):
        problems.append(Problem(message.split(":", 1)[0].split(" ", 1)[0], message))
    return problems


def _camel(message: str) -> str:
    """Field names as the GraphQL input spells them (price_per_kwh -> pricePerKwh)."""
    return re.sub(r"\b([a-z]+)((?:_[a-z]+)+)\b", lambda m: m[1] + m[2].title().replace("_", ""), message)


def _fill_tariff(row: TariffRow, given: TariffInput) -> None:
    row.name = given.name.strip()
    row.currency = given.currency
    row.timezone = given.timezone
    row.price_per_kwh = given.price_per_kwh
    row.price_per_minute = given.price_per_minute
    row.session_fee = given.session_fee
    row.windows = windows_json(given.windows)
    row.free_supercharging = given.free_supercharging


async def create_tariff(context: Context, given: TariffInput) -> Outcome:
    require_scope(context.principal, Scope.ADMIN)
    if problems := _tariff_problems(given):
        return Outcome(problems=problems)
    row = TariffRow()
    _fill_tariff(row, given)
    context.session.add(row)
    await context.session.flush()
    return Outcome(tariff=row)


async def update_tariff(context: Context, tariff_id: int | str, given: TariffInput) -> Outcome:
    """`tariff_id` a string: an id that names no row (as the client gave it)."""
    require_scope(context.principal, Scope.ADMIN)
    row = await repo.tariff(context.session, tariff_id) if isinstance(tariff_id, int) else None
    if row is None:
        return Outcome(problems=[Problem("id", f"no tariff {tariff_id}", not_found=True)])
    if problems := _tariff_problems(given):
        return Outcome(problems=problems)
    _fill_tariff(row, given)
    await context.session.flush()
    return Outcome(tariff=row, repriced=await reprice(context.session, row.id))


async def delete_tariff(context: Context, tariff_id: int | str) -> Outcome:
    require_scope(context.principal, Scope.ADMIN)
    if not isinstance(tariff_id, int) or not await repo.delete_tariff(context.session, tariff_id):
        return Outcome(problems=[Problem("id", f"no tariff {tariff_id}", not_found=True)])
    return Outcome(repriced=await reprice(context.session))


async def _geofence_problems(context: Context, given: GeofenceInput) -> list[Problem]:
    problems = []
    if not given.name.strip():
        problems.append(Problem("name", "name: must not be empty"))
    if not -90 <= given.latitude <= 90:
        problems.append(Problem("latitude", f"latitude: {given.latitude} is not between -90 and 90"))
    if not -180 <= given.longitude <= 180:
        problems.append(Problem("longitude", f"longitude: {given.longitude} is not between -180 and 180"))
    if not 0 < given.radius_m <= MAX_RADIUS_M:
        problems.append(
            Problem("radiusM", f"radiusM: {given.radius_m} is not above 0 and at most {MAX_RADIUS_M:.0f} m")
        )
    if given.tariff_id is not None and await repo.tariff(context.session, given.tariff_id) is None:
        problems.append(Problem("tariffId", f"tariffId: no tariff {given.tariff_id}", not_found=True))
    return problems


def _fill_geofence(row: GeofenceRow, given: GeofenceInput) -> None:
    row.name = given.name.strip()
    row.latitude = given.latitude
    row.longitude = given.longitude
    row.radius_m = given.radius_m
    row.tariff_id = given.tariff_id


async def create_geofence(context: Context, given: GeofenceInput) -> Outcome:
    require_scope(context.principal, Scope.ADMIN)
    if problems := await _geofence_problems(context, given):
        return Outcome(problems=problems)
    row = GeofenceRow()
    _fill_geofence(row, given)
    context.session.add(row)
    await context.session.flush()
    return Outcome(geofence=row, repriced=await reprice(context.session))


async def update_geofence(context: Context, geofence_id: int | str, given: GeofenceInput) -> Outcome:
    require_scope(context.principal, Scope.ADMIN)
    row = await repo.geofence(context.session, geofence_id) if isinstance(geofence_id, int) else None
    if row is None:
        return Outcome(problems=[Problem("id", f"no geofence {geofence_id}", not_found=True)])
    if problems := await _geofence_problems(context, given):
        return Outcome(problems=problems)
    _fill_geofence(row, given)
    await context.session.flush()
    return Outcome(geofence=row, repriced=await reprice(context.session))


async def delete_geofence(context: Context, geofence_id: int | str) -> Outcome:
    require_scope(context.principal, Scope.ADMIN)
    if not isinstance(geofence_id, int) or not await repo.delete_geofence(context.session, geofence_id):
        return Outcome(problems=[Problem("id", f"no geofence {geofence_id}", not_found=True)])
    return Outcome(repriced=await reprice(context.session))
