"""Exports: a dataset (signals, drives, charging sessions, positions, states) of some vehicles over a time
range, as CSV, JSON Lines or Parquet, with personal data redacted.

Streaming: rows come from the database a batch at a time (a server-side cursor, see
`db/repositories/exports.py`); each batch is redacted, turned into typed Arrow columns and written in a
worker thread while the next batch is fetched, so memory stays flat however many rows there are. Parquet is
written a row group at a time (zstd), CSV through Arrow's CSV writer (one header), JSON Lines a line per row.
The file is written beside its destination as `<name>.partial` and renamed into place when complete; on any
failure the partial file is removed.

Columns are typed (`schema_of`): times are `timestamp[us, UTC]` (in CSV and JSON Lines ISO 8601 with a `Z`,
`2026-11-01T08:30:00.000000Z`), measures float64, ids int64, costs decimal(14, 2), JSON documents (a
signal's `doc`, a drive's `track`, a charge's `curve` and `cost_breakdown`) their JSON text in CSV and
Parquet and nested JSON in JSON Lines.

Redaction (`Redaction`, by default: VIN masked, locations rounded to 3 decimals, addresses dropped):

- VIN: the first 4 characters (maker and model) and the last 2 are kept, the rest masked with `*`:
  `5YJ3E7EB2NF000001` becomes `5YJ3***********01`.
- Locations: the signals of location fields (`Location`, `OriginLocation`, `DestinationLocation`: their
  `doc` {latitude, longitude}), the positions dataset, a drive's start and end coordinates and its track,
  a charge's coordinates. Rounded to `location_decimals` (3 decimals is ~110 m), or with `drop_locations`
  dropped: the signals of those fields and those columns are left out (the positions dataset, nothing but
  locations, is refused). The active route (`RouteLine`, an encoded polyline that cannot be rounded) is
  exported only with exact locations.
- Addresses: the navigation destination's name (`DestinationName`), the only place name TeslaSync stores;
  geofences are exported as their ids, never their names.

Exact locations (no rounding, or finer than 3 decimals) and addresses need a step-up of the user's second
factor: `ExportSpec.needs_step_up` says whether a spec exports any; the caller checks it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.engine import Database
from teslasync.db.repositories import exports as repo
from teslasync.db.repositories.exports import Column, Kind, Row
from teslasync.telemetry.catalogue import FIELDS
from teslasync.telemetry.catalogue_data import Kind as FieldKind

LOCATION_FIELDS = frozenset(field.name for field in FIELDS if field.kind is FieldKind.LOCATION)
ROUTE_FIELDS = frozenset({"RouteLine"})  # an encoded polyline: exported exact or not at all
ADDRESS_FIELDS = frozenset({"DestinationName"})
REDACTED_DECIMALS = 3  # locations rounded to at most this many decimals (~110 m) need no step-up
ROW_GROUP_ROWS = 250_000  # Parquet row groups of about this many rows (batches are buffered up to it)
_LOCATION_COLUMNS = frozenset({"latitude", "longitude", "end_latitude", "end_longitude", "track"})
_COORDINATES = ("latitude", "longitude")


class Dataset(StrEnum):
    SIGNALS = "signals"
    DRIVES = "drives"
    CHARGING_SESSIONS = "charging_sessions"
    POSITIONS = "positions"
    STATES = "states"


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"

    @property
    def suffix(self) -> str:
        return f".{self.value}"


def masked_vin(vin: str) -> str:
    """Maker and model (the first 4 characters) and the last 2 kept, the rest masked."""
    if len(vin) <= 6:
        return "*" * len(vin)
    return vin[:4] + "*" * (len(vin) - 6) + vin[-2:]


@dataclass(frozen=True)
class Redaction:
    """What of the personal data leaves in an export (see the module's docstring)."""

    mask_vin: bool = True
    location_decimals: int | None = 3  # None: exact
    drop_locations: bool = False
    drop_addresses: bool = True

    def __post_init__(self) -> None:
        if self.location_decimals is not None and self.location_decimals < 0:
            raise ValueError("location_decimals must be 0 or more (or None for exact locations)")

    @property
    def raw_locations(self) -> bool:
        """Locations leave exact, or finer than `REDACTED_DECIMALS`: a step-up is needed."""
        if self.drop_locations:
            return False
        return self.location_decimals is None or self.location_decimals > REDACTED_DECIMALS

    def round(self, value: float | None) -> float | None:
        if value is None or self.location_decimals is None:
            return value
        return round(value, self.location_decimals)


@dataclass(frozen=True)
class ExportSpec:
    """What to export. `since` and `until` are aware times, [since, until): signals and positions by their
    time, drives, charging sessions and states by their start. `fields` (signals only): the fields to
    export, all when empty."""

    dataset: Dataset
    format: Format
    vehicle_ids: tuple[int, ...]
    since: datetime
    until: datetime
    fields: tuple[str, ...] = ()
    redaction: Redaction = Redaction()

    def __post_init__(self) -> None:
        if self.since.utcoffset() is None or self.until.utcoffset() is None:
            raise ValueError("since and until must be aware times (UTC)")
        if self.since >= self.until:
            raise ValueError("since must be before until")
        if not self.vehicle_ids:
            raise ValueError("no vehicles to export")
        if self.fields and self.dataset is not Dataset.SIGNALS:
            raise ValueError("fields apply to the signals dataset only")
        if self.dataset is Dataset.POSITIONS and self.redaction.drop_locations:
            raise ValueError("positions without locations: nothing left to export")
        if self.fields and set(self.fields) <= set(self.excluded_fields):
            raise ValueError("the redaction drops every field asked for: nothing left to export")

    @property
    def excluded_fields(self) -> frozenset[str]:
        """Signal fields the redaction leaves out."""
        excluded: set[str] = set()
        if self.redaction.drop_locations:
            excluded |= LOCATION_FIELDS
        if self.redaction.drop_locations or self.redaction.location_decimals is not None:
            excluded |= ROUTE_FIELDS
        if self.redaction.drop_addresses:
            excluded |= ADDRESS_FIELDS
        return frozenset(excluded)

    @property
    def needs_step_up(self) -> bool:
        """Exact locations or addresses would leave in this export."""
        if self.dataset is Dataset.STATES:
            return False
        if self.dataset is not Dataset.SIGNALS:
            return self.redaction.raw_locations
        asked = set(self.fields) if self.fields else None

        def exported(names: frozenset[str]) -> bool:
            return (asked is None or bool(asked & names)) and not names <= self.excluded_fields

        return (self.redaction.raw_locations and exported(LOCATION_FIELDS | ROUTE_FIELDS)) or exported(
            ADDRESS_FIELDS
        )


@dataclass(frozen=True)
class ExportResult:
    rows: int
    bytes: int
    path: Path


Progress = Callable[
    [int], Awaitable[None] | None
]  # rows written so far; awaited when it returns an awaitable

_COLUMNS: dict[Dataset, tuple[Column, ...]] = {
    Dataset.SIGNALS: repo.SIGNAL_COLUMNS,
    Dataset.DRIVES: repo.DRIVE_COLUMNS,
    Dataset.CHARGING_SESSIONS: repo.CHARGING_SESSION_COLUMNS,
    Dataset.POSITIONS: repo.POSITION_COLUMNS,
    Dataset.STATES: repo.STATE_COLUMNS,
}
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _arrow_type(column: Column) -> Any:
    match column.kind:
        case Kind.TEXT | Kind.JSON:
            return pa.string()
        case Kind.INTEGER:
            return pa.int64()
        case Kind.FLOAT:
            return pa.float64()
        case Kind.BOOLEAN:
            return pa.bool_()
        case Kind.TIME:
            return TIMESTAMP
        case Kind.DECIMAL:
            return pa.decimal128(column.precision or 38, column.scale or 0)


def _columns(dataset: Dataset, redaction: Redaction) -> list[Column]:
    columns = list(_COLUMNS[dataset])
    if redaction.drop_locations:
        if dataset is Dataset.POSITIONS:
            raise ValueError("positions without locations: nothing left to export")
        if dataset is not Dataset.SIGNALS:  # signals lose rows, not columns
            columns = [column for column in columns if column.name not in _LOCATION_COLUMNS]
    return columns


def schema_of(dataset: Dataset, redaction: Redaction) -> pa.Schema:
    """The typed columns of an export of `dataset` under `redaction` (as Parquet stores them)."""
    return pa.schema(
        [pa.field(c.name, _arrow_type(c), nullable=c.nullable) for c in _columns(dataset, redaction)]
    )


# --- redaction and conversion (in the worker thread) ---------------------------------------------------


class _Batches:
    """Turns rows of the database into redacted, typed Arrow batches."""

    def __init__(self, spec: ExportSpec) -> None:
        self.spec = spec
        self.redaction = spec.redaction
        stored = _COLUMNS[spec.dataset]
        self.columns = _columns(spec.dataset, spec.redaction)
        self.positions = [stored.index(column) for column in self.columns]
        self.schema = schema_of(spec.dataset, spec.redaction)
        self.vins: dict[str, str] = {}

    def to_arrow(self, rows: Sequence[Row]) -> Any:
        values = {
            column.name: list(map(itemgetter(position), rows))
            for column, position in zip(self.columns, self.positions, strict=True)
        }
        self._redact(values)
        arrays = [pa.array(values[column.name], type=_arrow_type(column)) for column in self.columns]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _redact(self, values: dict[str, list[Any]]) -> None:
        redaction = self.redaction
        if redaction.mask_vin:
            for vin in set(values["vin"]) - self.vins.keys():
                self.vins[vin] = masked_vin(vin)
            values["vin"] = list(map(self.vins.__getitem__, values["vin"]))
        if redaction.location_decimals is None or redaction.drop_locations:
            return
        if self.spec.dataset is Dataset.SIGNALS:
            docs = values["doc"]
            for i in [i for i, field in enumerate(values["field"]) if field in LOCATION_FIELDS]:
                if docs[i] is not None:
                    docs[i] = self._rounded_doc(docs[i])
            return
        for name in ("latitude", "longitude", "end_latitude", "end_longitude"):
            if name in values:
                values[name] = [redaction.round(value) for value in values[name]]
        if "track" in values:
            values["track"] = [self._rounded_track(track) for track in values["track"]]

    def _rounded_doc(self, text: str) -> str | None:
        doc = json.loads(text)
        if not isinstance(doc, dict):
            return None  # not a location as normalised: nothing to round, so it does not leave
        lat, lon = doc.get("latitude"), doc.get("longitude")
        if len(doc) == 2 and type(lat) is float and type(lon) is float:
            # the usual document, written directly: a third of the time `json.dumps` takes (the same text)
            return (
                f'{{"latitude": {self.redaction.round(lat)!r}, "longitude": {self.redaction.round(lon)!r}}}'
            )
        for key in _COORDINATES:
            if isinstance(doc.get(key), int | float):
                doc[key] = self.redaction.round(doc[key])
        return json.dumps(doc)

    def _rounded_track(self, text: str | None) -> str | None:
        """A track is [[time, latitude, longitude], ...]."""
        if text is None:
            return None
        track = json.loads(text)
        return json.dumps(
            [[point[0], self.redaction.round(point[1]), self.redaction.round(point[2])] for point in track]
        )


def _iso(array: Any) -> Any:
    """Times as ISO 8601 text, `2026-11-01T08:30:00.000000Z` (Arrow's own cast writes a space for the `T`;
    a cast of the zone-less time is 10 times faster than `strftime`)."""
    text = array.cast(pa.timestamp("us")).cast(pa.string())
    return pc.binary_join_element_wise(
        pc.utf8_replace_slice(text, start=10, stop=11, replacement="T"), "Z", ""
    )


def _with_iso_times(batch: Any) -> Any:
    arrays = [_iso(array) if array.type == TIMESTAMP else array for array in batch.columns]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


class _Sink:
    """One output file, written from worker threads one batch at a time; `abort` waits for a write under
    way, so that the file is never closed under it."""

    def __init__(self, path: Path, schema: Any, columns: Sequence[Column]) -> None:
        self.path = path
        self.schema = schema
        self.columns = columns
        self._lock = threading.Lock()
        self._file: IO[bytes] = path.open("wb")
        self._aborted = False

    def write(self, batch: Any) -> None:
        with self._lock:
            if self._aborted:  # a write whose export was cancelled before it began
                raise RuntimeError("the export was aborted")
            self._write(batch)

    def close(self) -> None:
        with self._lock:
            self._close()
            self._file.close()

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            with contextlib.suppress(Exception):
                self._close()
            self._file.close()

    def _write(self, batch: Any) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        pass


class _ParquetSink(_Sink):
    def __init__(self, path: Path, schema: Any, columns: Sequence[Column]) -> None:
        super().__init__(path, schema, columns)
        self._writer = pq.ParquetWriter(self._file, schema, compression="zstd")
        self._pending: list[Any] = []
        self._pending_rows = 0

    def _write(self, batch: Any) -> None:
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            table = pa.Table.from_batches(self._pending, schema=self.schema)
            self._writer.write_table(table, row_group_size=max(self._pending_rows, 1))
            self._pending, self._pending_rows = [], 0

    def _close(self) -> None:
        self._flush()
        self._writer.close()


class _CsvSink(_Sink):
    def __init__(self, path: Path, schema: Any, columns: Sequence[Column]) -> None:
        super().__init__(path, schema, columns)
        text_schema = pa.schema(
            [pa.field(f.name, pa.string() if f.type == TIMESTAMP else f.type) for f in schema]
        )
        self._writer = pa_csv.CSVWriter(self._file, text_schema)

    def _write(self, batch: Any) -> None:
        self._writer.write_batch(_with_iso_times(batch))

    def _close(self) -> None:
        self._writer.close()


def _json_values(array: Any, kind: Kind) -> Any:
    """Each value of a column as JSON text ("null" for a null), computed a column at a time."""
    if kind is Kind.JSON:
        encoded = array  # a document's JSON text goes in as it is: nested JSON
    elif kind is Kind.TEXT:  # escaped once per distinct value (VINs, field names, enum words repeat)
        distinct = array.dictionary_encode()
        words = [json.dumps(word, ensure_ascii=False) for word in distinct.dictionary.to_pylist()]
        encoded = pa.array(words, pa.string()).take(distinct.indices)
    elif kind is Kind.TIME:  # ISO 8601 text by now: nothing to escape
        encoded = pc.binary_join_element_wise('"', array, '"', "")
    elif kind is Kind.FLOAT:  # shortest round-trip text; NaN and infinities have no JSON: null
        encoded = pc.if_else(pc.is_finite(array), array.cast(pa.string()), pa.scalar(None, pa.string()))
    else:  # integers, booleans, decimals: Arrow's text is JSON's
        encoded = array.cast(pa.string())
    return encoded.fill_null("null")


class _JsonLinesSink(_Sink):
    """Each line built by Arrow, a column at a time: `{"name":value,...}` joined element-wise; the lines'
    data buffer is then the file's bytes."""

    def _write(self, batch: Any) -> None:
        if batch.num_rows == 0:
            return
        batch = _with_iso_times(batch)
        parts: list[Any] = []
        for i, (column, array) in enumerate(zip(self.columns, batch.columns, strict=True)):
            parts += [
                ("{" if i == 0 else ",") + json.dumps(column.name) + ":",
                _json_values(array, column.kind),
            ]
        lines = pc.binary_join_element_wise(*parts, "}\n", "")
        offsets = memoryview(lines.buffers()[1]).cast("i")
        start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
        self._file.write(memoryview(lines.buffers()[2])[start:end])


_SINKS: dict[Format, type[_Sink]] = {
    Format.PARQUET: _ParquetSink,
    Format.CSV: _CsvSink,
    Format.JSONL: _JsonLinesSink,
}


# --- the export -------------------------------------------------------------------------------------------


def _rows(session: AsyncSession, spec: ExportSpec, batch: int) -> AsyncGenerator[list[Row], None]:
    vehicles, since, until = spec.vehicle_ids, spec.since, spec.until
    match spec.dataset:
        case Dataset.SIGNALS:
            exclude = sorted(spec.excluded_fields)
            return repo.signals(
                session, vehicles, since, until, fields=spec.fields, exclude=exclude, batch=batch
            )
        case Dataset.POSITIONS:
            return repo.positions(session, vehicles, since, until, batch=batch)
        case Dataset.DRIVES:
            return repo.drives(session, vehicles, since, until, batch=batch)
        case Dataset.CHARGING_SESSIONS:
            return repo.charging_sessions(session, vehicles, since, until, batch=batch)
        case Dataset.STATES:
            return repo.states(session, vehicles, since, until, batch=batch)


def partial_path(path: Path) -> Path:
    """Where an export is written until it is complete."""
    return path.with_name(path.name + ".partial")


async def write_export(
    db: Database,
    spec: ExportSpec,
    path: Path,
    progress: Progress | None = None,
    *,
    batch_rows: int = repo.BATCH,
) -> ExportResult:
    """Write the export of `spec` to `path` (replacing it once complete): the rows written and the file's
    size. `progress` is told the rows written so far after each batch."""
    batches = _Batches(spec)
    partial = partial_path(path)
    sink: _Sink | None = None
    writing: asyncio.Task[int] | None = None
    written = 0

    async def wait_for_write() -> None:
        nonlocal written, writing
        if writing is not None:
            written += await writing
            writing = None
            if progress is not None and (reported := progress(written)) is not None:
                await reported

    try:
        sink = await asyncio.to_thread(_SINKS[spec.format], partial, batches.schema, batches.columns)
        async with (
            db.transaction() as session,
            contextlib.aclosing(_rows(session, spec, batch_rows)) as stream,
        ):
            async for rows in stream:
                await wait_for_write()  # one batch is written while the next is fetched
                writing = asyncio.create_task(asyncio.to_thread(_write_rows, sink, batches, rows))
            await wait_for_write()
        await asyncio.to_thread(sink.close)
        size = partial.stat().st_size
        await asyncio.to_thread(partial.replace, path)
    except BaseException:
        # shielded: a cancelled export still waits for the write under way, then removes its file
        await asyncio.shield(_discard(writing, sink, partial))
        raise
    return ExportResult(written, size, path)


def _write_rows(sink: _Sink, batches: _Batches, rows: list[Row]) -> int:
    sink.write(batches.to_arrow(rows))
    return len(rows)


async def _discard(writing: asyncio.Task[int] | None, sink: _Sink | None, partial: Path) -> None:
    if writing is not None:
        await asyncio.wait([writing])
        if not writing.cancelled():
            writing.exception()  # retrieved: the error being raised is the one that counts
    if sink is not None:
        await asyncio.to_thread(sink.abort)
    await asyncio.to_thread(partial.unlink, missing_ok=True)
