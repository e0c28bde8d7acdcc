"""Tracks and curves are selected as JSON text and parsed only where they are used."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import select, text, update

from teslasync.db.engine import Database
from teslasync.db.models import DriveRow
from teslasync.db.repositories.exports import DRIVE_COLUMNS, Kind
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.db.stored_json import JSONText, parsed

TRACK = [["2026-01-01T10:00:00+00:00", 52.52, 13.405], ["2026-01-01T10:00:05+00:00", 52.521, 13.41]]
START = datetime(2026, 1, 1, 10, tzinfo=UTC)


async def _drive(db: Database, track: object) -> int:
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, "5YJ3E7EB2NF000301")
        row = DriveRow(
            vehicle_id=vehicle.id, started_at=START, closed_by="park", distance_km=1.0, track=track
        )
        session.add(row)
        await session.flush()
        return row.id


async def test_a_track_reads_back_as_its_text_and_parses_once(db: Database) -> None:
    drive_id = await _drive(db, TRACK)
    async with db.transaction() as session:
        session.expunge_all()
        stored = (await session.scalars(select(DriveRow.track).where(DriveRow.id == drive_id))).one()
        assert isinstance(stored, JSONText)
        assert orjson.loads(stored.text) == TRACK
        assert stored.value == TRACK and stored.value is stored.value
        assert parsed(stored) == TRACK and stored == TRACK
        # the column is JSONB in the table: PostgreSQL still sees a document
        kind = await session.scalar(
            text("SELECT jsonb_typeof(track) FROM drives WHERE id = :id"), {"id": drive_id}
        )
        assert kind == "array"


async def test_a_read_track_written_back_stays_the_same_document(db: Database) -> None:
    drive_id = await _drive(db, TRACK)
    async with db.transaction() as session:
        session.expunge_all()
        row = (await session.scalars(select(DriveRow).where(DriveRow.id == drive_id))).one()
        assert isinstance(row.track, JSONText)
        await session.execute(update(DriveRow).where(DriveRow.id == drive_id).values(track=row.track))
        stored = await session.scalar(text("SELECT track FROM drives WHERE id = :id"), {"id": drive_id})
        assert stored == TRACK


@pytest.mark.parametrize("track", [None, []])
async def test_an_empty_or_missing_track(db: Database, track: object) -> None:
    drive_id = await _drive(db, track)
    async with db.transaction() as session:
        session.expunge_all()
        stored = (await session.scalars(select(DriveRow.track).where(DriveRow.id == drive_id))).one()
        assert parsed(stored) == track


def test_exports_still_see_a_json_column() -> None:
    [track] = [column for column in DRIVE_COLUMNS if column.name == "track"]
    assert track.kind is Kind.JSON
