"""The input of every detector: one vehicle's values, in time order, in metric units."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Sample:
    ts: datetime
    field: str
    value: Any  # as the API renders it: a float, bool, str (enum without prefix), dict, or None (no value)


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def position(value: Any) -> tuple[float, float] | None:
    if isinstance(value, dict) and isinstance(value.get("latitude"), int | float):
        return float(value["latitude"]), float(value["longitude"])
    return None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))
