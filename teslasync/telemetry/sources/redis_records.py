"""Record streams from fleet-telemetry's Redis dispatcher (`transmit_decoded_records: true`): each record is
PUBLISHed whole, as protobuf JSON, to `<namespace>_<txtype>_{<VIN>}` (txtype V, alerts, errors,
connectivity). Timestamps are exact (`createdAt`). Redis Pub/Sub keeps nothing for a consumer that is down,
so this source cannot recover a gap by itself: the stale-stream check and the poller cover it."""

from __future__ import annotations

import asyncio
import logging
import re

import redis.asyncio as redis
from redis.exceptions import RedisError

from teslasync.observability import metrics
from teslasync.telemetry.model import DeadLetter, Reason, Rejected, Source
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.records import load_json, parse_payload, record_events

log = logging.getLogger("teslasync.telemetry.records")

RECONNECT_DELAY_S = 0.5
_TXTYPES = {"V", "alerts", "errors", "connectivity"}


def channel_parts(channel: str, namespace: str) -> tuple[str, str | None]:
    """`tesla_telemetry_V_{5YJ...}` -> ("V", "5YJ..."); the VIN braces are a Redis Cluster hash tag."""
    rest = channel.removeprefix(namespace + "_")
    match = re.fullmatch(r"(?P<txtype>[A-Za-z]+)_\{?(?P<vin>[^{}]*)\}?", rest)
    if match is None or match["txtype"] not in _TXTYPES:
        raise Rejected(Reason.UNKNOWN_TOPIC, f"cannot read channel {channel[:120]!r}")
    return match["txtype"], match["vin"] or None


def to_batch(channel: str, payload: bytes, namespace: str) -> Batch:
    batch = Batch(source=Source.RECORDS.value)
    try:
        txtype, vin = channel_parts(channel, namespace)
        document = load_json(payload)
        if txtype == "V":
            batch.observations.extend(parse_payload(document, vin_hint=vin).observations)
        else:
            batch.events.extend(record_events(txtype, document, vin_hint=vin))
    except Rejected as exc:
        batch.dead.append(
            DeadLetter(
                Source.RECORDS.value,
                exc.reason,
                exc.detail,
                payload.decode("utf-8", "replace"),
                None,
                channel,
            )
        )
    return batch


class RedisRecordSource:
    def __init__(self, url: str, namespace: str, pipeline: Pipeline) -> None:
        self.client: redis.Redis = redis.from_url(url, socket_connect_timeout=2)
        self.namespace = namespace
        self.pipeline = pipeline
        self.subscribed = asyncio.Event()

    async def run(self) -> None:
        try:
            while True:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                try:
                    await pubsub.psubscribe(f"{self.namespace}_*")
                    self.subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "pmessage":
                            continue
                        channel = message["channel"]
                        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
                        data = message["data"]
                        metrics.MESSAGES_IN.labels(source="records").inc()
                        await self.pipeline.submit(
                            to_batch(
                                channel,
                                data if isinstance(data, bytes) else str(data).encode(),
                                self.namespace,
                            )
                        )
                except (RedisError, OSError) as exc:
                    self.subscribed.clear()
                    log.warning(
                        "record stream lost its Redis connection (%s); reconnecting", type(exc).__name__
                    )
                    await asyncio.sleep(RECONNECT_DELAY_S)
                finally:
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
        finally:
            await self.client.aclose()
