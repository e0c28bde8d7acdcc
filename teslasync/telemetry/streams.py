"""Stream health per vehicle: live, stale, polling, asleep, or never seen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from teslasync.telemetry.model import Source

STREAMING_SOURCES = frozenset({Source.MQTT.value, Source.RECORDS.value, Source.SIMULATOR.value})


class StreamState(StrEnum):
    LIVE = "live"
    STALE = "stale"
    POLLING = "polling"
    ASLEEP = "asleep"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class StreamFacts:
    """One source's view of a vehicle, by TeslaSync's clock (see `vehicle_streams`)."""

    source: str
    last_data_at: datetime | None
    connectivity: str | None
    connectivity_at: datetime | None


def stream_state(facts: Sequence[StreamFacts], now: datetime, stale_after: timedelta) -> StreamState:
    """Asleep when the last news from the car is that it disconnected; live when a stream delivered data
    within `stale_after`; polling when only the Fleet API poller did; stale or never otherwise."""
    streamed = [f for f in facts if f.source in STREAMING_SOURCES]
    last_data = max((f.last_data_at for f in streamed if f.last_data_at), default=None)
    last_news = max(
        ((f.connectivity_at, f.connectivity) for f in streamed if f.connectivity_at and f.connectivity),
        default=None,
    )
    if (
        last_news is not None
        and last_news[1] == "DISCONNECTED"
        and (last_data is None or last_news[0] >= last_data)
    ):
        return StreamState.ASLEEP
    if last_data is not None and now - last_data <= stale_after:
        return StreamState.LIVE
    polled = max(
        (f.last_data_at for f in facts if f.source == Source.POLL.value and f.last_data_at), default=None
    )
    if polled is not None and now - polled <= stale_after:
        return StreamState.POLLING
    if last_data is None and polled is None:
        return StreamState.NEVER
    return StreamState.STALE
