from __future__ import annotations

from pathlib import Path

from teslasync.analytics.samples import Sample
from teslasync.telemetry.model import Signal
from teslasync.telemetry.normalise import normalise, render
from teslasync.telemetry.records import parse_record_line


def sample(signal: Signal) -> Sample:
    return Sample(signal.ts, signal.field, render(signal.field, signal.num, signal.txt, signal.doc))


def samples_from(path: Path) -> list[Sample]:
    """A capture's values as the detectors see them: normalised, metric, in time order."""
    samples = [
        sample(normalise(observation))
        for line in path.read_text().splitlines()
        if line.strip()
        for observation in parse_record_line(line).observations
    ]
    return sorted(samples, key=lambda s: s.ts)
