"""Stale-stream detection and the polling fallback against a fake Fleet API served over real HTTP."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from teslasync.fleet.vehicle_data import FleetApiVehicleData
from teslasync.telemetry.model import Form, Observation
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.poller import StaleWatcher
from teslasync.telemetry.streams import StreamState
from tests.live_server import serve
from tests.telemetry.helpers import scalar

STALE_ONLINE = "5YJ3E7EB2NF000601"
STALE_ASLEEP = "5YJ3E7EB2NF000602"
LIVE = "5YJ3E7EB2NF000603"
NOW_MS = 1_767_268_800_000  # 2026-01-01T12:00:00Z


class FakeFleetApi:
    """Answers like the Fleet API; records which vehicles were asked for vehicle_data."""

    def __init__(self) -> None:
        self.data_requests: list[str] = []
        self.tokens: set[str] = set()

    def app(self) -> Starlette:
        async def vehicles(request: Request) -> JSONResponse:
            self.tokens.add(request.headers.get("authorization", ""))
            return JSONResponse(
                {
                    "response": [
                        {"vin": STALE_ONLINE, "state": "online"},
                        {"vin": STALE_ASLEEP, "state": "asleep"},
                        {"vin": LIVE, "state": "online"},
                    ],
                    "count": 3,
                }
            )

        async def vehicle_data(request: Request) -> JSONResponse:
            vin = request.path_params["vin"]
            self.data_requests.append(vin)
            if vin == STALE_ASLEEP:
                return JSONResponse({"response": None, "error": "vehicle unavailable"}, status_code=408)
            assert "location_data" in request.query_params["endpoints"]
            return JSONResponse(
                {
                    "response": {
                        "vin": vin,
                        "charge_state": {
                            "battery_level": 64,
                            "battery_range": 180.0,
                            "charging_state": "Charging",
                            "timestamp": NOW_MS,
                        },
                        "climate_state": {"inside_temp": 21.5, "outside_temp": 8.0, "timestamp": NOW_MS},
                        "drive_state": {
                            "latitude": 52.52,
                            "longitude": 13.405,
                            "gps_as_of": NOW_MS // 1000 - 5,
                            "heading": 90,
                            "speed": None,
                            "shift_state": "P",
                            "timestamp": NOW_MS,
                        },
                        "vehicle_state": {
                            "odometer": 12345.6,
                            "locked": True,
                            "car_version": "2025.2.6 abc123",
                            "tpms_pressure_fl": 2.9,
                            "timestamp": NOW_MS,
                        },
                    }
                }
            )

        return Starlette(
            routes=[
                Route("/api/1/vehicles", vehicles),
                Route("/api/1/vehicles/{vin}/vehicle_data", vehicle_data),
            ]
        )


async def test_stale_online_cars_are_polled_and_sleeping_ones_left_alone(pipeline: Pipeline) -> None:
    now = datetime.now(UTC)
    long_ago = now - timedelta(minutes=30)
    for vin, received in ((STALE_ONLINE, long_ago), (STALE_ASLEEP, long_ago), (LIVE, now)):
        await pipeline.submit(
            Batch("mqtt", [Observation(vin, "Soc", 50.0, Form.MQTT, received)], received_at=received)
        )
    await pipeline.drain()

    fake = FakeFleetApi()
    async with serve(fake.app()) as port:
        source = FleetApiVehicleData(f"http://127.0.0.1:{port}", "token-abc")
        watcher = StaleWatcher(pipeline.db, pipeline, timedelta(minutes=5), source)
        try:
            states = await watcher.check()
            await pipeline.drain()
            after = await watcher.check()
        finally:
            await source.close()

    assert states == {
        STALE_ONLINE: StreamState.STALE,
        STALE_ASLEEP: StreamState.STALE,
        LIVE: StreamState.LIVE,
    }
    assert fake.data_requests.count(STALE_ASLEEP) == 0, "an asleep car is never polled (nor woken)"
    assert LIVE not in fake.data_requests
    assert STALE_ONLINE in fake.data_requests
    assert fake.tokens == {"Bearer token-abc"}
    assert after[STALE_ONLINE] is StreamState.POLLING

    def latest(field: str) -> str:
        return (
            "SELECT {col} FROM signal_latest l JOIN vehicles v ON v.id = l.vehicle_id "
            f"WHERE v.vin = '{STALE_ONLINE}' AND l.field = '{field}'"
        )

    odometer = await scalar(pipeline.db, latest("Odometer").format(col="num"))
    assert math.isclose(odometer, 12345.6 * 1.609344)  # type: ignore[arg-type]
    rated = await scalar(pipeline.db, latest("RatedRange").format(col="num"))
    assert math.isclose(rated, 180.0 * 1.609344)  # type: ignore[arg-type]
    assert await scalar(pipeline.db, latest("DetailedChargeState").format(col="txt")) == "Charging"
    assert await scalar(pipeline.db, latest("Gear").format(col="txt")) == "P"
    assert await scalar(pipeline.db, latest("Version").format(col="txt")) == "2025.2.6"
    assert await scalar(pipeline.db, latest("BatteryLevel").format(col="ts")) == datetime(
        2026, 1, 1, 12, tzinfo=UTC
    )
    assert await scalar(pipeline.db, latest("Location").format(col="ts")) == datetime(
        2026, 1, 1, 11, 59, 55, tzinfo=UTC
    )
    assert (
        await scalar(pipeline.db, latest("VehicleSpeed").format(col="num")) is None
    )  # parked: no valid value


async def test_a_silent_car_the_vehicle_list_calls_asleep_is_asleep_in_the_timeline(
    pipeline: Pipeline,
) -> None:
    from teslasync.jobs.derivation import live_derivation

    live_derivation(pipeline)
    long_ago = datetime.now(UTC) - timedelta(minutes=30)
    await pipeline.submit(
        Batch("mqtt", [Observation(STALE_ASLEEP, "Soc", 50.0, Form.MQTT, long_ago)], received_at=long_ago)
    )
    await pipeline.drain()
    fake = FakeFleetApi()
    async with serve(fake.app()) as port:
        source = FleetApiVehicleData(f"http://127.0.0.1:{port}", "token-abc")
        watcher = StaleWatcher(pipeline.db, pipeline, timedelta(minutes=5), source)
        try:
            await watcher.check()
            await pipeline.drain()
            await watcher.check()  # the timeline says asleep now: not reported again
            await pipeline.drain()
        finally:
            await source.close()
    state_sql = f"SELECT state FROM vehicles WHERE vin = '{STALE_ASLEEP}'"
    assert await scalar(pipeline.db, state_sql) == "asleep"
    events_sql = "SELECT count(*) FROM vehicle_events WHERE kind = 'connectivity' AND name = 'ASLEEP'"
    assert await scalar(pipeline.db, events_sql) == 1
    assert fake.data_requests.count(STALE_ASLEEP) == 0
