"""What the benchmarks share: an embedded PostgreSQL in a temp dir for one run, and peak memory since a mark."""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bench.analytics import high_water_mib, reset_high_water, rss_mib
from teslasync.db.embedded import EmbeddedPostgres
from tests.services import free_port


class MemoryMark:
    """This process's peak RSS from a mark on, told beside its RSS at the mark (what was held before)."""

    def __init__(self) -> None:
        self.baseline = 0.0

    def reset(self) -> None:
        gc.collect()
        reset_high_water()
        self.baseline = rss_mib()

    def peak(self) -> str:
        return f"peak RSS {high_water_mib():,.0f} MiB (RSS before it {self.baseline:,.0f} MiB)"


def run_on_embedded_postgres(
    prefix: str, work: Callable[[Path, EmbeddedPostgres], Coroutine[Any, Any, None]]
) -> None:
    """Run `work(tmp, pg)` with a fresh embedded PostgreSQL, removed afterwards; print the total time."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        tmp = Path(name)
        pg = EmbeddedPostgres(tmp / "pg", port=free_port())
        pg.start()
        try:
            asyncio.run(work(tmp, pg))
        finally:
            pg.stop()
    print(f"total run time: {time.monotonic() - started:.0f} s")
