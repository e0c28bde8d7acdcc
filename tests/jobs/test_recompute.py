"""Recompute rebuilds drives and charging sessions from stored signals, the same every time."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from teslasync.db.engine import Database
from teslasync.jobs.recompute import recompute
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.sources.replay import replay

VIN = "5YJ3E7EA3LF700000"  # the car of the DrivingByGear and DCCharging1 captures


async def derived(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    async with db.transaction() as session:
        drives = [
            tuple(row)
            for row in await session.execute(
                text(
                    "SELECT started_at, ended_at, closed_by, distance_km, max_speed_kmh, start_odometer_km, "
                    "end_odometer_km, track FROM drives ORDER BY started_at"
                )
            )
        ]
        sessions = [
            tuple(row)
            for row in await session.execute(
                text(
                    "SELECT started_at, ended_at, charger_type, energy_added_kwh, max_power_kw, curve "
                    "FROM charging_sessions ORDER BY started_at"
                )
            )
        ]
    return drives, sessions


async def test_recompute_from_stored_signals_twice_gives_the_same(
    pipeline: Pipeline, fixtures_dir: Path
) -> None:
    await replay(pipeline, [fixtures_dir / "DCCharging1.txt", fixtures_dir / "DrivingByGear.txt"])
    result = await recompute(pipeline.db, VIN)
    assert (result.drives, result.charging_sessions) == (1, 1)
    first = await derived(pipeline.db)
    [drive], [charge] = first
    assert drive[2] == "park"
    assert drive[3] == pytest.approx((46884.57879971265 - 46882.72276387328) * 1.609344)
    assert charge[2] == "DC" and charge[3] == pytest.approx(36.25999918952584)

    await recompute(pipeline.db, VIN)
    assert await derived(pipeline.db) == first

    # from a moment inside the charging session: the session is rebuilt whole, the rest kept
    started, ended = charge[0], charge[1]
    assert isinstance(started, datetime) and isinstance(ended, datetime)
    inside = started + timedelta(minutes=5)
    assert inside < ended
    partial = await recompute(pipeline.db, VIN, since=inside)
    assert (partial.drives, partial.charging_sessions) == (1, 1), "rewound to the session's start"
    assert await derived(pipeline.db) == first


async def test_recompute_of_an_unknown_vehicle_is_a_clear_error(pipeline: Pipeline) -> None:
    from teslasync.errors import NotFound

    with pytest.raises(NotFound):
        await recompute(pipeline.db, "5YJ3E7EB2NF999999")
