"""A fake Anthropic Messages API (`POST /v1/messages`) over real HTTP.

    async with served(FakeAnthropic()) as fake:
        AsyncAnthropic(api_key=ANTHROPIC_KEY, base_url=fake.base_url)

Checks what the API checks, answering `{"type": "error", "error": {"type", "message"}}`: the key, as
`x-api-key` or, as this SDK sends it, `Authorization: Bearer` (401 `authentication_error`), and
`anthropic-version` (400); no unknown top-level field; a known `model` (404
`not_found_error`); `max_tokens`; messages only `user`/`assistant` (the system prompt is a parameter), the
first a user turn, text blocks non-empty; `tool_use`/`tool_result` blocks only when tools are defined,
every `tool_use` answered by a `tool_result` in the very next turn and no `tool_result` without its
`tool_use`; tools with a name and an object `input_schema`; `tool_choice` `auto`/`any`/`none`, or `tool`
naming a defined tool.

The answer: text and `tool_use` blocks, `stop_reason` (`end_turn`, `tool_use`, or the reply's `finish`),
`usage` (`input_tokens`, `output_tokens`). A forced tool (`tool_choice: tool`) is always called, with the
reply's `structured` value as its input; `any` calls the scripted tools or else the first one. Streaming
is SSE: `message_start`, per block `content_block_start`/`_delta` (`text_delta`, `input_json_delta`)/`_stop`,
a `ping`, `message_delta` (stop reason, output tokens), `message_stop`; a reply's `stream_error` is sent as an
`error` event after the first piece.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tests.helix.fakes import TOOL_NAME, FakeServer, Reply, json_response, words

ANTHROPIC_KEY = "sk-ant-api03-FAKEanthropicKEY0123456789abcdefghijklmnop"
CLAUDE_MODEL = "claude-haiku-4-5"
FIELDS = {
    "model",
    "messages",
    "max_tokens",
    "system",
    "tools",
    "tool_choice",
    "stream",
    "metadata",
    "stop_sequences",
    "temperature",
    "top_p",
    "top_k",
    "thinking",
    "output_config",
    "service_tier",
}


def error(status: int, kind: str, message: str) -> Response:
    return json_response(status, {"type": "error", "error": {"type": kind, "message": message}})


def bearer(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    return authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None


def invalid(message: str) -> Response:
    return error(400, "invalid_request_error", message)


def blocks_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])


def messages_problem(messages: Any, tools_defined: bool) -> str | None:
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if messages[0].get("role") != "user":
        return 'messages: first message must use the "user" role'
    expected: list[Any] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            return (
                f'messages: Unexpected role "{role}". The Messages API accepts a top-level `system` parameter, '
                'not "system" as an input message role.'
            )
        blocks = blocks_of(message)
        results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        uses = [b.get("id") for b in blocks if b.get("type") == "tool_use"]
        if (results or uses) and not tools_defined:
            return "Requests which include `tool_use` or `tool_result` blocks must define tools."
        if missing := [ident for ident in expected if ident not in results]:
            return (
                f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                f"{missing[0]}. Each `tool_use` block must have a corresponding `tool_result` block in the next "
                "message."
            )
        if unexpected := [ident for ident in results if ident not in expected]:
            return (
                f"messages.{index}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                f"{unexpected[0]}. Each `tool_result` block must have a corresponding `tool_use` block in the "
                "previous message."
            )
        for block in blocks:
            if block.get("type") == "text" and not block.get("text"):
                return f"messages.{index}: text content blocks must be non-empty"
        expected = uses if role == "assistant" else []
    return None


def tools_problem(body: dict[str, Any]) -> str | None:
    tools, choice = body.get("tools"), body.get("tool_choice")
    names = []
    for index, tool in enumerate(tools or []):
        if not TOOL_NAME.match(str(tool.get("name", ""))):
            return f"tools.{index}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            return f"tools.{index}.custom.input_schema.type: Field required"
        names.append(tool["name"])
    if choice is None:
        return None
    if not tools:
        return "tool_choice may only be specified while providing tools."
    if choice.get("type") not in ("auto", "any", "tool", "none"):
        return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'"
    if choice.get("type") == "tool" and choice.get("name") not in names:
        return f"Tool '{choice.get('name')}' not found in provided tools"
    return None


def input_text(body: dict[str, Any]) -> str:
    system = body.get("system") or ""
    system = system if isinstance(system, str) else " ".join(b.get("text", "") for b in system)
    parts = [system]
    for message in body["messages"]:
        for block in blocks_of(message):
            parts.append(str(block.get("text") or block.get("content") or json.dumps(block.get("input", ""))))
    return " ".join(parts)


@dataclass
class FakeAnthropic(FakeServer):
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def asgi(self) -> Starlette:
        return Starlette(routes=[self.route("/v1/messages", self._messages)])

    async def _messages(self, request: Request, body: Any) -> Response:
        if ANTHROPIC_KEY not in (request.headers.get("x-api-key"), bearer(request)):
            return error(401, "authentication_error", "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            return invalid("anthropic-version: header is required")
        if not isinstance(body, dict):
            return invalid("The request body is not valid JSON.")
        if extra := sorted(set(body) - FIELDS):
            return invalid(f"{extra[0]}: Extra inputs are not permitted")
        if "model" not in body:
            return invalid("model: Field required")
        if body["model"] != CLAUDE_MODEL:
            return error(404, "not_found_error", f"model: {body['model']}")
        if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
            return invalid("max_tokens: Field required")
        problem = tools_problem(body) or messages_problem(body.get("messages"), bool(body.get("tools")))
        if problem is not None:
            return invalid(problem)
        last_user = " ".join(
            str(b.get("text", "")) for b in blocks_of(body["messages"][-1]) if b.get("type") == "text"
        )
        reply = self.next_reply(last_user)
        content = self._content(body, reply)
        uses_tool = any(block["type"] == "tool_use" for block in content)
        stop_reason = reply.finish or ("tool_use" if uses_tool else "end_turn")
        usage = {"input_tokens": len(words(input_text(body))), "output_tokens": self._output_tokens(content)}
        message = {
            "id": f"msg_fake{next(self._ids):04d}",
            "type": "message",
            "role": "assistant",
            "model": CLAUDE_MODEL,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        if body.get("stream"):
            return StreamingResponse(self._events(message, reply), media_type="text/event-stream")
        return json_response(200, message)

    def _content(self, body: dict[str, Any], reply: Reply) -> list[dict[str, Any]]:
        choice = (body.get("tool_choice") or {}).get("type", "auto")
        tools = [tool["name"] for tool in body.get("tools") or []]
        calls = list(reply.tool_calls)
        if choice == "tool":
            forced = body["tool_choice"]["name"]
            calls = [(forced, reply.structured if reply.structured is not None else {})]
        elif choice == "any" and not calls:
            calls = [(tools[0], {})]
        elif choice == "none":
            calls = []
        content: list[dict[str, Any]] = []
        if reply.content and choice not in ("tool", "any"):
            content.append({"type": "text", "text": reply.content})
        for name, arguments in calls:
            content.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_fake{next(self._ids):04d}",
                    "name": name,
                    "input": arguments,
                }
            )
        return content or [{"type": "text", "text": "..."}]

    @staticmethod
    def _output_tokens(content: list[dict[str, Any]]) -> int:
        return sum(len(words(block.get("text") or json.dumps(block.get("input")))) for block in content)

    async def _events(self, message: dict[str, Any], reply: Reply) -> AsyncIterator[bytes]:
        def event(kind: str, data: dict[str, Any]) -> bytes:
            return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()

        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": {**message["usage"], "output_tokens": 1},
        }
        yield event("message_start", {"message": start})
        first = True
        for index, block in enumerate(message["content"]):
            if block["type"] == "text":
                yield event(
                    "content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}}
                )
                pieces = [{"type": "text_delta", "text": piece} for piece in words(block["text"])]
            else:
                head = {**block, "input": {}}
                yield event("content_block_start", {"index": index, "content_block": head})
                pieces = [
                    {"type": "input_json_delta", "partial_json": p} for p in words(json.dumps(block["input"]))
                ]
            if first:
                yield event("ping", {})
            for delta in pieces:
                yield event("content_block_delta", {"index": index, "delta": delta})
                if first and reply.stall_s:
                    await asyncio.sleep(reply.stall_s)
                if first and reply.stream_error is not None:
                    yield event("error", {"error": reply.stream_error})
                    return
                first = False
            yield event("content_block_stop", {"index": index})
        ending: dict[str, Any] = {"stop_reason": message["stop_reason"], "stop_sequence": None}
        yield event(
            "message_delta", {"delta": ending, "usage": {"output_tokens": message["usage"]["output_tokens"]}}
        )
        yield event("message_stop", {})
