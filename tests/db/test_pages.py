"""Pages of drives, charging sessions and states: one statement for many vehicles, rows as read-only records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from teslasync.db.engine import Database
from teslasync.db.models import DriveRow, VehicleStateRow
from teslasync.db.repositories.derived import Page, page_record, pages_for
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.db.stored_json import JSONText

START = datetime(2026, 3, 1, 8, tzinfo=UTC)


async def _drives(db: Database, vin: str, count: int) -> int:
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, vin)
        for n in range(count):
            session.add(
                DriveRow(
                    vehicle_id=vehicle.id,
                    started_at=START + timedelta(hours=n),
                    closed_by="park",
                    distance_km=float(n),
                    energy_used_kwh=None if n % 2 else 1.5,
                    track=[[(START + timedelta(hours=n)).isoformat(), 52.5, 13.4 + n]],
                )
            )
        return vehicle.id


async def test_a_page_reads_as_the_models_rows_do(db: Database) -> None:
    one = await _drives(db, "5YJ3E7EB2NF000501", 5)
    two = await _drives(db, "5YJ3E7EB2NF000502", 2)
    async with db.transaction() as session:
        pages = await pages_for(session, DriveRow, [one, two], Page(3, None, None, None))
        orm = {row.id: row for row in (await session.scalars(select(DriveRow))).all()}
    assert [len(pages[one]), len(pages[two])] == [4, 2]  # one more than asked for: a next page exists
    assert [record.distance_km for record in pages[one]] == [4.0, 3.0, 2.0, 1.0]  # newest first
    record = pages[one][0]
    assert type(record)._fields == tuple(column.key for column in DriveRow.__table__.columns)
    for field in type(record)._fields:
        expected = getattr(orm[record.id], field)
        assert getattr(record, field) == expected, field
    assert isinstance(record.track, JSONText) and record.track.value[0][2] == 17.4
    with pytest.raises(AttributeError):
        record.distance_km = 1.0


async def test_a_page_after_a_cursor_and_within_bounds(db: Database) -> None:
    vehicle = await _drives(db, "5YJ3E7EB2NF000503", 6)
    async with db.transaction() as session:
        first = (await pages_for(session, DriveRow, [vehicle], Page(2, None, None, None)))[vehicle]
        last = first[1]
        after = (
            await pages_for(session, DriveRow, [vehicle], Page(2, (last.started_at, last.id), None, None))
        )[vehicle]
        window = Page(10, None, START + timedelta(hours=1), START + timedelta(hours=3))
        bounded = (await pages_for(session, DriveRow, [vehicle], window))[vehicle]
    assert [r.distance_km for r in after] == [3.0, 2.0, 1.0]
    assert [r.distance_km for r in bounded] == [2.0, 1.0]


async def test_states_have_records_of_their_own(db: Database) -> None:
    async with db.transaction() as session:
        vehicle = await ensure_vehicle(session, "5YJ3E7EB2NF000504")
        session.add(VehicleStateRow(vehicle_id=vehicle.id, started_at=START, ended_at=None, state="online"))
    async with db.transaction() as session:
        [state] = (await pages_for(session, VehicleStateRow, [vehicle.id], Page(5, None, None, None)))[
            vehicle.id
        ]
    assert type(state) is page_record(VehicleStateRow)
    assert (state.state, state.started_at, state.ended_at) == ("online", START, None)
