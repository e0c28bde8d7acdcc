from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from teslasync.db.engine import Database
from teslasync.telemetry.fanout import LocalFanout
from teslasync.telemetry.pipeline import Pipeline


@pytest.fixture
async def pipeline(fresh_db: Database) -> AsyncIterator[Pipeline]:
    """A running pipeline on a database of its own, with in-process fan-out."""
    pipe = Pipeline(fresh_db, LocalFanout())
    await pipe.start()
    yield pipe
    await pipe.stop()
