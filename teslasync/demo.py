"""Demo mode: the simulated car that `make run` shows, registered before its first telemetry arrives
(the simulator in `teslasync.telemetry.sources.simulator` then streams it live)."""

from __future__ import annotations

from teslasync.db.engine import Database
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.vin import model_from_vin

DEMO_VIN = "5YJ3E7EB2NF000001"
DEMO_NAME = "Demo Model 3"


async def seed_demo(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_vehicle(session, DEMO_VIN, model=model_from_vin(DEMO_VIN), display_name=DEMO_NAME)
