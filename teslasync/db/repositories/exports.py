"""Datasets for exports, streamed: one statement per dataset (one snapshot of the database), read through a
server-side cursor a batch at a time, so that tens of millions of rows never sit in memory at once.

Every dataset yields batches of plain rows (asyncpg records: tuples by position), ordered by vehicle, then
time (then id, or field), whose columns its `*_COLUMNS` describe: the VIN first (vehicles are joined), then
the stored columns, times as integer microseconds since the epoch (UTC), JSON documents as their JSON text,
numerics as `Decimal`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    Double,
    Float,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from teslasync.db.models import Base, ChargingSessionRow, DriveRow, VehicleStateRow

BATCH = 50_000
LOCATION_FIELD = "Location"  # positions are its samples: {latitude, longitude} in `doc`


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    TIME = "time"  # timestamptz, as integer microseconds since the epoch
    JSON = "json"  # JSON text
    DECIMAL = "decimal"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    nullable: bool = True
    precision: int | None = None  # DECIMAL only
    scale: int | None = None


Row = Sequence[Any]  # one row, in the order of its dataset's columns


def _kind(column: ColumnElement[Any]) -> Kind:
    kinds: list[tuple[type[Any], Kind]] = [
        (JSONB, Kind.JSON),
        (DateTime, Kind.TIME),
        (Boolean, Kind.BOOLEAN),
        (Double, Kind.FLOAT),
        (Float, Kind.FLOAT),
        (Numeric, Kind.DECIMAL),
        (BigInteger, Kind.INTEGER),
        (Integer, Kind.INTEGER),
        (String, Kind.TEXT),
    ]
    # a decorated type (StoredJSON) is exported as the type it stores
    stored = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    for sql_type, kind in kinds:
        if isinstance(stored, sql_type):
            return kind
    raise TypeError(f"no export kind for column {column} of type {column.type}")


def _describe(column: Any) -> Column:
    kind = _kind(column)
    nullable = bool(column.nullable)
    if kind is Kind.DECIMAL:
        assert isinstance(column.type, Numeric)
        return Column(column.name, kind, nullable, column.type.precision, column.type.scale)
    return Column(column.name, kind, nullable)


def _columns_of(model: type[Base]) -> tuple[Column, ...]:
    stored = [_describe(column) for column in model.__table__.columns if column.name != "vehicle_id"]
    return (VIN, *stored)


VIN = Column("vin", Kind.TEXT, nullable=False)
SIGNAL_COLUMNS = (
    VIN,
    Column("field", Kind.TEXT, nullable=False),
    Column("ts", Kind.TIME, nullable=False),
    Column("num", Kind.FLOAT),
    Column("txt", Kind.TEXT),
    Column("doc", Kind.JSON),
    Column("approx", Kind.BOOLEAN, nullable=False),
)
POSITION_COLUMNS = (
    VIN,
    Column("ts", Kind.TIME, nullable=False),
    Column("latitude", Kind.FLOAT),
    Column("longitude", Kind.FLOAT),
)
DRIVE_COLUMNS = _columns_of(DriveRow)
CHARGING_SESSION_COLUMNS = _columns_of(ChargingSessionRow)
STATE_COLUMNS = _columns_of(VehicleStateRow)


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's, inside its transaction: rows straight from asyncpg
    cursors, without a SQLAlchemy row per row (a third of the time at these sizes)."""
    connection = await session.connection()
    await connection.exec_driver_sql("SELECT 1")  # the transaction begins with a first statement
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def _stream(
    session: AsyncSession, sql: str, *args: object, batch: int
) -> AsyncGenerator[list[Row], None]:
    """A server-side cursor fetched `batch` rows at a time."""
    driver = await _driver(session)
    cursor = await driver.cursor(sql, *args)
    while rows := await cursor.fetch(batch):
        yield rows


def _micros(column: str) -> str:
    """Times leave the database as microseconds since the epoch (exact: `extract` gives a numeric): an
    integer costs nothing to turn into a typed column, a datetime object per value does."""
    return f"(extract(epoch FROM {column}) * 1000000)::int8"


def _select_list(model: type[Base], alias: str) -> str:
    table = model.__table__
    items = []
    for column in table.columns:
        if column.name == "vehicle_id":
            continue
        name = f"{alias}.{column.name}"
        kind = _kind(column)
        items.append(_micros(name) if kind is Kind.TIME else f"{name}::text" if kind is Kind.JSON else name)
    return ", ".join(items)


