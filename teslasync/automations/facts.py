"""What the engine knows about one vehicle: the latest value of each catalogued field, and when it was taken.

Conditions read these at firing time. Only the latest value per field is kept, so the memory per vehicle is
bounded by the catalogue (fields outside it cannot appear in a rule and are not kept). The times also guard
against out-of-order delivery: a sample no newer than the one held for its field is ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from teslasync.analytics.samples import Sample, number
from teslasync.telemetry.catalogue import spec

BATTERY_FIELDS = ("Soc", "BatteryLevel")


class Facts:
    def __init__(self) -> None:
        self._latest: dict[str, tuple[datetime, Any]] = {}

    def accept(self, sample: Sample) -> bool:
        """Keep the sample if it is newer than what is known of its field; False if it was ignored."""
        if spec(sample.field) is None:
            return False
        held = self._latest.get(sample.field)
        if held is not None and sample.ts <= held[0]:
            return False
        self._latest[sample.field] = (sample.ts, sample.value)
        return True

    def get(self, field: str) -> Any:
        """The latest value of `field`; None when unknown or when the car reported no value."""
        held = self._latest.get(field)
        return None if held is None else held[1]

    def battery(self) -> float | None:
        """The latest battery percentage, from whichever of Soc and BatteryLevel came last."""
        known = [
            (held[0], value)
            for field in BATTERY_FIELDS
            if (held := self._latest.get(field)) is not None
            if (value := number(held[1])) is not None
        ]
        return max(known)[1] if known else None

    def __len__(self) -> int:
        return len(self._latest)
