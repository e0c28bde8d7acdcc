"""The telemetry machinery of one process: fan-out, pipeline and sources, started and stopped together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.repositories.signals import prepare_partitions
from teslasync.db.storage import Strategy
from teslasync.fleet.vehicle_data import FleetApiVehicleData, VehicleDataSource
from teslasync.observability import metrics
from teslasync.telemetry.fanout import Fanout, LocalFanout, SignalUpdate
from teslasync.telemetry.pipeline import Pipeline
from teslasync.telemetry.poller import StaleWatcher
from teslasync.telemetry.redis_fanout import RedisFanout, RedisLatest

if TYPE_CHECKING:
    from teslasync.telemetry.sources.mqtt import MqttBridge
    from teslasync.telemetry.sources.redis_records import RedisRecordSource

log = logging.getLogger("teslasync.telemetry")
PARTITION_CHECK_S = 12 * 3600


class TelemetryRuntime:
    def __init__(self, settings: Settings, db: Database, fanout: Fanout | None = None) -> None:
        self.settings = settings
        self.db = db
        self.l2: RedisLatest | None = None
        if fanout is None and settings.redis_url is not None:
            redis_fanout = RedisFanout(settings.redis_url.get_secret_value())
            self.l2 = RedisLatest(redis_fanout.client)
            fanout = redis_fanout
        self.fanout: Fanout = fanout or LocalFanout()
        self.pipeline = Pipeline(
            db,
            self.fanout,
            allowed_vins=frozenset(settings.allowed_vins) or None,
            max_batch=settings.ingest_max_batch,
            on_stored=self._to_l2 if self.l2 is not None else None,
        )
        self.stale_after = timedelta(seconds=settings.stale_after_s)
        self._sources: list[asyncio.Task[None]] = []
        # long-running work of other floors that lives as long as the telemetry does (live derivation)
        self.companions: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.mqtt: MqttBridge | None = None
        self.watcher: StaleWatcher | None = None
        self.records: RedisRecordSource | None = None
        self._fleet: FleetApiVehicleData | None = None
        # set by the app: the connected Tesla accounts, used unless the interim URL and token are configured
        self.accounts_source: VehicleDataSource | None = None

    def _vehicle_data_source(self) -> VehicleDataSource | None:
        if self.settings.fleet_api_url is None or self.settings.fleet_api_token is None:
            return self.accounts_source
        self._fleet = FleetApiVehicleData(
            self.settings.fleet_api_url, self.settings.fleet_api_token.get_secret_value()
        )
        return self._fleet

    async def _to_l2(self, updates: list[SignalUpdate]) -> None:
        """L2 is a cache: a Redis outage must not hold back acknowledgements of durable data."""
        assert self.l2 is not None
        try:
            await self.l2.apply(updates)
        except (RedisError, OSError) as exc:
            metrics.L2_FAILURES.inc()
            log.warning("latest-value cache write failed (%s)", type(exc).__name__)

    async def _maintain_partitions(self) -> None:
        """Plain storage partitions signals by month: the months ahead are prepared at start and twice a
        day, so a service that runs for months never fills the catch-all default partition."""
        while True:
            try:
                async with self.db.transaction() as session:
                    created = await prepare_partitions(session)
                if created:
                    log.info("prepared %d monthly signal partitions", created)
            except Exception:  # the loop must outlive a database outage
                log.exception("preparing signal partitions failed")
            await asyncio.sleep(PARTITION_CHECK_S)

    async def start(self) -> None:
        await self.fanout.start()
        await self.pipeline.start()
        if self.pipeline.strategy is Strategy.PLAIN:
            self._sources.append(asyncio.create_task(self._maintain_partitions(), name="signal-partitions"))
        for companion in self.companions:
            self._sources.append(asyncio.create_task(companion(), name=f"telemetry-{companion.__name__}"))
        self.watcher = StaleWatcher(self.db, self.pipeline, self.stale_after, self._vehicle_data_source())
        self._sources.append(asyncio.create_task(self.watcher.run(), name="telemetry-stale-watcher"))
        if self.settings.demo:
            self._sources.append(asyncio.create_task(self._simulate(), name="telemetry-source-simulator"))
        if self.settings.records_namespace is not None and self.settings.redis_url is not None:
            from teslasync.telemetry.sources.redis_records import RedisRecordSource

            self.records = RedisRecordSource(
                self.settings.redis_url.get_secret_value(), self.settings.records_namespace, self.pipeline
            )
            self._sources.append(asyncio.create_task(self.records.run(), name="telemetry-source-records"))
        if self.settings.mqtt_url is not None:
            from teslasync.telemetry.sources.mqtt import MqttBridge

            self.mqtt = MqttBridge(self.settings, self.db, self.pipeline)
            self._sources.append(asyncio.create_task(self.mqtt.run(), name="telemetry-source-mqtt"))

    async def _simulate(self) -> None:
        """Demo mode: simulated cars stream in-process, the first one being the registered demo car."""
        from datetime import UTC, datetime

        from teslasync.demo import DEMO_NAME
        from teslasync.telemetry.sources.simulator import SimulatedCar, demo_vins, run_in_process

        start = datetime.now(UTC)
        cars = [
            SimulatedCar(
                vin,
                seed=index + 1,
                start=start,
                name=DEMO_NAME if index == 0 else None,
                speedup=self.settings.demo_speedup,
            )
            for index, vin in enumerate(demo_vins(self.settings.demo_vehicles))
        ]
        await run_in_process(self.pipeline, cars, tick_s=1.0)

    async def stop(self) -> None:
        for task in self._sources:
            task.cancel()
        await asyncio.gather(*self._sources, return_exceptions=True)
        self._sources.clear()
        await self.pipeline.stop(self.settings.shutdown_grace_s)
        await self.fanout.stop()
        if self._fleet is not None:
            await self._fleet.close()
