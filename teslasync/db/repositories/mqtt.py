"""Receipts of committed MQTT messages: how a redelivery is recognised.

One row per client id and packet id, overwritten when the broker reuses the packet id, so the table
holds at most 65,535 rows per client. Rows are not deleted on acknowledgement: a PUBACK we sent may
never have reached the broker (the connection dropped), and then the message comes back."""

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


async def pending(session: AsyncSession, client_id: str) -> dict[int, str]:
    rows = await session.execute(
        text("SELECT mid, digest FROM mqtt_receipts WHERE client_id = :c"), {"c": client_id}
    )
    return {row.mid: row.digest for row in rows}
