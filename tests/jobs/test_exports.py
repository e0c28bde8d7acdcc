"""Exports: a million signal rows read back equal in every format, redacted; every dataset exports; the time
range, vehicle and field filters; location and address redaction; step-up; typed Parquet; partial files."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, make_engine
from teslasync.db.models import ChargingSessionRow, DriveRow, VehicleStateRow
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.jobs.exports import (
    Dataset,
    ExportResult,
    ExportSpec,
    Format,
    Redaction,
    masked_vin,
    partial_path,
    schema_of,
    write_export,
)
from tests.conftest import TEMPLATE_DATABASE, create_database

VINS = ("5YJ3E7EB2NF000001", "5YJ3E7EB2NF000002")
MASKED = ("5YJ3***********01", "5YJ3***********02")
MONTH = date(2026, 3, 1)
BASE = datetime(2026, 3, 1, tzinfo=UTC)
SIGNAL_COLUMNS = ["vehicle_id", "field", "ts", "num", "txt", "doc", "approx"]
TIMESTAMP = pa.timestamp("us", tz="UTC")
# text that CSV and JSON must escape, an empty string (not a null), and more than ASCII
TRICKY = ['Tesla "Blue", mine', "line one\nline two", "", "Grüße, 東京 ✓", "back\\slash\ttab"]


# --- loading and reading back ------------------------------------------------------------------------------


async def prepare(db: Database) -> list[int]:
    """The two vehicles, and the month's signal partition."""
    async with db.transaction() as session:
        await session.execute(text("SELECT teslasync_ensure_signal_partition(:month)"), {"month": MONTH})
        return [(await ensure_vehicle(session, vin)).id for vin in VINS]


async def copy_signals(db: Database, records: list[tuple[Any, ...]]) -> None:
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table("signals", records=records, columns=SIGNAL_COLUMNS)


def read_back(path: Path, fmt: Format, schema: pa.Schema) -> dict[str, list[Any]]:
    """An export's columns as Python values, the same whatever the format: times as aware datetimes, JSON
    documents parsed, decimals as Decimal."""
    json_columns = {"doc", "track", "curve", "cost_breakdown"}
    if fmt is Format.JSONL:
        columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                assert list(row) == schema.names
                for name, value in row.items():
                    columns[name].append(value)
        for f in schema:
            if f.type == TIMESTAMP:
                columns[f.name] = [None if v is None else datetime.fromisoformat(v) for v in columns[f.name]]
            if pa.types.is_decimal(f.type):
                columns[f.name] = [None if v is None else Decimal(str(v)) for v in columns[f.name]]
        return columns
    if fmt is Format.PARQUET:
        table = pq.read_table(path)
        assert table.schema == schema  # typed as `schema_of` says, nullability included
    else:
        header = path.open(encoding="utf-8").readline().strip()
        assert header == ",".join(f'"{name}"' for name in schema.names)
        table = pa_csv.read_csv(
            path,
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={f.name: f.type for f in schema},
                strings_can_be_null=True,  # an empty field is a null, a quoted empty one an empty string
                quoted_strings_can_be_null=False,
            ),
        )
        assert table.schema.names == schema.names
    columns = {name: table.column(name).to_pylist() for name in table.schema.names}
    for name in json_columns & columns.keys():
        columns[name] = [None if v is None else json.loads(v) for v in columns[name]]
    return columns


