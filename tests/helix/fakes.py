"""What the fake AI provider servers share: scripted replies, the request log, and failure injection.

Each fake (`fake_openai`, `fake_anthropic`, `fake_ollama`) speaks its provider's wire API over real HTTP on
a loopback port, checks what the real one checks, and answers in its shape. What the "model" says is
scripted per test:

    fake.script(Reply(content="Hello"))                                   # a text answer
    fake.script(Reply(tool_calls=[("get_drives", {"limit": 5})]))         # a tool call
    fake.script(Reply(structured={"title": "..."}))                       # the structured answer
    fake.script(Reply(content="not json", raw=True))                      # structured output gone wrong

With nothing scripted the answer echoes the last user message. `fake.requests` records every request (path,
headers, query, JSON body) so tests assert what was sent; `fake.fail(status, body=..., headers=...,
count=1, delay_s=0)` makes the next `count` requests answer that (after `delay_s`), before any check.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.live_server import serve

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass
class Reply:
    """What the fake model answers next. `structured` is the answer to a structured-output request (JSON
    text for OpenAI and Ollama, the forced tool's input for Anthropic); `raw` sends `content` as it is even
    then. `stall_s` pauses after the first streamed piece (a stream that goes quiet)."""

    content: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    structured: Any = None
    raw: bool = False
    finish: str | None = None
    stall_s: float = 0.0
    stream_error: dict[str, Any] | None = None  # sent as an error event after the first piece


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class Failure:
    remaining: int
    status: int
    body: bytes
    headers: dict[str, str]
    delay_s: float


@dataclass
class FakeServer:
    base_url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def fail(
        self,
        status: int,
        *,
        body: dict[str, Any] | str = "",
        headers: dict[str, str] | None = None,
        count: int = 1,
        delay_s: float = 0.0,
    ) -> None:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
        content_type = {"content-type": "application/json"} if isinstance(body, dict) else {}
        self.failures.append(Failure(count, status, raw, {**content_type, **(headers or {})}, delay_s))

    def reset(self) -> None:
        self.requests.clear()
        self.replies.clear()
        self.failures.clear()

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    def next_reply(self, echo: str) -> Reply:
        return self.replies.pop(0) if self.replies else Reply(content=f"echo: {echo}")

    def route(self, path: str, handler: Callable[[Request, Any], Awaitable[Response]]) -> Route:
        """`handler(request, body)`: the body parsed as JSON (or the text, when it is not JSON)."""

        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            self.requests.append(
                Recorded(request.url.path, dict(request.headers), dict(request.query_params), body)
            )
            for failure in self.failures:
                if failure.remaining > 0:
                    failure.remaining -= 1
                    if failure.delay_s:
                        await asyncio.sleep(failure.delay_s)
                    return Response(failure.body, status_code=failure.status, headers=failure.headers)
            return await handler(request, body)

        return Route(path, endpoint, methods=["POST"])


def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(document, status_code=status, headers=headers)


def vector(text: str, dims: int = 8) -> list[float]:
    """The fake embedding of `text`: deterministic, independent of the code under test."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(byte / 255.0, 4) for byte in digest[:dims]]


def words(text: str) -> list[str]:
    """`text` cut into streamable pieces that join back to it."""
    return re.findall(r"\S+\s*", text) or [text]


class Servable(Protocol):
    base_url: str

    def asgi(self) -> Starlette: ...


F = TypeVar("F", bound=Servable)


@asynccontextmanager
async def served(fake: F) -> AsyncIterator[F]:
    async with serve(fake.asgi()) as port:
        fake.base_url = f"http://127.0.0.1:{port}"
        yield fake
