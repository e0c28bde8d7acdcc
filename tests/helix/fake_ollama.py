"""A fake Ollama server (`POST /api/chat`, `POST /api/embed`) over real HTTP.

    async with served(FakeOllama()) as fake:
        ollama.AsyncClient(host=fake.base_url)

Checks what Ollama checks, answering `{"error": "..."}`: a `model` (400 `model is required`) that has been
pulled (404 `model "x" not found, try pulling it first`); messages with known roles, an assistant turn's
`tool_calls` arguments an object (not a JSON string); tools as `{"type": "function", "function": {"name",
"parameters"}}`; `format` `""`, `"json"` or a JSON schema object. `stream` defaults to true, as in Ollama.

The answer: `message` (`content`, `tool_calls` with object arguments), `done`, `done_reason`,
`prompt_eval_count`, `eval_count`; with a schema `format` the content is the reply's `structured` value as
JSON. Streaming is NDJSON: one line per piece (`done: false`), tool calls in a line of their own, the last
line `done: true` with the counts; a reply's `stream_error` is sent as an `{"error"}` line after the first
piece. Embeddings take a string or a list of strings and answer `embeddings` and `prompt_eval_count`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tests.helix.fakes import TOOL_NAME, FakeServer, Reply, json_response, vector, words

CHAT_MODEL = "llama3.1:8b"
EMBEDDING_MODEL = "nomic-embed-text"
PULLED = {CHAT_MODEL, f"{CHAT_MODEL.split(':')[0]}:latest", EMBEDDING_MODEL, f"{EMBEDDING_MODEL}:latest"}
ROLES = {"system", "user", "assistant", "tool"}


def error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def model_refusal(body: Any) -> Response | None:
    if not isinstance(body, dict):
        return error(400, "invalid character looking for beginning of value")
    model = body.get("model")
    if not model:
        return error(400, "model is required")
    if model not in PULLED and f"{model}:latest" not in PULLED:
        return error(404, f'model "{model}" not found, try pulling it first')
    return None


def chat_problem(body: dict[str, Any]) -> str | None:
    messages = body.get("messages") or []
    for message in messages:
        if message.get("role") not in ROLES:
            return f"invalid role: {message.get('role')}"
        for call in message.get("tool_calls") or []:
            if not isinstance(call.get("function", {}).get("arguments"), dict):
                return (
                    "json: cannot unmarshal string into Go struct field ToolCallFunction.messages.tool_calls."
                    "function.arguments of type api.ToolCallFunctionArguments"
                )
    for tool in body.get("tools") or []:
        function = tool.get("function") or {}
        if tool.get("type") != "function" or not TOOL_NAME.match(str(function.get("name", ""))):
            return "invalid tool definition"
    if body.get("format") not in (None, "", "json") and not isinstance(body.get("format"), dict):
        return f"invalid format: {json.dumps(body.get('format'))}"
    return None


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class FakeOllama(FakeServer):
    def asgi(self) -> Starlette:
        return Starlette(routes=[self.route("/api/chat", self._chat), self.route("/api/embed", self._embed)])

    async def _chat(self, request: Request, body: Any) -> Response:
        if (refused := model_refusal(body)) is not None:
            return refused
        if (problem := chat_problem(body)) is not None:
            return error(400, problem)
        messages = body.get("messages") or []
        last_user = next(
            (str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        reply = self.next_reply(last_user)
        structured = isinstance(body.get("format"), dict) and not reply.raw
        content = (
            json.dumps(reply.structured if reply.structured is not None else {})
            if structured
            else reply.content
        )
        calls = [{"function": {"name": name, "arguments": arguments}} for name, arguments in reply.tool_calls]
        counts = {
            "prompt_eval_count": sum(len(words(str(m.get("content", "")))) for m in messages),
            "eval_count": len(words(content)) if content else 0,
        }
        final = {
            "model": body["model"],
            "created_at": now(),
            "done": True,
            "done_reason": reply.finish or "stop",
            "total_duration": 1_000_000,
            "load_duration": 1_000,
            "prompt_eval_duration": 1_000,
            "eval_duration": 1_000,
            **counts,
        }
        if body.get("stream", True):
            return StreamingResponse(
                self._lines(body["model"], content, calls, final, reply), media_type="application/x-ndjson"
            )
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if calls:
            message["tool_calls"] = calls
        return json_response(200, {**final, "message": message})

    async def _lines(
        self, model: str, content: str, calls: list[dict[str, Any]], final: dict[str, Any], reply: Reply
    ) -> AsyncIterator[bytes]:
        def line(document: dict[str, Any]) -> bytes:
            return json.dumps(document).encode() + b"\n"

        for number, piece in enumerate(words(content) if content else []):
            message = {"role": "assistant", "content": piece}
            yield line({"model": model, "created_at": now(), "message": message, "done": False})
            if number == 0 and reply.stall_s:
                await asyncio.sleep(reply.stall_s)
            if number == 0 and reply.stream_error is not None:
                yield line(reply.stream_error)
                return
        if calls:
            with_calls = {"role": "assistant", "content": "", "tool_calls": calls}
            yield line({"model": model, "created_at": now(), "message": with_calls, "done": False})
        yield line({**final, "message": {"role": "assistant", "content": ""}})

    async def _embed(self, request: Request, body: Any) -> Response:
        if (refused := model_refusal(body)) is not None:
            return refused
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            return error(400, "invalid input type")
        document = {
            "model": body["model"],
            "embeddings": [vector(text) for text in texts],
            "total_duration": 1_000_000,
            "load_duration": 1_000,
            "prompt_eval_count": sum(len(words(text)) for text in texts),
        }
        return json_response(200, document)
