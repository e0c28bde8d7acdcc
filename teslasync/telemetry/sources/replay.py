"""Replay files of Fleet Telemetry records (protobuf-JSON `Payload` per line, log prefixes accepted)
through the same pipeline as live data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from teslasync.telemetry.model import DeadLetter, Rejected, Source
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.records import Record, parse_record_line

RECORDS_PER_BATCH = 500


class Speed(StrEnum):
    FULL = "full"
    ORIGINAL = "original"


@dataclass
class ReplaySummary:
    records: int = 0
    values: int = 0
    dead_letters: int = 0


def _lines(paths: Iterable[Path]) -> Iterable[tuple[Path, int, str]]:
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield path, number, line


async def replay(
    pipeline: Pipeline,
    paths: list[Path],
    *,
    speed: Speed = Speed.FULL,
    max_pause_s: float = 60.0,
    progress: Callable[[int], None] | None = None,
) -> ReplaySummary:
    """Feed every line of `paths`; at original speed, wait between records as the car did (pauses
    capped at `max_pause_s`). `progress` is called with the bytes consumed. Returns once all is stored."""
    summary = ReplaySummary()
    batch = Batch(source=Source.REPLAY.value)
    previous: Record | None = None
    for path, number, line in _lines(paths):
        if progress is not None:
            progress(len(line.encode()))
        try:
            record = parse_record_line(line)
        except Rejected as exc:
            batch.dead.append(
                DeadLetter(Source.REPLAY.value, exc.reason, f"{path.name}:{number}: {exc.detail}", line)
            )
            summary.dead_letters += 1
            continue
        if speed is Speed.ORIGINAL and previous is not None:
            pause = (record.created_at - previous.created_at).total_seconds()
            if pause > 0:
                await pipeline.submit(batch)
                batch = Batch(source=Source.REPLAY.value)
                await asyncio.sleep(min(pause, max_pause_s))
        previous = record
        batch.observations.extend(record.observations)
        summary.records += 1
        summary.values += len(record.observations)
        if summary.records % RECORDS_PER_BATCH == 0:
            await pipeline.submit(batch)
            batch = Batch(source=Source.REPLAY.value)
    await pipeline.submit(batch)
    await pipeline.drain()
    return summary
