"""Unit systems: everything is stored metric; a person reading a value may ask for imperial units."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

KM_PER_MI = 1.609344
PSI_PER_BAR = 14.503773773


class UnitSystem(StrEnum):
    METRIC = "metric"
    IMPERIAL = "imperial"


# metric unit -> (imperial unit, conversion)
IMPERIAL: dict[str, tuple[str, Callable[[float], float]]] = {
    "km": ("mi", lambda km: km / KM_PER_MI),
    "km/h": ("mph", lambda kmh: kmh / KM_PER_MI),
    "km/h of range": ("mph of range", lambda kmh: kmh / KM_PER_MI),
    "°C": ("°F", lambda c: c * 9 / 5 + 32),
    "bar": ("psi", lambda bar: bar * PSI_PER_BAR),
    "Wh/km": ("Wh/mi", lambda wh_km: wh_km * KM_PER_MI),
}


def convert(value: float | None, unit: str | None, system: UnitSystem) -> tuple[float | None, str | None]:
    """`value` in `unit` (metric) as `system` writes it: (value, unit). Units without an imperial form
    (%, kWh, kW, V, A, ...) are the same in both."""
    if system is UnitSystem.METRIC or unit not in IMPERIAL:
        return value, unit
    imperial, to_imperial = IMPERIAL[unit]
    return (to_imperial(value) if value is not None else None), imperial


def value_in(value: float | None, unit: str, system: UnitSystem) -> float | None:
    return convert(value, unit, system)[0]