def rows_of(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


# --- a million signal rows ---------------------------------------------------------------------------------

STEPS = 100_000  # per vehicle: 5 rows a step are exported, 2 x 100,000 x 5 = 1,000,000
DROPPED_EVERY = 100  # an address and a route every 100 steps, which the default redaction drops


@dataclass
class Million:
    db: Database
    vehicle_ids: list[int]
    expected: dict[str, list[Any]] = field(default_factory=dict)  # columns, in export order
    loaded: int = 0


def million_steps(vehicle_id: int, rng: random.Random) -> Iterator[tuple[list[tuple[Any, ...]], int]]:
    """Per step: the rows to COPY, and how many of them (the first) the default redaction keeps."""
    for step in range(STEPS):
        ts = BASE + timedelta(seconds=step, microseconds=(step * 7919) % 1_000_000)
        lat, lon = 52.5 + rng.uniform(-0.5, 0.5), 13.4 + rng.uniform(-0.5, 0.5)
        rows: list[tuple[Any, ...]] = [
            (vehicle_id, "BatteryLevel", ts, rng.uniform(0, 100), None, None, step % 7 == 0),
            (vehicle_id, "Location", ts, None, None, json.dumps({"latitude": lat, "longitude": lon}), False),
            (vehicle_id, "Odometer", ts, 10_000 + step * 0.0123456789, None, None, False),
            (vehicle_id, "VehicleSpeed", ts, rng.uniform(0, 250), None, None, False),
        ]
        match step % 3:
            case 0:
                rows.append((vehicle_id, "Gear", ts, None, rng.choice(["P", "D", "R", "N"]), None, False))
            case 1:
                doors = {"DriverFront": rng.random() < 0.5, "TrunkRear": step % 2 == 0}
                rows.append((vehicle_id, "DoorState", ts, None, None, json.dumps(doors), False))
            case _:
                rows.append((vehicle_id, "VehicleName", ts, None, TRICKY[step % len(TRICKY)], None, False))
        kept = len(rows)
        if step % DROPPED_EVERY == 0:
            rows.append((vehicle_id, "DestinationName", ts, None, "Unter den Linden 1, Berlin", None, False))
            rows.append((vehicle_id, "RouteLine", ts, None, "Y2FmZWJhYmU=", None, False))
        yield rows, kept


def expect(million: Million, masked: str, row: tuple[Any, ...]) -> None:
    """The row as the default redaction exports it, computed here on its own."""
    _, name, ts, num, txt, doc, approx = row
    if doc is not None:
        doc = json.loads(doc)
        if name == "Location":
            doc = {"latitude": round(doc["latitude"], 3), "longitude": round(doc["longitude"], 3)}
    for column, value in zip(
        ("vin", "field", "ts", "num", "txt", "doc", "approx"),
        (masked, name, ts, num, txt, doc, approx),
        strict=True,
    ):
        million.expected[column].append(value)


@pytest.fixture(scope="module")
async def million(postgres: EmbeddedPostgres, template_url: str) -> AsyncIterator[Million]:
    """A database of its own with 1,004,000 signal rows of two vehicles, loaded once for the module."""
    url = await create_database(postgres, "teslasync_exports_million", template=TEMPLATE_DATABASE)
    db = Database.from_engine(make_engine(url))
    try:
        data = Million(db, await prepare(db))
        data.expected = {name: [] for name in ("vin", "field", "ts", "num", "txt", "doc", "approx")}
        rng = random.Random(11)
        for vehicle_id, masked in zip(data.vehicle_ids, MASKED, strict=True):
            chunk: list[tuple[Any, ...]] = []
            for rows, kept in million_steps(vehicle_id, rng):
                chunk += rows
                for row in sorted(rows[:kept], key=lambda r: r[1]):  # export order: (vehicle, ts, field)
                    expect(data, masked, row)
                if len(chunk) >= 100_000:
                    await copy_signals(db, chunk)
                    data.loaded += len(chunk)
                    chunk = []
            await copy_signals(db, chunk)
            data.loaded += len(chunk)
        async with db.engine.connect() as connection:
            await connection.execute(text("ANALYZE signals"))
            await connection.commit()
        yield data
    finally:
        await db.dispose()


@pytest.mark.parametrize("fmt", list(Format))
async def test_a_million_signal_rows_read_back_equal(million: Million, fmt: Format, tmp_path: Path) -> None:
    assert million.loaded == 1_004_000
    spec = ExportSpec(Dataset.SIGNALS, fmt, tuple(million.vehicle_ids), BASE, BASE + timedelta(days=2))
    seen: list[int] = []
    result = await write_export(million.db, spec, tmp_path / f"signals{fmt.suffix}", seen.append)
    assert result.rows == 1_000_000 and result.path.stat().st_size == result.bytes
    assert seen == sorted(seen) and seen[-1] == 1_000_000 and len(seen) == 20  # batches of 50,000
    assert not partial_path(result.path).exists()

    columns = read_back(result.path, fmt, schema_of(Dataset.SIGNALS, Redaction()))
    assert list(columns) == list(million.expected)
    for name, expected in million.expected.items():
        assert columns[name] == expected, name  # row for row, in (vehicle, ts, field) order
    if fmt is Format.PARQUET:
        assert pq.ParquetFile(result.path).metadata.num_row_groups == 4  # written 250,000 rows at a time
    if fmt is Format.CSV:
        with result.path.open(encoding="utf-8") as lines:
            next(lines)
            assert next(lines).startswith(f'"{MASKED[0]}","BatteryLevel","2026-03-01T00:00:00.000000Z",')


# --- every dataset -----------------------------------------------------------------------------------------

T0 = BASE + timedelta(hours=8)
TRACK = [
    [T0.isoformat(), 52.5200081, 13.4049543],
    [(T0 + timedelta(minutes=1)).isoformat(), 52.5212349, 13.4123456],
]


async def small_fleet(db: Database) -> list[int]:
    """Two vehicles: signals of every kind over an hour, a drive, a charge and a state span each."""
    ids = await prepare(db)
    records: list[tuple[Any, ...]] = []
    for n, vehicle_id in enumerate(ids):
        for minute in range(6):
            ts = T0 + timedelta(minutes=10 * minute)
            location = {"latitude": 52.5200081 + n, "longitude": 13.4049543 - minute / 1000}
            records += [
                (vehicle_id, "VehicleSpeed", ts, 50.25 + minute, None, None, False),
                (vehicle_id, "Location", ts, None, None, json.dumps(location), False),
                (vehicle_id, "DestinationLocation", ts, None, None, json.dumps(location), False),
                (vehicle_id, "DestinationName", ts, None, "Alexanderplatz 1, Berlin", None, False),
                (vehicle_id, "RouteLine", ts, None, "Y2FmZWJhYmU=", None, False),
            ]
    await copy_signals(db, records)
    async with db.transaction() as session:
        for n, vehicle_id in enumerate(ids):
            started = T0 + timedelta(days=n)
            session.add_all(
                [
                    DriveRow(
                        vehicle_id=vehicle_id,
                        started_at=started,
                        ended_at=started + timedelta(minutes=1),
                        closed_by="park",
                        latitude=52.5200081,
                        longitude=13.4049543,
                        end_latitude=52.5212349,
                        end_longitude=13.4123456,
                        distance_km=0.62,
                        max_speed_kmh=48.5,
                        track=TRACK,
                    ),
                    ChargingSessionRow(
                        vehicle_id=vehicle_id,
                        started_at=started + timedelta(hours=1),
                        ended_at=None,
                        charger_type="DC",
                        energy_added_kwh=36.26,
                        latitude=52.4999999,
                        longitude=13.3999999,
                        curve=[[started.isoformat(), 20.0, 150.5]],
                        cost_amount=Decimal("12.34"),
                        cost_currency="EUR",
                        cost_breakdown=[{"label": "base", "amount": "12.34"}],
                    ),
                    VehicleStateRow(
                        vehicle_id=vehicle_id, started_at=started, ended_at=None, state="driving"
                    ),
                ]
            )
    return ids


def spec(dataset: Dataset, fmt: Format, ids: list[int], **options: Any) -> ExportSpec:
    return ExportSpec(dataset, fmt, tuple(ids), BASE, BASE + timedelta(days=7), **options)


async def export(db: Database, tmp_path: Path, export_spec: ExportSpec) -> list[dict[str, Any]]:
    path = tmp_path / f"{export_spec.dataset}{export_spec.format.suffix}"
    result = await write_export(db, export_spec, path)
    rows = rows_of(read_back(path, export_spec.format, schema_of(export_spec.dataset, export_spec.redaction)))
    assert result.rows == len(rows)
    return rows


@pytest.mark.parametrize("fmt", list(Format))
async def test_every_dataset_exports_redacted(fresh_db: Database, tmp_path: Path, fmt: Format) -> None:
    ids = await small_fleet(fresh_db)

    drives = await export(fresh_db, tmp_path, spec(Dataset.DRIVES, fmt, ids))
    assert [d["vin"] for d in drives] == list(MASKED)
    first = drives[0]
    assert (
        isinstance(first["id"], int)
        and first["started_at"] == T0
        and first["ended_at"] == T0 + timedelta(minutes=1)
    )
    assert (first["latitude"], first["longitude"]) == (52.52, 13.405)
    assert (first["end_latitude"], first["end_longitude"]) == (52.521, 13.412)
    assert first["track"] == [[TRACK[0][0], 52.52, 13.405], [TRACK[1][0], 52.521, 13.412]]
    assert (first["distance_km"], first["max_speed_kmh"], first["closed_by"]) == (0.62, 48.5, "park")
    assert first["start_odometer_km"] is None

    charges = await export(fresh_db, tmp_path, spec(Dataset.CHARGING_SESSIONS, fmt, ids))
    assert len(charges) == 2
    charge = charges[0]
    assert charge["cost_amount"] == Decimal("12.34") and charge["cost_currency"] == "EUR"
    assert (charge["latitude"], charge["longitude"]) == (52.5, 13.4)
    assert charge["ended_at"] is None and charge["geofence_id"] is None
    assert charge["curve"] == [[T0.isoformat(), 20.0, 150.5]]
    assert charge["cost_breakdown"] == [{"label": "base", "amount": "12.34"}]

    states = await export(fresh_db, tmp_path, spec(Dataset.STATES, fmt, ids))
    assert [(s["vin"], s["started_at"], s["state"]) for s in states] == [
        (MASKED[0], T0, "driving"),
        (MASKED[1], T0 + timedelta(days=1), "driving"),
    ]

    positions = await export(fresh_db, tmp_path, spec(Dataset.POSITIONS, fmt, ids))
    assert len(positions) == 12
    assert positions[0] == {"vin": MASKED[0], "ts": T0, "latitude": 52.52, "longitude": 13.405}
    assert positions[-1] == {
        "vin": MASKED[1],
        "ts": T0 + timedelta(minutes=50),
        "latitude": 53.52,
        "longitude": 13.4,
    }

    signals = await export(fresh_db, tmp_path, spec(Dataset.SIGNALS, fmt, ids))
    # addresses dropped, the route (which cannot be rounded) too; every location field rounded
    assert {s["field"] for s in signals} == {"VehicleSpeed", "Location", "DestinationLocation"}
    assert len(signals) == 36
    located = [s for s in signals if s["field"] in ("Location", "DestinationLocation")]
    assert len(located) == 24
    assert all(round(value, 3) == value for s in located for value in s["doc"].values())
    assert located[0]["doc"] == {"latitude": 52.52, "longitude": 13.405}


async def test_time_range_vehicles_and_fields_filter(fresh_db: Database, tmp_path: Path) -> None:
    ids = await small_fleet(fresh_db)
    window = ExportSpec(
        Dataset.SIGNALS,
        Format.JSONL,
        (ids[1],),
        T0 + timedelta(minutes=10),
        T0 + timedelta(minutes=30),  # [since, until): minutes 10 and 20
        fields=("VehicleSpeed", "Location"),
    )
    rows = await export(fresh_db, tmp_path, window)
    assert [(r["vin"], r["ts"], r["field"]) for r in rows] == [
        (MASKED[1], T0 + timedelta(minutes=10), "Location"),
        (MASKED[1], T0 + timedelta(minutes=10), "VehicleSpeed"),
        (MASKED[1], T0 + timedelta(minutes=20), "Location"),
        (MASKED[1], T0 + timedelta(minutes=20), "VehicleSpeed"),
    ]
    # records by their start: the second vehicle's drive starts a day later
    drives = ExportSpec(Dataset.DRIVES, Format.PARQUET, tuple(ids), T0, T0 + timedelta(hours=1))
    assert [d["vin"] for d in await export(fresh_db, tmp_path, drives)] == [MASKED[0]]
    nobody = ExportSpec(Dataset.DRIVES, Format.CSV, (ids[1] + 100,), BASE, BASE + timedelta(days=7))
    assert await export(fresh_db, tmp_path, nobody) == []
    assert (tmp_path / "drives.csv").read_text().strip() == ",".join(
        f'"{name}"' for name in schema_of(Dataset.DRIVES, Redaction()).names
    )


async def test_dropped_locations_leave_no_trace(fresh_db: Database, tmp_path: Path) -> None:
    ids = await small_fleet(fresh_db)
    dropped = Redaction(drop_locations=True)
    signals = await export(fresh_db, tmp_path, spec(Dataset.SIGNALS, Format.CSV, ids, redaction=dropped))
    assert {s["field"] for s in signals} == {"VehicleSpeed"}

    drives = await export(fresh_db, tmp_path, spec(Dataset.DRIVES, Format.JSONL, ids, redaction=dropped))
    assert (
        drives and not {"latitude", "longitude", "end_latitude", "end_longitude", "track"} & drives[0].keys()
    )
    charges = await export(
        fresh_db, tmp_path, spec(Dataset.CHARGING_SESSIONS, Format.PARQUET, ids, redaction=dropped)
    )
    assert charges and not {"latitude", "longitude"} & charges[0].keys()
    with pytest.raises(ValueError, match="nothing left to export"):
        spec(Dataset.POSITIONS, Format.CSV, ids, redaction=dropped)
    with pytest.raises(ValueError, match="nothing left to export"):
        schema_of(Dataset.POSITIONS, dropped)


async def test_exact_locations_and_addresses_need_step_up(fresh_db: Database, tmp_path: Path) -> None:
    assert not Redaction().raw_locations
    assert Redaction(location_decimals=None).raw_locations
    assert Redaction(location_decimals=5).raw_locations  # ~1 m is as good as exact
    assert not Redaction(location_decimals=None, drop_locations=True).raw_locations

    exact = Redaction(location_decimals=None, drop_addresses=False, mask_vin=False)
    assert spec(Dataset.DRIVES, Format.CSV, [1], redaction=exact).needs_step_up
    assert spec(Dataset.POSITIONS, Format.CSV, [1], redaction=exact).needs_step_up
    assert not spec(Dataset.STATES, Format.CSV, [1], redaction=exact).needs_step_up
    assert not spec(Dataset.DRIVES, Format.CSV, [1]).needs_step_up
    assert not spec(Dataset.SIGNALS, Format.CSV, [1]).needs_step_up
    assert not spec(Dataset.SIGNALS, Format.CSV, [1], fields=("VehicleSpeed",), redaction=exact).needs_step_up
    assert spec(Dataset.SIGNALS, Format.CSV, [1], fields=("Location",), redaction=exact).needs_step_up
    addresses = Redaction(drop_addresses=False)
    assert spec(Dataset.SIGNALS, Format.CSV, [1], redaction=addresses).needs_step_up
    assert not spec(Dataset.SIGNALS, Format.CSV, [1], fields=("Odometer",), redaction=addresses).needs_step_up

    ids = await small_fleet(fresh_db)
    signals = await export(fresh_db, tmp_path, spec(Dataset.SIGNALS, Format.PARQUET, ids, redaction=exact))
    assert {s["vin"] for s in signals} == set(VINS)
    assert {s["field"] for s in signals} == {
        "VehicleSpeed",
        "Location",
        "DestinationLocation",
        "DestinationName",
        "RouteLine",
    }
    first = next(s for s in signals if s["field"] == "Location")
    assert first["doc"] == {"latitude": 52.5200081, "longitude": 13.4049543}
    drives = await export(fresh_db, tmp_path, spec(Dataset.DRIVES, Format.CSV, ids, redaction=exact))
    assert drives[0]["track"] == TRACK and drives[0]["latitude"] == 52.5200081


def test_vins_are_masked_but_for_maker_model_and_the_last_two() -> None:
    assert masked_vin("5YJ3E7EB2NF000001") == "5YJ3***********01"
    assert masked_vin("LRW3E7") == "******"


def test_specs_are_checked() -> None:
    with pytest.raises(ValueError, match="aware"):
        ExportSpec(Dataset.SIGNALS, Format.CSV, (1,), datetime(2026, 3, 1), datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="before"):
        ExportSpec(Dataset.SIGNALS, Format.CSV, (1,), BASE, BASE)
    with pytest.raises(ValueError, match="no vehicles"):
        ExportSpec(Dataset.SIGNALS, Format.CSV, (), BASE, BASE + timedelta(days=1))
    with pytest.raises(ValueError, match="signals dataset only"):
        spec(Dataset.DRIVES, Format.CSV, [1], fields=("Odometer",))
    with pytest.raises(ValueError, match="drops every field"):
        spec(Dataset.SIGNALS, Format.CSV, [1], fields=("DestinationName",))
    with pytest.raises(ValueError, match="location_decimals"):
        Redaction(location_decimals=-1)


def test_parquet_columns_are_typed() -> None:
    signals = schema_of(Dataset.SIGNALS, Redaction())
    assert [(f.name, f.type, f.nullable) for f in signals] == [
        ("vin", pa.string(), False),
        ("field", pa.string(), False),
        ("ts", TIMESTAMP, False),
        ("num", pa.float64(), True),
        ("txt", pa.string(), True),
        ("doc", pa.string(), True),
        ("approx", pa.bool_(), False),
    ]
    drives = schema_of(Dataset.DRIVES, Redaction())
    assert drives.field("id").type == pa.int64() and drives.field("started_at").type == TIMESTAMP
    assert drives.field("distance_km").type == pa.float64() and drives.field("track").type == pa.string()
    charges = schema_of(Dataset.CHARGING_SESSIONS, Redaction())
    assert charges.field("cost_amount").type == pa.decimal128(14, 2)
    assert charges.field("geofence_id").type == pa.int64()
    assert schema_of(Dataset.POSITIONS, Redaction()).names == ["vin", "ts", "latitude", "longitude"]
    assert schema_of(Dataset.STATES, Redaction()).names == ["vin", "id", "started_at", "ended_at", "state"]


@pytest.mark.parametrize("fmt", list(Format))
async def test_a_failed_export_leaves_the_old_file_and_no_partial(
    fresh_db: Database, tmp_path: Path, fmt: Format
) -> None:
    ids = await small_fleet(fresh_db)
    path = tmp_path / f"signals{fmt.suffix}"
    path.write_bytes(b"the previous export")
    seen: list[int] = []

    def fail_after_a_batch(rows: int) -> None:
        seen.append(rows)
        if rows >= 6:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        await write_export(fresh_db, spec(Dataset.SIGNALS, fmt, ids), path, fail_after_a_batch, batch_rows=5)
    assert seen == [5, 10]
    assert path.read_bytes() == b"the previous export"
    assert not partial_path(path).exists()

    result = await write_export(fresh_db, spec(Dataset.SIGNALS, fmt, ids), path, seen.append, batch_rows=5)
    assert result.rows == 36 and seen[2:] == [5, 10, 15, 20, 25, 30, 35, 36]


async def test_a_cancelled_export_removes_its_partial_file(fresh_db: Database, tmp_path: Path) -> None:
    ids = await small_fleet(fresh_db)
    path = tmp_path / "signals.parquet"
    task: asyncio.Task[ExportResult] | None = None

    def cancel(rows: int) -> None:
        assert task is not None and partial_path(path).exists()
        task.cancel()

    task = asyncio.create_task(
        write_export(fresh_db, spec(Dataset.SIGNALS, Format.PARQUET, ids), path, cancel, batch_rows=5)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not path.exists() and not partial_path(path).exists()
