"""Dead letters, car events and stream health: the rest of the telemetry write path."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import DeadLetterRow, VehicleStream

PAYLOAD_KEEP_BYTES = 4096


@dataclass(frozen=True, slots=True)
class DeadLetterWrite:
    source: str
    reason: str
    detail: str
    payload: str
    vin: str | None
    field: str | None


@dataclass(frozen=True, slots=True)
class EventWrite:
    vehicle_id: int
    kind: str
    name: str
    ts: datetime
    doc: object


def _text(value: str) -> str:
    """Dead letters keep what arrived, but PostgreSQL text cannot hold NUL: escape it visibly."""
    return value.replace("\x00", "\\u0000")


async def write_dead_letters(session: AsyncSession, letters: Sequence[DeadLetterWrite]) -> None:
    if letters:
        session.add_all(
            DeadLetterRow(
                source=letter.source,
                reason=letter.reason,
                detail=_text(letter.detail)[:500],
                payload=_text(letter.payload)[:PAYLOAD_KEEP_BYTES],
                vin=_text(letter.vin)[:64] if letter.vin else None,
                field=_text(letter.field)[:200] if letter.field else None,
            )
            for letter in letters
        )
        await session.flush()


async def write_events(session: AsyncSession, events: Sequence[EventWrite]) -> None:
    if not events:
        return
    await session.execute(
        text(
            """
            INSERT INTO vehicle_events (vehicle_id, kind, name, ts, doc)
            SELECT v, k, n, t, CAST(d AS jsonb)
            FROM unnest(CAST(:v AS bigint[]), CAST(:k AS text[]), CAST(:n AS text[]),
                        CAST(:t AS timestamptz[]), CAST(:d AS text[])) AS u(v, k, n, t, d)
            ON CONFLICT DO NOTHING
            """
        ),
        {
            "v": [event.vehicle_id for event in events],
            "k": [event.kind for event in events],
            "n": [event.name for event in events],
            "t": [event.ts for event in events],
            "d": [json.dumps(event.doc, separators=(",", ":"), default=str) for event in events],
        },
    )


@dataclass(frozen=True, slots=True)
class StreamTouch:
    vehicle_id: int
    source: str
    seen_at: datetime
    data_at: datetime | None
    connectivity: str | None
    connectivity_at: datetime | None


async def touch_streams(session: AsyncSession, touches: Sequence[StreamTouch]) -> None:
    """Times only move forward; the connectivity status is the one that arrived last."""
    if not touches:
        return
    await session.execute(
        text(
            """
            INSERT INTO vehicle_streams AS s
                (vehicle_id, source, last_seen_at, last_data_at, connectivity, connectivity_at)
            SELECT * FROM unnest(CAST(:v AS bigint[]), CAST(:src AS text[]), CAST(:seen AS timestamptz[]),
                                 CAST(:data AS timestamptz[]), CAST(:c AS text[]), CAST(:cat AS timestamptz[]))
            ON CONFLICT (vehicle_id, source) DO UPDATE
            SET last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at),
                last_data_at = greatest(s.last_data_at, excluded.last_data_at),
                connectivity = CASE WHEN excluded.connectivity_at >= coalesce(s.connectivity_at, '-infinity')
                                    THEN excluded.connectivity ELSE s.connectivity END,
                connectivity_at = greatest(s.connectivity_at, excluded.connectivity_at)
            """
        ),
        {
            "v": [t.vehicle_id for t in touches],
            "src": [t.source for t in touches],
            "seen": [t.seen_at for t in touches],
            "data": [t.data_at for t in touches],
            "c": [t.connectivity for t in touches],
            "cat": [t.connectivity_at for t in touches],
        },
    )


async def streams_for(session: AsyncSession, vehicle_ids: Sequence[int]) -> Sequence[VehicleStream]:
    return (
        await session.scalars(select(VehicleStream).where(VehicleStream.vehicle_id.in_(vehicle_ids)))
    ).all()
