"""MQTT bridge for Tesla's fleet-telemetry MQTT dispatcher.

- QoS 1 with a persistent MQTT 5 session (clean start off, long session expiry), so messages published
  while TeslaSync is down or restarting wait in the broker.
- Messages are acknowledged manually, in the order received, only after the pipeline has committed them.
  `Receive Maximum` bounds how many unacknowledged messages the broker sends, which bounds memory.
- Exactly-once storage over an at-least-once transport: each committed message's packet id and digest are
  recorded in the same transaction (`mqtt_receipts`). A redelivery after a crash or reconnect keeps its
  packet id (MQTT 5 §4.4), is recognised, and is acknowledged without being stored again.
- The dispatcher publishes no timestamp: values are stamped on receipt, strictly increasing per field.
  For `TESLASYNC_MQTT_BURST_WINDOW_S` after a (re)connect, a car replays what it buffered, so those
  stamps are marked approximate.
- Several replicas share the load through `$share/<group>/...` subscriptions; each replica must have its
  own client id.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.repositories import mqtt as receipts_repo
from teslasync.observability import metrics
from teslasync.telemetry.model import DeadLetter, Form, Observation, Rejected, Source
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.records import load_json, mqtt_event, parse_topic

log = logging.getLogger("teslasync.telemetry.mqtt")

SESSION_EXPIRY_S = 7 * 24 * 3600
RECEIVE_MAXIMUM = 10_000
BATCH_MAX_MESSAGES = 2_000
RECONNECT_DELAYS_S = (0.5, 1, 2, 5, 10)


@dataclass
class BridgeState:
    """What the bridge exposes for readiness and tests."""

    connected: bool = False
    connections: int = 0
    received: int = 0
    duplicates: int = 0
    last_error: str | None = None
    connected_event: asyncio.Event = field(default_factory=asyncio.Event)


def digest(topic: str, payload: bytes) -> str:
    return hashlib.blake2b(topic.encode() + b"\0" + payload, digest_size=12).hexdigest()


class MqttBridge:
    def __init__(self, settings: Settings, db: Database, pipeline: Pipeline) -> None:
        if settings.mqtt_url is None:
            raise ValueError("TESLASYNC_MQTT_URL is not set")
        self.url = urlsplit(settings.mqtt_url.get_secret_value())
        self.base = settings.mqtt_topic_base
        self.group = settings.mqtt_shared_group
        self.client_id = settings.mqtt_client_id
        self.burst_window = timedelta(seconds=settings.mqtt_burst_window_s)
        self.db = db
        self.pipeline = pipeline
        self.state = BridgeState()
        self._last_stamp: dict[tuple[str, str], datetime] = {}
        self._car_connected: dict[str, datetime] = {}
        self._generation = 0

    def _topics(self) -> list[str]:
        prefix = f"$share/{self.group}/" if self.group else ""
        # everything under the base, so that a topic we cannot read is dead-lettered, not silently ignored
        return [f"{prefix}{self.base}/#"]

    def _client(self) -> _Client:
        connect = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        connect.SessionExpiryInterval = SESSION_EXPIRY_S
        connect.ReceiveMaximum = RECEIVE_MAXIMUM
        tls = aiomqtt.TLSParameters() if self.url.scheme == "mqtts" else None
        client = _Client(
            hostname=self.url.hostname or "localhost",
            port=self.url.port or (8883 if tls else 1883),
            username=unquote(self.url.username) if self.url.username else None,
            password=unquote(self.url.password) if self.url.password else None,
            identifier=self.client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=False,
            properties=connect,
            tls_params=tls,
            keepalive=30,
        )
        client._client.manual_ack_set(True)
        return client

    async def run(self) -> None:
        """Connect, subscribe, forward; reconnect with backoff forever (until cancelled)."""
        attempt = 0
        while True:
            try:
                await self._session()
                attempt = 0
            except aiomqtt.MqttError as exc:
                self.state.last_error = str(exc)
                delay = RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)]
                attempt += 1
                log.warning("MQTT broker unavailable (%s); reconnecting in %ss", exc, delay)
            finally:
                self.state.connected = False
                self.state.connected_event.clear()
            await asyncio.sleep(
                RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)] if attempt else 0.1
            )

    async def _session(self) -> None:
        async with self._client() as client:
            self._generation += 1
            generation = self._generation
            connected_at = datetime.now(UTC)
            # what the last connection submitted must be committed before its receipts are read, or a
            # redelivery of it would not be recognised
            await self.pipeline.drain()
            async with self.db.transaction() as session:
                seen = await receipts_repo.pending(session, self.client_id)
            for topic in self._topics():
                await client.subscribe(topic, qos=1)
            self.state.connected = True
            self.state.connections += 1
            self.state.connected_event.set()
            log.info("MQTT connected to %s (%d receipts pending)", self.url.hostname, len(seen))
            try:
                await self._forward(client, generation, connected_at, seen)
            finally:
                client.disconnect_reason()

    async def _forward(
        self, client: _Client, generation: int, connected_at: datetime, seen: dict[int, str]
    ) -> None:
        while True:
            # Take everything that has arrived (the writer merges small batches while it is busy), so that
            # a burst is read as fast as paho decodes it, not one message per event-loop round.
            messages = await client.take(BATCH_MAX_MESSAGES)
            batch = Batch(source=Source.MQTT.value)
            for message in messages:
                self._add(batch, message, connected_at, seen)
            batch.ack = self._acker(client, generation, [message.mid for message in messages])
            await self.pipeline.submit(batch)

    def _acker(self, client: aiomqtt.Client, generation: int, mids: list[int]) -> Callable[[], None]:
        def ack() -> None:
            if generation != self._generation or not self.state.connected:
                return  # that connection is gone; the broker redelivers, and the receipts catch it
            for mid in mids:
                client._client.ack(mid, 1)

        return ack

    def _stamp(self, vin: str, name: str) -> datetime:
        now = datetime.now(UTC)
        last = self._last_stamp.get((vin, name))
        if last is not None and now <= last:
            now = last + timedelta(microseconds=1)
        self._last_stamp[(vin, name)] = now
        return now

    def _add(
        self, batch: Batch, message: aiomqtt.Message, connected_at: datetime, seen: dict[int, str]
    ) -> None:
        self.state.received += 1
        metrics.MESSAGES_IN.labels(source="mqtt").inc()
        topic = str(message.topic)
        payload = message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
        key = digest(topic, payload)
        if message.qos > 0:
            # Only the first use of a packet id after connecting can be a redelivery, and a redelivery
            # carries DUP: a new message is never taken for an old one.
            earlier = seen.pop(message.mid, None)
            if getattr(message, "dup", False) and earlier == key:
                self.state.duplicates += 1
                return  # committed before a crash or reconnect; acknowledged with this batch
            batch.receipts.append((self.client_id, message.mid, key))
        received = datetime.now(UTC)
        try:
            parsed = parse_topic(topic, self.base)
            document = load_json(payload)
            if parsed.kind == "v":
                # a burst follows our reconnect, or the car's own (it replays its buffer after connecting)
                since = max(connected_at, self._car_connected.get(parsed.vin, connected_at))
                approx = received - since <= self.burst_window
                stamp = self._stamp(parsed.vin, parsed.name)
                batch.observations.append(
                    Observation(parsed.vin, parsed.name, document, Form.MQTT, stamp, approx)
                )
            else:
                events = mqtt_event(parsed, document, received)
                if parsed.kind == "connectivity" and events[-1].name == "CONNECTED":
                    self._car_connected[parsed.vin] = received
                batch.events.extend(events)
        except Rejected as exc:
            batch.dead.append(
                DeadLetter(
                    Source.MQTT.value, exc.reason, exc.detail, payload.decode("utf-8", "replace"), None, topic
                )
            )


class _Message(aiomqtt.Message):
    dup: bool = False


class _Client(aiomqtt.Client):
    """aiomqtt's client, read in bulk: messages (with their DUP flag, which aiomqtt's Message drops) go to a
    buffer that `take` empties a batch at a time. Nothing is ever discarded: with manual acknowledgement the
    broker's Receive Maximum bounds the buffer (Mosquitto honours it from 2.0.13 on)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._buffer: deque[_Message] = deque()
        self._arrived = asyncio.Event()

    def _on_message(self, client: object, userdata: object, message: Any) -> None:
        wrapped = _Message._from_paho_message(message)
        wrapped.dup = bool(message.dup)
        self._buffer.append(wrapped)
        self._arrived.set()

    def disconnect_reason(self) -> BaseException | None:
        """Why the connection ended (reading it also keeps asyncio from warning it was never read)."""
        if not self._disconnected.done() or self._disconnected.cancelled():
            return None
        return self._disconnected.exception()

    async def take(self, limit: int) -> list[_Message]:
        """At least one message, at most `limit`; raises MqttError when the connection is lost."""
        while not self._buffer:
            if self._disconnected.done():
                raise aiomqtt.MqttError("Disconnected during message iteration") from self.disconnect_reason()
            self._arrived.clear()
            arrived: asyncio.Future[Any] = asyncio.ensure_future(self._arrived.wait())
            lost: asyncio.Future[Any] = self._disconnected
            try:
                await asyncio.wait({arrived, lost}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                arrived.cancel()  # waiting on an Event holds no message: cancelling it loses nothing
        return [self._buffer.popleft() for _ in range(min(limit, len(self._buffer)))]
