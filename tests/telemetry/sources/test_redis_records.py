"""Record streams from a real Redis, published the way fleet-telemetry's Redis dispatcher does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import redis.asyncio as redis

from teslasync.db.engine import Database
from teslasync.telemetry.runtime import TelemetryRuntime
from tests.conftest import make_settings
from tests.telemetry.helpers import scalar, wait_for_count

VIN = "XP7YGCEK9PB000000"


async def test_records_alerts_and_connectivity(tmp_path: Path, fresh_db: Database, redis_port: int) -> None:
    settings = make_settings(
        tmp_path, redis_url=f"redis://127.0.0.1:{redis_port}/3", records_namespace="tesla_telemetry"
    )
    runtime = TelemetryRuntime(settings, fresh_db)
    await runtime.start()
    publisher = redis.from_url(f"redis://127.0.0.1:{redis_port}/3")
    try:
        assert runtime.records is not None
        await asyncio.wait_for(runtime.records.subscribed.wait(), 5)
        record = {
            "data": [
                {"key": "Gear", "value": {"shiftStateValue": "ShiftStateD"}},
                {"key": "VehicleSpeed", "value": {"doubleValue": 31.068559611866696}},
            ],
            "createdAt": "2025-01-30T19:45:58.068196243Z",
            "vin": VIN,
            "isResend": False,
        }
        await publisher.publish("tesla_telemetry_V_{" + VIN + "}", json.dumps(record))
        await publisher.publish(
            "tesla_telemetry_connectivity_{" + VIN + "}",
            json.dumps(
                {"vin": VIN, "connectionId": "c1", "status": "CONNECTED", "createdAt": "2025-01-30T19:45:50Z"}
            ),
        )
        await publisher.publish(
            "tesla_telemetry_alerts_{" + VIN + "}",
            json.dumps({"vin": VIN, "alerts": [{"name": "BMS_a066", "startedAt": "2025-01-30T19:40:00Z"}]}),
        )
        await publisher.publish("tesla_telemetry_V_{" + VIN + "}", b"\x08\x01binary protobuf")
        await publisher.publish("tesla_telemetry_Q_{" + VIN + "}", b"{}")
        await wait_for_count(fresh_db, "SELECT count(*) FROM signals", 2)
        await wait_for_count(fresh_db, "SELECT count(*) FROM vehicle_events", 2)
        await wait_for_count(fresh_db, "SELECT count(*) FROM dead_letters", 2)
        speed = await scalar(fresh_db, "SELECT num FROM signals WHERE field = 'VehicleSpeed'")
        assert round(speed, 6) == 50.0  # type: ignore[call-overload]
        exact = await scalar(fresh_db, "SELECT ts FROM signals WHERE field = 'Gear'")
        assert exact.isoformat() == "2025-01-30T19:45:58.068196+00:00"  # type: ignore[union-attr]
        reasons = await scalar(fresh_db, "SELECT string_agg(reason, ',' ORDER BY reason) FROM dead_letters")
        assert reasons == "not_json,unknown_topic"
    finally:
        await publisher.aclose()
        await runtime.stop()
