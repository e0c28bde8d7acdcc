"""Signal history in time buckets, and positions for maps: one statement for many vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

ORIGIN = datetime.fromisoformat("2000-01-03T00:00:00+00:00")  # a Monday: weekly buckets start on Mondays


class Bucket(NamedTuple):
    """One bucket of a field's values. A named tuple (a third of a frozen dataclass's cost to build, for a
    chart's thousands) whose names are `SeriesPoint`'s, so GraphQL serves it as a point as it is."""

    vehicle_id: int
    field: str
    at: datetime  # the bucket's start
    min: float
    max: float
    mean: float
    last: float
    count: int  # type: ignore[assignment]  # the field shadows tuple.count, which nothing here calls


RAW_SQL = """
SELECT vehicle_id, field, date_bin(:step, ts, :origin) AS at, min(num) AS vmin, max(num) AS vmax,
       avg(num) AS mean, (array_agg(num ORDER BY ts DESC))[1] AS last, count(*) AS n
FROM signals
WHERE vehicle_id = ANY(:vehicles) AND field = ANY(:fields) AND ts >= :since AND ts < :until
  AND num IS NOT NULL
GROUP BY vehicle_id, field, at ORDER BY vehicle_id, field, at
"""

# whole hours: a range served from the rollup starts at the hour `since` falls in
HOURLY_SQL = """
SELECT vehicle_id, field, date_bin(:step, bucket, :origin) AS at, min(vmin) AS vmin, max(vmax) AS vmax,
       sum(vsum) / nullif(sum(n), 0) AS mean, (array_agg(last_num ORDER BY last_ts DESC))[1] AS last,
       sum(n) AS n
FROM signal_rollups_hourly
WHERE vehicle_id = ANY(:vehicles) AND field = ANY(:fields) AND bucket >= date_trunc('hour', CAST(:since AS timestamptz), 'UTC')
  AND bucket < :until AND n > 0
GROUP BY vehicle_id, field, at ORDER BY vehicle_id, field, at
"""

# built once: a statement object keeps its parsed parameters and its cache key
_RAW, _HOURLY = text(RAW_SQL), text(HOURLY_SQL)


async def buckets(
    session: AsyncSession,
    vehicle_ids: Sequence[int],
    fields: Sequence[str],
    since: datetime,
    until: datetime,
    step: timedelta,
) -> list[Bucket]:
    """Numeric values per bucket of `step`: from the hourly rollup when a bucket is at least an hour (a
    month at 1 Hz is then ~720 rows per field, not 2.6 million), from the raw values otherwise."""
    rows = await session.execute(
        _HOURLY if step >= timedelta(hours=1) else _RAW,
        {
            "vehicles": list(vehicle_ids),
            "fields": list(fields),
            "since": since,
            "until": until,
            "step": step,
            "origin": ORIGIN,
        },
    )
    # rows unpacked by position: a Row's attribute lookup by name is ~1 µs (SQLAlchemy's __getattr__, reached
    # after the normal lookup fails), 10 ms of a 30-day chart
    return [
        Bucket(vehicle_id, field, at, vmin, vmax, mean, last, int(n))
        for vehicle_id, field, at, vmin, vmax, mean, last, n in rows.all()
    ]


@dataclass(frozen=True, slots=True)
class Position:
    vehicle_id: int
    at: datetime
    latitude: float
    longitude: float


async def positions(
    session: AsyncSession, vehicle_ids: Sequence[int], since: datetime, until: datetime, step: timedelta
) -> list[Position]:
    """The first position of each `step` (a map needs no more points than it has pixels)."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (vehicle_id, date_bin(:step, ts, :origin)) vehicle_id, ts, "
            "(doc->>'latitude')::float8 AS latitude, (doc->>'longitude')::float8 AS longitude "
            "FROM signals WHERE vehicle_id = ANY(:vehicles) AND field = 'Location' AND ts >= :since "
            "AND ts < :until AND doc ? 'latitude' "
            "ORDER BY vehicle_id, date_bin(:step, ts, :origin), ts"
        ),
        {"vehicles": list(vehicle_ids), "since": since, "until": until, "step": step, "origin": ORIGIN},
    )
    return [
        Position(vehicle_id, ts, latitude, longitude) for vehicle_id, ts, latitude, longitude in rows.all()
    ]
