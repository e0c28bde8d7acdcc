"""Geofences, tariffs and what charging cost: types, inputs, queries and mutations. Mutations return their
refusals as data (`errors`), so a client can show each next to the field it concerns."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry

from teslasync.analytics.costs import TouWindow
from teslasync.analytics.pricing import tariff_of
from teslasync.db.models import GeofenceRow, TariffRow
from teslasync.resolvers import costs as resolvers
from teslasync.resolvers.users import Refusal
from teslasync.schema.context import Info


@strawberry.enum(description="A day of the week.")
class Weekday(Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@strawberry.type(description="A time-of-use window: its own prices on some weekdays between two times.")
class TouWindowType:
    weekdays: list[Weekday] = strawberry.field(description="The days the window starts on.")
    start: str = strawberry.field(description="Local start, HH:MM.")
    end: str = strawberry.field(
        description="Local end, HH:MM; not after the start: the window runs past midnight."
    )
    price_per_kwh: Decimal = strawberry.field(description="Price per kWh inside the window.")
    price_per_minute: Decimal | None = strawberry.field(description="Price per minute inside the window.")

    @classmethod
    def of(cls, window: TouWindow) -> TouWindowType:
        return cls(
            weekdays=[Weekday(day) for day in sorted(window.weekdays)],
            start=window.start.strftime("%H:%M"),
            end=window.end.strftime("%H:%M"),
            price_per_kwh=window.price_per_kwh,
            price_per_minute=window.price_per_minute,
        )


@strawberry.type(name="Tariff", description="How charging is priced where a geofence applies it.")
class TariffType:
    id: strawberry.ID = strawberry.field(description="The tariff's id.")
    name: str = strawberry.field(description="A name, e.g. 'Home (night rate)'.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")
    timezone: str = strawberry.field(description="IANA time zone of the windows' times.")
    price_per_kwh: Decimal | None = strawberry.field(description="Price per kWh outside every window.")
    price_per_minute: Decimal | None = strawberry.field(description="Price per minute outside every window.")
    session_fee: Decimal | None = strawberry.field(description="Paid once per session.")
    windows: list[TouWindowType] = strawberry.field(description="Time-of-use windows.")
    free_supercharging: bool = strawberry.field(description="Supercharging costs nothing (DC at Tesla).")

    @classmethod
    def from_row(cls, row: TariffRow) -> TariffType:
        tariff = tariff_of(row)
        return cls(
            id=strawberry.ID(str(tariff.id)),
            name=tariff.name,
            currency=tariff.currency,
            timezone=tariff.timezone,
            price_per_kwh=tariff.price_per_kwh,
            price_per_minute=tariff.price_per_minute,
            session_fee=tariff.session_fee,
            windows=[TouWindowType.of(window) for window in tariff.windows],
            free_supercharging=tariff.free_supercharging,
        )


@strawberry.type(name="Geofence", description="A named circle; a charge inside it is priced by its tariff.")
class GeofenceType:
    id: strawberry.ID = strawberry.field(description="The geofence's id.")
    name: str = strawberry.field(description="A name, e.g. 'Home'.")
    latitude: float = strawberry.field(description="Centre, degrees north.")
    longitude: float = strawberry.field(description="Centre, degrees east.")
    radius_m: float = strawberry.field(description="Radius, metres.")
    tariff_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: GeofenceRow) -> GeofenceType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            latitude=row.latitude,
            longitude=row.longitude,
            radius_m=row.radius_m,
            tariff_id=row.tariff_id,
        )

    @strawberry.field(description="The tariff charges here are priced by (null: not priced).")
    async def tariff(self, info: Info) -> TariffType | None:
        if self.tariff_id is None:
            return None
        row = await resolvers.tariff(info.context, self.tariff_id)
        return TariffType.from_row(row) if row is not None else None


@strawberry.type(description="One part of a cost: the session fee, energy in a window, time.")
class CostPart:
    label: str = strawberry.field(description="What this part is for, e.g. 'energy Mon-Fri 22:00-06:00'.")
    amount: Decimal | None = strawberry.field(description="Its amount; null when it has no price.")
    kwh: Decimal | None = strawberry.field(description="Energy priced in this part, kWh.")
    minutes: Decimal | None = strawberry.field(description="Time priced in this part, minutes.")
    unit_price: Decimal | None = strawberry.field(description="Price per kWh or per minute.")
    note: str | None = strawberry.field(description="Why, where it needs saying.")


@strawberry.type(description="What a charging session cost, and how the amount was made.")
class Money:
    amount: Decimal | None = strawberry.field(
        description="The total; null when part of it has no price (unknown is not free)."
    )
    currency: str = strawberry.field(description="ISO 4217 code.")
    breakdown: list[CostPart] = strawberry.field(description="The parts that add up to the amount.")

    @classmethod
    def from_stored(cls, amount: Decimal | None, currency: str, breakdown: object) -> Money:
        parts: list[Any] = breakdown if isinstance(breakdown, list) else []

        def number(value: object) -> Decimal | None:
            return Decimal(str(value)) if value is not None else None

        return cls(
            amount=amount,
            currency=currency,
            breakdown=[
                CostPart(
                    label=part["label"],
                    amount=number(part.get("amount")),
                    kwh=number(part.get("kwh")),
                    minutes=number(part.get("minutes")),
                    unit_price=number(part.get("unitPrice")),
                    note=part.get("note"),
                )
                for part in parts
            ],
        )


@strawberry.input(description="A time-of-use window.")
class TouWindowInput:
    weekdays: list[Weekday] = strawberry.field(description="The days the window starts on.")
    start: str = strawberry.field(description="Local start, HH:MM.")
    end: str = strawberry.field(description="Local end, HH:MM (not after the start: past midnight).")
    price_per_kwh: Decimal = strawberry.field(description="Price per kWh inside the window.")
    price_per_minute: Decimal | None = strawberry.field(
        default=None, description="Price per minute inside the window."
    )


@strawberry.input(description="A tariff, whole (an update replaces every field).")
class TariffInput:
    name: str = strawberry.field(description="A name.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")
    timezone: str = strawberry.field(description="IANA time zone of the windows, e.g. Europe/Berlin.")
    price_per_kwh: Decimal | None = strawberry.field(default=None, description="Base price per kWh.")
    price_per_minute: Decimal | None = strawberry.field(default=None, description="Base price per minute.")
    session_fee: Decimal | None = strawberry.field(default=None, description="Paid once per session.")
    windows: list[TouWindowInput] = strawberry.field(default_factory=list, description="Time-of-use windows.")
    free_supercharging: bool = strawberry.field(default=False, description="Supercharging is free.")


@strawberry.input(description="A geofence, whole (an update replaces every field).")
class GeofenceInput:
    name: str = strawberry.field(description="A name.")
    latitude: float = strawberry.field(description="Centre, degrees north (-90..90).")
    longitude: float = strawberry.field(description="Centre, degrees east (-180..180).")
    radius_m: float = strawberry.field(description="Radius, metres (up to 100 km).")
    tariff_id: strawberry.ID | None = strawberry.field(
        default=None, description="The tariff of charges inside it."
    )


@strawberry.type(description="An input field was refused.")
class InvalidInput:
    field: str | None = strawberry.field(description="The input field, e.g. 'windows[1]'; null: the whole.")
    message: str = strawberry.field(description="Why, naming the field.")


@strawberry.type(description="Something the mutation names does not exist.")
class NotFoundProblem:
    field: str | None = strawberry.field(description="The input field that names it.")
    message: str = strawberry.field(description="What was not found.")


MutationProblem = Annotated[
    InvalidInput | NotFoundProblem,
    strawberry.union("MutationProblem", description="Why a mutation did nothing."),
]


def refusal_problem(refusal: Refusal) -> MutationProblem:
    """A resolver's refusal as the schema says it: a missing thing, or a refused input field."""
    if refusal.not_found:
        return NotFoundProblem(field=refusal.field, message=refusal.message)
    return InvalidInput(field=refusal.field, message=refusal.message)


