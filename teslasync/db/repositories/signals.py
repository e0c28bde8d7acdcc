"""The telemetry write path and latest-value reads. Every write is idempotent; none moves a latest value
backwards in time. Array parameters (`unnest`) keep one statement per table per batch, and work on servers
that cannot COPY (PGlite)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.storage import Strategy


@dataclass(frozen=True, slots=True)
class SignalRow:
    vehicle_id: int
    field: str
    ts: datetime
    num: float | None
    txt: str | None
    doc: object
    approx: bool


LatestRow = SignalRow  # a row of signal_latest has the same columns


def _doc(value: object) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), allow_nan=False)


_INSERT_SIGNALS = text(
    """
    INSERT INTO signals (vehicle_id, field, ts, num, txt, doc, approx)
    SELECT v, f, t, n, x, CAST(d AS jsonb), a
    FROM unnest(CAST(:v AS bigint[]), CAST(:f AS text[]), CAST(:t AS timestamptz[]), CAST(:n AS float8[]),
                CAST(:x AS text[]), CAST(:d AS text[]), CAST(:a AS boolean[])) AS u(v, f, t, n, x, d, a)
    ON CONFLICT (vehicle_id, field, ts) DO NOTHING
    RETURNING vehicle_id, field, ts, num
    """
)

_UPSERT_LATEST = text(
    """
    INSERT INTO signal_latest AS l (vehicle_id, field, ts, num, txt, doc, approx)
    SELECT v, f, t, n, x, CAST(d AS jsonb), a
    FROM unnest(CAST(:v AS bigint[]), CAST(:f AS text[]), CAST(:t AS timestamptz[]), CAST(:n AS float8[]),
                CAST(:x AS text[]), CAST(:d AS text[]), CAST(:a AS boolean[])) AS u(v, f, t, n, x, d, a)
    ON CONFLICT (vehicle_id, field) DO UPDATE
    SET ts = excluded.ts, num = excluded.num, txt = excluded.txt, doc = excluded.doc, approx = excluded.approx
    WHERE excluded.ts > l.ts
    """
)

_UPSERT_ROLLUPS = text(
    """
    INSERT INTO signal_rollups_hourly AS r (vehicle_id, field, bucket, n, vmin, vmax, vsum, last_ts, last_num)
    SELECT * FROM unnest(CAST(:v AS bigint[]), CAST(:f AS text[]), CAST(:b AS timestamptz[]),
                         CAST(:n AS integer[]), CAST(:lo AS float8[]), CAST(:hi AS float8[]),
                         CAST(:s AS float8[]), CAST(:lt AS timestamptz[]), CAST(:ln AS float8[]))
    ON CONFLICT (vehicle_id, field, bucket) DO UPDATE
    SET n = r.n + excluded.n,
        vmin = least(r.vmin, excluded.vmin),
        vmax = greatest(r.vmax, excluded.vmax),
        vsum = r.vsum + excluded.vsum,
        last_num = CASE WHEN excluded.last_ts >= r.last_ts THEN excluded.last_num ELSE r.last_num END,
        last_ts = greatest(r.last_ts, excluded.last_ts)
    """
)


def _columns(rows: Sequence[SignalRow]) -> dict[str, list[object]]:
    return {
        "v": [row.vehicle_id for row in rows],
        "f": [row.field for row in rows],
        "t": [row.ts for row in rows],
        "n": [row.num for row in rows],
        "x": [row.txt for row in rows],
        "d": [_doc(row.doc) for row in rows],
        "a": [row.approx for row in rows],
    }


def _latest_per_key(rows: Iterable[SignalRow]) -> list[SignalRow]:
    latest: dict[tuple[int, str], SignalRow] = {}
    for row in rows:
        key = (row.vehicle_id, row.field)
        if key not in latest or row.ts > latest[key].ts:
            latest[key] = row
    return list(latest.values())


def _hour(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


@dataclass(slots=True)
class _Bucket:
    n: int
    low: float
    high: float
    total: float
    last_ts: datetime
    last: float

    def add(self, ts: datetime, num: float) -> None:
        self.n += 1
        self.low, self.high, self.total = min(self.low, num), max(self.high, num), self.total + num
        if ts >= self.last_ts:
            self.last_ts, self.last = ts, num


def _rollups(inserted: Iterable[tuple[int, str, datetime, float | None]]) -> dict[str, list[object]]:
    """Hourly aggregates of the rows that were actually inserted (so a duplicate never counts twice)."""
    buckets: dict[tuple[int, str, datetime], _Bucket] = {}
    for vehicle_id, field, ts, num in inserted:
        if num is None:
            continue
        key = (vehicle_id, field, _hour(ts))
        if key in buckets:
            buckets[key].add(ts, num)
        else:
            buckets[key] = _Bucket(1, num, num, num, ts, num)
    items = list(buckets.items())
    return {
        "v": [key[0] for key, _ in items],
        "f": [key[1] for key, _ in items],
        "b": [key[2] for key, _ in items],
        "n": [bucket.n for _, bucket in items],
        "lo": [bucket.low for _, bucket in items],
        "hi": [bucket.high for _, bucket in items],
        "s": [bucket.total for _, bucket in items],
        "lt": [bucket.last_ts for _, bucket in items],
        "ln": [bucket.last for _, bucket in items],
    }


async def write_signals(session: AsyncSession, rows: Sequence[SignalRow], strategy: Strategy) -> int:
    """Store `rows`; returns how many were new (duplicates are ignored)."""
    if not rows:
        return 0
    inserted = [tuple(row) for row in await session.execute(_INSERT_SIGNALS, _columns(rows))]
    await session.execute(_UPSERT_LATEST, _columns(_latest_per_key(rows)))
    if strategy is Strategy.PLAIN and inserted:
        rollups = _rollups(inserted)
        if rollups["v"]:
            await session.execute(_UPSERT_ROLLUPS, rollups)
    return len(inserted)


async def latest_for(
    session: AsyncSession, vehicle_ids: Sequence[int], names: Sequence[str] | None = None
) -> list[LatestRow]:
    query = (
        "SELECT vehicle_id, field, ts, num, txt, doc, approx FROM signal_latest WHERE vehicle_id = ANY(:ids)"
    )
    params: dict[str, object] = {"ids": list(vehicle_ids)}
    if names is not None:
        query += " AND field = ANY(:names)"
        params["names"] = list(names)
    rows = await session.execute(text(query + " ORDER BY vehicle_id, field"), params)
    return [LatestRow(*row) for row in rows]


async def prepare_partitions(session: AsyncSession, months_back: int = 1, months_ahead: int = 3) -> int:
    """Plain storage: make sure the months around now have their partitions (moving any rows the default
    partition caught into them); returns how many were made. TimescaleDB makes its chunks itself."""
    created = await session.scalar(
        text("SELECT teslasync_ensure_signal_partitions(:back, :ahead)"),
        {"back": months_back, "ahead": months_ahead},
    )
    return int(created or 0)


_PARTITION_BOUNDS = """
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'signals'::regclass AND c.relname <> 'signals_default'
"""
_UPPER_BOUND = re.compile(r"TO \('([^']+)'\)")


async def forget_signals_before(session: AsyncSession, cutoff: datetime, strategy: Strategy) -> int:
    """Raw signals older than `cutoff` go; hourly rollups, latest values and everything derived stay.
    TimescaleDB drops whole chunks; plain storage drops whole months and deletes the rest row by row. The
    number of rows deleted one by one (dropped chunks and months are not counted)."""
    if strategy is Strategy.TIMESCALE:
        await session.execute(
            text("SELECT drop_chunks('signals', older_than => CAST(:cutoff AS timestamptz))"),
            {"cutoff": cutoff},
        )
        return 0
    for name, bound in (await session.execute(text(_PARTITION_BOUNDS))).all():
        match = _UPPER_BOUND.search(bound or "")
        if match and datetime.fromisoformat(match.group(1)) <= cutoff:
            await session.execute(text(f'ALTER TABLE signals DETACH PARTITION "{name}"'))
            await session.execute(text(f'DROP TABLE "{name}"'))
    result = await session.execute(text("DELETE FROM signals WHERE ts < :cutoff"), {"cutoff": cutoff})
    return int(getattr(result, "rowcount", 0) or 0)
