from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from teslasync.db.engine import Database


async def scalar(db: Database, sql: str, **params: object) -> object:
    async with db.transaction() as session:
        return await session.scalar(text(sql), params)


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 20.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{what} not reached within {timeout_s}s")


async def wait_for_count(
    db: Database, sql: str, expected: int, timeout_s: float = 30.0, **params: object
) -> None:
    last: list[object] = [None]

    async def reached() -> bool:
        last[0] = await scalar(db, sql, **params)
        return last[0] == expected

    try:
        await wait_until(reached, timeout_s, sql)
    except TimeoutError:
        raise AssertionError(f"{sql!r}: expected {expected}, last saw {last[0]}") from None