@strawberry.type(description="The result of changing a tariff.")
class TariffPayload:
    tariff: TariffType | None = strawberry.field(description="The tariff as stored; null if refused or gone.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when the change was made.")
    repriced_sessions: int = strawberry.field(description="Charging sessions priced again.")


@strawberry.type(description="The result of changing a geofence.")
class GeofencePayload:
    geofence: GeofenceType | None = strawberry.field(
        description="The geofence as stored; null if refused or gone."
    )
    errors: list[MutationProblem] = strawberry.field(description="Empty when the change was made.")
    repriced_sessions: int = strawberry.field(description="Charging sessions priced again.")


def _problems(outcome: resolvers.Outcome) -> list[MutationProblem]:
    return [
        NotFoundProblem(field=p.field, message=p.message)
        if p.not_found
        else InvalidInput(field=p.field, message=p.message)
        for p in outcome.problems
    ]


def _tariff_payload(outcome: resolvers.Outcome) -> TariffPayload:
    tariff = TariffType.from_row(outcome.tariff) if outcome.tariff is not None else None
    return TariffPayload(tariff=tariff, errors=_problems(outcome), repriced_sessions=outcome.repriced)


def _geofence_payload(outcome: resolvers.Outcome) -> GeofencePayload:
    fence = GeofenceType.from_row(outcome.geofence) if outcome.geofence is not None else None
    return GeofencePayload(geofence=fence, errors=_problems(outcome), repriced_sessions=outcome.repriced)


