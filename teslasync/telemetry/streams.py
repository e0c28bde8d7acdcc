"""Stream health per vehicle: live, stale, polling, asleep, or never seen."""

from __future__ import annotations

from collections.abc import Sequence
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


def stream_state(
    seen: Sequence[tuple[str, datetime]],
    connectivity: tuple[str, datetime] | None,
    now: datetime,
    stale_after: timedelta,
) -> StreamState:
    """`seen`: (source, last_seen_at) per source. A car that said DISCONNECTED after its last data is asleep
    (or offline); one that streams within `stale_after` is live; polling fills in for a stale stream."""
    streamed = [at for source, at in seen if source in STREAMING_SOURCES]
    polled = [at for source, at in seen if source == Source.POLL.value]
    last_stream = max(streamed, default=None)
    if (
        connectivity is not None
        and connectivity[0] == "DISCONNECTED"
        and (last_stream is None or connectivity[1] >= last_stream)
    ):
        return StreamState.ASLEEP
    if last_stream is not None and now - last_stream <= stale_after:
        return StreamState.LIVE
    last_poll = max(polled, default=None)
    if last_poll is not None and now - last_poll <= stale_after:
        return StreamState.POLLING
    if last_stream is None and last_poll is None:
        return StreamState.NEVER
    return StreamState.STALE
