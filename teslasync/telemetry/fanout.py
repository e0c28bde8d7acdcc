"""Pub/sub fan-out of stored values to live subscribers (GraphQL subscriptions, derivations).

Each subscriber has a bounded, conflating mailbox: the latest update per field wins, so a slow subscriber
costs at most one pending update per field it watches, never an unbounded queue. When the transport had a
gap (a Redis reconnect), subscribers are told so and can re-read the latest values.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from teslasync.telemetry.model import JSON


@dataclass(frozen=True, slots=True)
class SignalUpdate:
    vin: str
    name: str
    value: JSON
    unit: str | None
    at: datetime
    approx: bool = False


@dataclass(slots=True)
class Delivery:
    """What a subscriber receives: the newest update per field since its last read, and whether updates
    may have been lost in between (`gap`)."""

    updates: list[SignalUpdate]
    gap: bool = False


@dataclass(eq=False)
class Mailbox:
    vin: str
    names: frozenset[str] | None
    pending: dict[str, SignalUpdate] = field(default_factory=dict)
    gap: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    conflated: int = 0

    def offer(self, update: SignalUpdate) -> None:
        if self.names is not None and update.name not in self.names:
            return
        current = self.pending.get(update.name)
        if current is not None:
            if current.at > update.at:
                return
            self.conflated += 1
        self.pending[update.name] = update
        self.wake.set()

    def mark_gap(self) -> None:
        self.gap = True
        self.wake.set()

    async def take(self) -> Delivery:
        await self.wake.wait()
        self.wake.clear()
        delivery = Delivery(sorted(self.pending.values(), key=lambda u: u.at), self.gap)
        self.pending, self.gap = {}, False
        return delivery


class Fanout(Protocol):
    async def publish(self, vin: str, updates: list[SignalUpdate]) -> None: ...

    def subscribe(self, vin: str, names: Iterable[str] | None = None) -> AsyncIterator[Delivery]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class LocalFanout:
    """In-process fan-out: the embedded default, and the local half of the Redis fan-out."""

    def __init__(self) -> None:
        self._boxes: dict[str, set[Mailbox]] = defaultdict(set)

    def deliver(self, vin: str, updates: Iterable[SignalUpdate]) -> None:
        boxes = self._boxes.get(vin)
        if not boxes:
            return
        for update in updates:
            for box in boxes:
                box.offer(update)

    def mark_gap(self) -> None:
        for boxes in self._boxes.values():
            for box in boxes:
                box.mark_gap()

    async def publish(self, vin: str, updates: list[SignalUpdate]) -> None:
        self.deliver(vin, updates)

    async def subscribe(self, vin: str, names: Iterable[str] | None = None) -> AsyncIterator[Delivery]:
        box = Mailbox(vin, frozenset(names) if names is not None else None)
        self._boxes[vin].add(box)
        try:
            while True:
                yield await box.take()
        finally:
            self._boxes[vin].discard(box)
            if not self._boxes[vin]:
                del self._boxes[vin]

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
