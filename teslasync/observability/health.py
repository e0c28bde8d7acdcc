"""Readiness checks: the database always, Redis and the MQTT broker when configured."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from teslasync.config import Settings
from teslasync.db.engine import Database

CHECK_TIMEOUT_S = 2.0


@dataclass
class CheckResult:
    ok: bool
    latency_ms: float
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {"ok": self.ok, "latencyMs": round(self.latency_ms, 1)}
        if self.error:
            body["error"] = self.error
        return body


async def _timed(check: Callable[[], Awaitable[None]]) -> CheckResult:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await check()
    except TimeoutError:
        return CheckResult(False, (time.perf_counter() - started) * 1000, "timed out")
    except Exception as exc:  # a readiness probe reports every failure, it never raises
        return CheckResult(False, (time.perf_counter() - started) * 1000, type(exc).__name__)
    return CheckResult(True, (time.perf_counter() - started) * 1000)


async def _redis_ping(url: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _mqtt_connect(url: str) -> None:
    import aiomqtt

    parts = urlsplit(url)
    tls = aiomqtt.TLSParameters() if parts.scheme == "mqtts" else None
    async with aiomqtt.Client(
        hostname=parts.hostname or "localhost",
        port=parts.port or (8883 if tls else 1883),
        username=parts.username,
        password=parts.password,
        tls_params=tls,
        timeout=CHECK_TIMEOUT_S,
    ):
        pass


async def readiness(settings: Settings, db: Database) -> dict[str, CheckResult]:
    checks: dict[str, Callable[[], Awaitable[None]]] = {"database": db.ping}
    if settings.redis_url is not None:
        redis_url = settings.redis_url.get_secret_value()
        checks["redis"] = lambda: _redis_ping(redis_url)
    if settings.mqtt_url is not None:
        mqtt_url = settings.mqtt_url.get_secret_value()
        checks["mqtt"] = lambda: _mqtt_connect(mqtt_url)
    results = await asyncio.gather(*(_timed(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))
