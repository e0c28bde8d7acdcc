from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import make_engine


async def _query(url: str, sql: str) -> object:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        await engine.dispose()


def test_start_adopt_stop_and_restart_keeps_data(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "data", port=55499)
    assert server.start() is True
    try:
        assert server.running()
        version = asyncio.run(_query(server.url(), "SHOW server_version_num"))
        assert int(str(version)) >= 180000
        asyncio.run(_query(server.url(), "CREATE TABLE kept AS SELECT 42 AS answer"))
        # A second handle on the same data dir adopts the running server instead of failing.
        assert EmbeddedPostgres(tmp_path / "data", port=55499).start() is False
    finally:
        server.stop()
    assert not server.running()
    server.stop()  # idempotent

    again = EmbeddedPostgres(tmp_path / "data", port=55499)
    assert again.start() is True
    try:
        assert asyncio.run(_query(again.url(), "SELECT answer FROM kept")) == 42
    finally:
        again.stop()


def test_pgvector_is_available(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "data", port=55498)
    server.start()
    try:
        found = asyncio.run(
            _query(server.url(), "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
        )
        assert found is not None
    finally:
        server.stop()
