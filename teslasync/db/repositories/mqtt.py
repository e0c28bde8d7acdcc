"""Receipts of MQTT messages committed but perhaps not yet acknowledged: how a redelivery is recognised."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def record(session: AsyncSession, receipts: Sequence[tuple[str, int, str]]) -> None:
    if not receipts:
        return
    await session.execute(
        text(
            """
            INSERT INTO mqtt_receipts AS r (client_id, mid, digest)
            SELECT * FROM unnest(CAST(:c AS text[]), CAST(:m AS integer[]), CAST(:d AS text[]))
            ON CONFLICT (client_id, mid) DO UPDATE SET digest = excluded.digest, committed_at = now()
            """
        ),
        {"c": [r[0] for r in receipts], "m": [r[1] for r in receipts], "d": [r[2] for r in receipts]},
    )


async def forget(session: AsyncSession, acknowledged: Sequence[tuple[str, int]]) -> None:
    if not acknowledged:
        return
    await session.execute(
        text(
            "DELETE FROM mqtt_receipts WHERE (client_id, mid) IN "
            "(SELECT * FROM unnest(CAST(:c AS text[]), CAST(:m AS integer[])))"
        ),
        {"c": [a[0] for a in acknowledged], "m": [a[1] for a in acknowledged]},
    )


async def pending(session: AsyncSession, client_id: str) -> dict[int, str]:
    rows = await session.execute(
        text("SELECT mid, digest FROM mqtt_receipts WHERE client_id = :c"), {"c": client_id}
    )
    return {row.mid: row.digest for row in rows}