def _clock(text: str, where: str) -> time | InvalidInput:
    try:
        return time.fromisoformat(text)
    except ValueError:
        return InvalidInput(field=where, message=f"{where}: {text!r} is not a time of day (HH:MM)")


def _tariff_input(given: TariffInput) -> resolvers.TariffInput | list[MutationProblem]:
    windows: list[TouWindow] = []
    problems: list[MutationProblem] = []
    for i, window in enumerate(given.windows):
        start, end = _clock(window.start, f"windows[{i}].start"), _clock(window.end, f"windows[{i}].end")
        if isinstance(start, InvalidInput) or isinstance(end, InvalidInput):
            problems += [clock for clock in (start, end) if isinstance(clock, InvalidInput)]
            continue
        windows.append(
            TouWindow(
                frozenset(day.value for day in window.weekdays),
                start,
                end,
                window.price_per_kwh,
                window.price_per_minute,
            )
        )
    if problems:
        return problems
    return resolvers.TariffInput(
        given.name,
        given.currency,
        given.timezone,
        given.price_per_kwh,
        given.price_per_minute,
        given.session_fee,
        tuple(windows),
        given.free_supercharging,
    )


def _geofence_input(given: GeofenceInput) -> resolvers.GeofenceInput | list[MutationProblem]:
    tariff_id: int | None = None
    if given.tariff_id is not None:
        tariff_id = _id(given.tariff_id)
        if tariff_id is None:
            return [NotFoundProblem(field="tariffId", message=f"tariffId: no tariff {given.tariff_id}")]
    return resolvers.GeofenceInput(given.name, given.latitude, given.longitude, given.radius_m, tariff_id)


ROW_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only ("²".isdigit() is true), within a bigint


def _id(value: strawberry.ID) -> int | None:
    """An id this API gave out, or None: anything else names no row."""
    return int(value) if ROW_ID.fullmatch(str(value)) else None


def _row(value: strawberry.ID) -> int | str:
    """The row an id names, or the id as given: a resolver says it names no row, in the client's words."""
    row_id = _id(value)
    return row_id if row_id is not None else str(value)


@strawberry.type
class CostQueries:
    @strawberry.field(description="Every tariff.")
    async def tariffs(self, info: Info) -> list[TariffType]:
        return [TariffType.from_row(row) for row in await resolvers.tariffs(info.context)]

    @strawberry.field(description="Every geofence.")
    async def geofences(self, info: Info) -> list[GeofenceType]:
        return [GeofenceType.from_row(row) for row in await resolvers.geofences(info.context)]


@strawberry.type
class CostMutations:
    @strawberry.mutation(description="Add a tariff (admin).")
    async def create_tariff(self, info: Info, input: TariffInput) -> TariffPayload:
        given = _tariff_input(input)
        if isinstance(given, list):
            return TariffPayload(tariff=None, errors=given, repriced_sessions=0)
        return _tariff_payload(await resolvers.create_tariff(info.context, given))

    @strawberry.mutation(description="Replace a tariff; the sessions it prices are priced again (admin).")
    async def update_tariff(self, info: Info, id: strawberry.ID, input: TariffInput) -> TariffPayload:
        given = _tariff_input(input)
        if isinstance(given, list):
            return TariffPayload(tariff=None, errors=given, repriced_sessions=0)
        return _tariff_payload(await resolvers.update_tariff(info.context, _row(id), given))

    @strawberry.mutation(description="Delete a tariff; its geofences keep no tariff (admin).")
    async def delete_tariff(self, info: Info, id: strawberry.ID) -> TariffPayload:
        return _tariff_payload(await resolvers.delete_tariff(info.context, _row(id)))

    @strawberry.mutation(description="Add a geofence; sessions inside it are priced again (admin).")
    async def create_geofence(self, info: Info, input: GeofenceInput) -> GeofencePayload:
        given = _geofence_input(input)
        if isinstance(given, list):
            return GeofencePayload(geofence=None, errors=given, repriced_sessions=0)
        return _geofence_payload(await resolvers.create_geofence(info.context, given))

    @strawberry.mutation(description="Replace a geofence; sessions are priced again (admin).")
    async def update_geofence(self, info: Info, id: strawberry.ID, input: GeofenceInput) -> GeofencePayload:
        given = _geofence_input(input)
        if isinstance(given, list):
            return GeofencePayload(geofence=None, errors=given, repriced_sessions=0)
        return _geofence_payload(await resolvers.update_geofence(info.context, _row(id), given))

    @strawberry.mutation(description="Delete a geofence; sessions are priced again (admin).")
    async def delete_geofence(self, info: Info, id: strawberry.ID) -> GeofencePayload:
        return _geofence_payload(await resolvers.delete_geofence(info.context, _row(id)))
