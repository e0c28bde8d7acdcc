"""Circles on the map, for geofence triggers and location conditions.

The engine is pure, so a rule may name a stored geofence (`geofence_id`) only if the caller resolves it to
a circle before the rule reaches the engine (`Rule.with_geofences`); a circle may also be written inline.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from teslasync.analytics.samples import distance_km, position
from teslasync.automations.model import Model, Problem


class Circle(Model):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0, le=1_000_000)
    name: str | None = Field(default=None, max_length=200)

    def contains(self, value: Any) -> bool | None:
        """Whether a Location value lies inside (on the edge counts); None if the value has no position."""
        where = position(value)
        if where is None:
            return None
        return distance_km((self.latitude, self.longitude), where) * 1000 <= self.radius_m


class Place(Model):
    """A circle written inline, or the id of a stored geofence to be resolved into one."""

    circle: Circle | None = None
    geofence_id: int | None = Field(default=None, ge=1)

    def place_problems(self, path: str) -> list[Problem]:
        if self.circle is None and self.geofence_id is None:
            return [Problem(path, "give a circle or a geofence_id")]
        return []

    def label(self) -> str:
        if self.circle is not None and self.circle.name:
            return self.circle.name
        return f"geofence {self.geofence_id}" if self.geofence_id is not None else "the circle"
