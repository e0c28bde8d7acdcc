"""Signal history (`Vehicle.series`) and positions (`Vehicle.positions`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from teslasync.analytics.units import convert
from teslasync.db.repositories.series import Bucket, Position
from teslasync.schema.units import UnitSystem
from teslasync.telemetry.catalogue import spec


@strawberry.type(description="One time bucket of a field's values.")
class SeriesPoint:
    at: datetime = strawberry.field(description="The bucket's start (UTC).")
    min: float = strawberry.field(description="Lowest value in the bucket.")
    max: float = strawberry.field(description="Highest value in the bucket.")
    mean: float = strawberry.field(description="Mean of the values in the bucket.")
    last: float = strawberry.field(description="The bucket's last value.")
    count: int = strawberry.field(description="How many values the bucket holds.")


@strawberry.type(
    description="The same buckets as `points`, as one list per column (compact, and fast for charts)."
)
class SeriesColumns:
    at: list[datetime] = strawberry.field(description="Each bucket's start (UTC).")
    min: list[float] = strawberry.field(description="Lowest value per bucket.")
    max: list[float] = strawberry.field(description="Highest value per bucket.")
    mean: list[float] = strawberry.field(description="Mean per bucket.")
    last: list[float] = strawberry.field(description="Last value per bucket.")
    count: list[int] = strawberry.field(description="Values per bucket.")


@strawberry.type(description="A numeric field's history in time buckets.")
class Series:
    name: str = strawberry.field(description="Fleet Telemetry field name.")
    unit: str | None = strawberry.field(description="Unit of the values, in the unit system asked for.")
    bucket_seconds: int = strawberry.field(description="The bucket size chosen for the range, s.")
    points: list[SeriesPoint | Bucket] = strawberry.field(
        description="Buckets with values, oldest first.", graphql_type=list[SeriesPoint]
    )

    @strawberry.field(description="The buckets as columns, oldest first: what a chart library takes.")
    def columns(self) -> SeriesColumns:
        return SeriesColumns(
            at=[point.at for point in self.points],
            min=[point.min for point in self.points],
            max=[point.max for point in self.points],
            mean=[point.mean for point in self.points],
            last=[point.last for point in self.points],
            count=[point.count for point in self.points],
        )


def series_of(names: list[str], step_s: int, buckets: list[Bucket], units: UnitSystem) -> list[Series]:
    by_field: dict[str, list[Bucket]] = {}
    for bucket in buckets:
        by_field.setdefault(bucket.field, []).append(bucket)
    result = []
    for name in dict.fromkeys(names):
        field = spec(name)
        metric_unit = field.unit if field is not None else None
        unit = convert(None, metric_unit, units)[1]

        points: list[SeriesPoint | Bucket]
        if unit == metric_unit:  # nothing to convert: the buckets are the points (a chart's thousands)
            points = list(by_field.get(name, []))
        else:

            def value(number: float) -> float:
                return convert(number, metric_unit, units)[0] or 0.0  # noqa: B023 - used at once, in this loop

            points = [
                SeriesPoint(
                    at=b.at,
                    min=value(b.min),
                    max=value(b.max),
                    mean=value(b.mean),
                    last=value(b.last),
                    count=b.count,
                )
                for b in by_field.get(name, [])
            ]
        result.append(Series(name=name, unit=unit, bucket_seconds=step_s, points=points))
    return result


@strawberry.type(description="Where the car was.")
class PositionPoint:
    at: datetime = strawberry.field(description="When (UTC).")
    latitude: float = strawberry.field(description="Degrees north.")
    longitude: float = strawberry.field(description="Degrees east.")

    @classmethod
    def of(cls, position: Position) -> PositionPoint:
        return cls(at=position.at, latitude=position.latitude, longitude=position.longitude)