async def signals(
    session: AsyncSession,
    vehicle_ids: Sequence[int],
    since: datetime,
    until: datetime,
    *,
    fields: Sequence[str] = (),
    exclude: Sequence[str] = (),
    batch: int = BATCH,
) -> AsyncGenerator[list[Row], None]:
    """Signals of the vehicles in [since, until) in (vehicle, ts, field) order: only `fields` when given,
    never those of `exclude`. Rows as `SIGNAL_COLUMNS`."""
    args: list[object] = [list(vehicle_ids), since, until]
    conditions = ["s.vehicle_id = ANY($1::bigint[])", "s.ts >= $2", "s.ts < $3"]
    if fields:
        args.append(list(fields))
        conditions.append(f"s.field = ANY(${len(args)}::text[])")
    if exclude:
        args.append(list(exclude))
        conditions.append(f"s.field <> ALL(${len(args)}::text[])")
    sql = (
        f"SELECT v.vin, s.field, {_micros('s.ts')}, s.num, s.txt, s.doc::text, s.approx "
        "FROM signals s JOIN vehicles v ON v.id = s.vehicle_id "
        f"WHERE {' AND '.join(conditions)} "
        'ORDER BY s.vehicle_id, s.ts, s.field COLLATE "C"'
    )
    async for rows in _stream(session, sql, *args, batch=batch):
        yield rows


async def positions(
    session: AsyncSession,
    vehicle_ids: Sequence[int],
    since: datetime,
    until: datetime,
    *,
    batch: int = BATCH,
) -> AsyncGenerator[list[Row], None]:
    """Every position (Location sample) of the vehicles in [since, until), in (vehicle, ts) order: the
    primary key's order within a field, so no sort. Rows as `POSITION_COLUMNS`."""
    sql = (
        f"SELECT v.vin, {_micros('s.ts')}, (s.doc->>'latitude')::float8, (s.doc->>'longitude')::float8 "
        "FROM signals s JOIN vehicles v ON v.id = s.vehicle_id "
        "WHERE s.vehicle_id = ANY($1::bigint[]) AND s.field = $4 AND s.ts >= $2 AND s.ts < $3 "
        "AND s.doc ? 'latitude' "
        "ORDER BY s.vehicle_id, s.ts"
    )
    async for rows in _stream(session, sql, list(vehicle_ids), since, until, LOCATION_FIELD, batch=batch):
        yield rows


async def _records(
    session: AsyncSession,
    model: type[DriveRow] | type[ChargingSessionRow] | type[VehicleStateRow],
    vehicle_ids: Sequence[int],
    since: datetime,
    until: datetime,
    batch: int,
) -> AsyncGenerator[list[Row], None]:
    sql = (
        f"SELECT v.vin, {_select_list(model, 'r')} "
        f"FROM {model.__tablename__} r JOIN vehicles v ON v.id = r.vehicle_id "
        "WHERE r.vehicle_id = ANY($1::bigint[]) AND r.started_at >= $2 AND r.started_at < $3 "
        "ORDER BY r.vehicle_id, r.started_at, r.id"
    )
    async for rows in _stream(session, sql, list(vehicle_ids), since, until, batch=batch):
        yield rows


async def drives(
    session: AsyncSession,
    vehicle_ids: Sequence[int],
    since: datetime,
    until: datetime,
    *,
    batch: int = BATCH,
) -> AsyncGenerator[list[Row], None]:
    """Drives started in [since, until), in (vehicle, started_at, id) order. Rows as `DRIVE_COLUMNS`."""
    async for rows in _records(session, DriveRow, vehicle_ids, since, until, batch):
        yield rows


async def charging_sessions(
    session: AsyncSession,
    vehicle_ids: Sequence[int],
    since: datetime,
    until: datetime,
    *,
    batch: int = BATCH,
) -> AsyncGenerator[list[Row], None]:
    """Charging sessions started in [since, until), in (vehicle, started_at, id) order. Rows as
    `CHARGING_SESSION_COLUMNS`."""
    async for rows in _records(session, ChargingSessionRow, vehicle_ids, since, until, batch):
        yield rows


async def states(
    session: AsyncSession,
    vehicle_ids: Sequence[int],
    since: datetime,
    until: datetime,
    *,
    batch: int = BATCH,
) -> AsyncGenerator[list[Row], None]:
    """State spans started in [since, until), in (vehicle, started_at, id) order. Rows as
    `STATE_COLUMNS`."""
    async for rows in _records(session, VehicleStateRow, vehicle_ids, since, until, batch):
        yield rows
