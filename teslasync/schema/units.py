"""The unit-system argument of fields a person reads (registered once for the whole schema)."""

from __future__ import annotations

import strawberry

from teslasync.analytics.units import UnitSystem

strawberry.enum(UnitSystem, name="UnitSystem", description="Metric (km, °C, bar) or imperial (mi, °F, psi).")

__all__ = ["UnitSystem"]
