"""L1: the latest value per vehicle and field in process memory. Never moves backwards in time."""

from __future__ import annotations

from collections.abc import Iterable

from teslasync.telemetry.fanout import SignalUpdate


class LatestValues:
    def __init__(self) -> None:
        self._values: dict[str, dict[str, SignalUpdate]] = {}

    def apply(self, updates: Iterable[SignalUpdate]) -> list[SignalUpdate]:
        """Keep each update that is not older than what is held; returns those that moved a value."""
        moved = []
        for update in updates:
            fields = self._values.setdefault(update.vin, {})
            held = fields.get(update.name)
            if held is None or update.at >= held.at:
                fields[update.name] = update
                moved.append(update)
        return moved

    def get(self, vin: str) -> dict[str, SignalUpdate]:
        return dict(self._values.get(vin, {}))
