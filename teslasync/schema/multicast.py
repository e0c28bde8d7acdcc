"""Shared subscriptions: subscribers asking the same thing (the same document, variables and principal)
share one execution, whose results each of them receives. A thousand dashboards watching one car cost one
GraphQL execution per update instead of a thousand.

Each subscriber has a bounded mailbox: a subscriber that cannot keep up loses the oldest results (values are
conflated per field upstream already), never the process's memory. The shared execution ends when its last
subscriber leaves.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable
from typing import Any

MAILBOX = 64
_END = object()


class _Mailbox:
    def __init__(self) -> None:
        self.items: deque[Any] = deque(maxlen=MAILBOX)  # a full deque drops its oldest on append
        self.wake = asyncio.Event()
        self.end: object | None = None

    def offer(self, item: Any) -> None:
        self.items.append(item)
        self.wake.set()

    def close(self, end: object) -> None:
        self.end = end
        self.wake.set()

    async def take(self) -> Any:
        while not self.items:
            if self.end is not None:
                return self.end
            self.wake.clear()
            await self.wake.wait()
        return self.items.popleft()


class _Channel:
    def __init__(self, source: AsyncIterator[Any], on_end: Callable[[], None]) -> None:
        self.source = source
        self.on_end = on_end
        self.boxes: set[_Mailbox] = set()
        self.ended = False
        self.task = asyncio.create_task(self._pump(), name="graphql-shared-subscription")

    async def _pump(self) -> None:
        end: object = _END
        try:
            async for result in self.source:
                for box in tuple(self.boxes):
                    box.offer(result)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every subscriber gets it, as its own execution would have
            end = exc
        finally:
            self._finish(end)
            aclose = getattr(self.source, "aclose", None)
            if aclose is not None:
                await asyncio.shield(aclose())

    def _finish(self, end: object) -> None:
        if not self.ended:
            self.ended = True
            self.on_end()
        for box in tuple(self.boxes):
            box.close(end)

    def leave(self, box: _Mailbox) -> None:
        self.boxes.discard(box)
        if not self.boxes and not self.ended:
            self.ended = True
            self.on_end()
            self.task.cancel()


class Multicast:
    """The shared executions of one server, by what they ask."""

    def __init__(self) -> None:
        self._channels: dict[Hashable, _Channel] = {}
        self.executions = 0  # shared executions started (for tests and metrics)

    @property
    def open(self) -> int:
        return len(self._channels)

    async def listen(
        self, key: Hashable, open_source: Callable[[], AsyncIterator[Any]]
    ) -> AsyncGenerator[Any, None]:
        """The results of the execution for `key`, started with `open_source()` if none is running."""
        channel = self._channels.get(key)
        if channel is None or channel.ended:
            self.executions += 1
            channel = _Channel(open_source(), lambda: self._forget(key))
            self._channels[key] = channel
        box = _Mailbox()
        channel.boxes.add(box)
        try:
            while True:
                item = await box.take()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            channel.leave(box)

    def _forget(self, key: Hashable) -> None:
        channel = self._channels.get(key)
        if channel is not None and channel.ended:
            del self._channels[key]
