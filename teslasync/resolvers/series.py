"""Signal history for charts and positions for maps: the bucket size follows from the range and the number
of points asked for, so a month at 1 Hz comes back as at most `maxPoints` points per field."""

from __future__ import annotations

from datetime import datetime, timedelta

from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.repositories.series import Bucket, Position
from teslasync.errors import require_scope
from teslasync.resolvers.analytics import BadArgument
from teslasync.telemetry.catalogue import spec
from teslasync.telemetry.catalogue_data import Kind

MAX_POINTS = 5000
MAX_FIELDS = 20
MAX_RANGE = timedelta(days=3 * 366)
NUMERIC = frozenset({Kind.NUMBER, Kind.INTEGER, Kind.BOOLEAN})
# bucket sizes a chart reads well; the smallest that keeps the points within the limit is taken
STEPS = tuple(
    timedelta(seconds=s)
    for s in (
        1,
        2,
        5,
        10,
        15,
        30,
        60,
        120,
        300,
        600,
        900,
        1800,
        3600,
        7200,
        10800,
        21600,
        43200,
        86400,
        604800,
    )
)


def step_for(since: datetime, until: datetime, max_points: int) -> timedelta:
    """Buckets are aligned to a fixed origin, so a range of n steps can touch n + 1 of them."""
    wanted = (until - since) / (max_points - 1)
    return next((step for step in STEPS if step >= wanted), STEPS[-1])


def _check_range(since: datetime, until: datetime, max_points: int) -> None:
    if until <= since:
        raise BadArgument("until must be after since")
    if until - since > MAX_RANGE:
        raise BadArgument("at most about 3 years at a time")
    if not 2 <= max_points <= MAX_POINTS:
        raise BadArgument(f"maxPoints must be between 2 and {MAX_POINTS}")


async def series(
    context: Context, vehicle_id: int, names: list[str], since: datetime, until: datetime, max_points: int
) -> tuple[timedelta, list[Bucket]]:
    require_scope(context.principal, Scope.READ)
    _check_range(since, until, max_points)
    if not 1 <= len(names) <= MAX_FIELDS:
        raise BadArgument(f"names: give 1 to {MAX_FIELDS} fields")
    unknown = [name for name in names if spec(name) is None]
    if unknown:
        raise BadArgument(f"names: unknown fields {', '.join(unknown)}")
    not_numeric = [name for name in names if (field := spec(name)) is not None and field.kind not in NUMERIC]
    if not_numeric:
        raise BadArgument(f"names: not numeric, so not a series: {', '.join(not_numeric)}")
    step = step_for(since, until, max_points)
    request = (tuple(sorted(set(names))), since, until, step)
    return step, await context.loaders.series.load((vehicle_id, request))


async def positions(
    context: Context, vehicle_id: int, since: datetime, until: datetime, max_points: int
) -> list[Position]:
    require_scope(context.principal, Scope.READ)
    _check_range(since, until, max_points)
    step = step_for(since, until, max_points)
    return await context.loaders.positions.load((vehicle_id, (since, until, step)))
