from __future__ import annotations

from datetime import UTC, datetime, timedelta

from teslasync.telemetry.streams import StreamFacts, StreamState, stream_state

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
STALE = timedelta(minutes=5)


def facts(
    source: str, data_ago_s: float | None, news: str | None = None, news_ago_s: float = 0
) -> StreamFacts:
    return StreamFacts(
        source,
        NOW - timedelta(seconds=data_ago_s) if data_ago_s is not None else None,
        news,
        NOW - timedelta(seconds=news_ago_s) if news else None,
    )


def test_states() -> None:
    assert stream_state([], NOW, STALE) is StreamState.NEVER
    assert stream_state([facts("mqtt", 10)], NOW, STALE) is StreamState.LIVE
    assert stream_state([facts("mqtt", 600)], NOW, STALE) is StreamState.STALE
    assert stream_state([facts("mqtt", 600), facts("poll", 30)], NOW, STALE) is StreamState.POLLING
    assert stream_state([facts("mqtt", 60, "DISCONNECTED", 30)], NOW, STALE) is StreamState.ASLEEP
    # data after the disconnect: the car woke up
    assert stream_state([facts("mqtt", 10, "DISCONNECTED", 30)], NOW, STALE) is StreamState.LIVE
    assert stream_state([facts("mqtt", 60, "CONNECTED", 30)], NOW, STALE) is StreamState.LIVE
    assert stream_state([facts("replay", 1)], NOW, STALE) is StreamState.NEVER
