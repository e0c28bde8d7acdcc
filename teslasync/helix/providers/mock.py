"""A deterministic provider for development, demos and tests: no network, every answer derived from the
request, so a feature's whole path (tool calls, structured output, streaming, retrieval) runs without a
model. Refused outside demo mode by the factory.

- chat: with tools, when the last turn is the user's, it calls the first tool whose name appears in that
  message (`get_drives` or "get drives"), arguments taken from `name=value` (or `name: value`) in the
  message, typed by the tool's schema (an array as `a|b`), required ones it cannot find filled with a minimal value. After tool
  results it answers with them; otherwise it echoes the start of the last user message. With
  `output_schema` it gives the smallest JSON valid for the schema (required properties, by type).
- stream: the same answer as word deltas.
- embed: a hashed bag of words (256 dimensions, lowercased tokens, L2-normalised), so texts that share
  words are similar: an embedding model that is always available.

Tokens are counted as words. The last requests are kept (`requests`, `embedded`) for tests to inspect."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from teslasync.helix.providers.base import (
    ChatRequest,
    ChatResult,
    Embeddings,
    Message,
    Provider,
    Role,
    StreamChunk,
    Tool,
    ToolCall,
    Usage,
)

MOCK_EMBEDDING_DIMS = 256
_WORD = re.compile(r"\w+")
_KEEP = 100
_ECHO_WORDS = 30
_EXAMPLE_STRINGS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "email": "owner@example.org",
    "uri": "https://example.org",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


class MockProvider(Provider):
    name: ClassVar[str] = "mock"

    def __init__(self) -> None:
        self.requests: deque[ChatRequest] = deque(maxlen=_KEEP)
        self.embedded: deque[str] = deque(maxlen=_KEEP)

    async def chat(self, request: ChatRequest) -> ChatResult:
        self.requests.append(request)
        return _answer(request, tools=True)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        self.requests.append(request)
        result = _answer(request, tools=False)
        for word in re.findall(r"\S+\s*", result.content):
            yield StreamChunk(delta=word)
        yield StreamChunk(done=True, usage=result.usage)

    async def embed(self, model: str, texts: Sequence[str]) -> Embeddings:
        self.embedded.extend(texts)
        return Embeddings([embedding(text) for text in texts], model, Usage(input_tokens=_words(*texts)))


def embedding(text: str, dims: int = MOCK_EMBEDDING_DIMS) -> list[float]:
    """Word counts hashed into `dims` buckets (blake2b, so stable across runs), L2-normalised; all zeros
    for a text without words."""
    vector = [0.0] * dims
    for token in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest, "big") % dims] += 1.0
    norm = math.sqrt(sum(value * value for value in vector))
    return [value / norm for value in vector] if norm else vector


def example(schema: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> Any:
    """The smallest JSON value valid for `schema`: required properties only, the first of an enum or
    `anyOf`, the lower bound of a number, `minItems` items, a short string in the asked format."""
    root = schema if root is None else root
    if isinstance(ref := schema.get("$ref"), str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return example(target, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example(schema[key][0], root)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example(part, root)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "null"
    match kind:
        case "object":
            properties = schema.get("properties", {})
            return {name: example(properties.get(name, {}), root) for name in schema.get("required", ())}
        case "array":
            return [example(schema.get("items", {}), root) for _ in range(int(schema.get("minItems", 0)))]
        case "string":
            text = _EXAMPLE_STRINGS.get(str(schema.get("format")), "mock")
            text = text.ljust(int(schema.get("minLength", 0)), "x")
            return text[: int(schema["maxLength"])] if "maxLength" in schema else text
        case "integer" | "number":
            value = schema.get("minimum", 0)
            if "minimum" not in schema and "exclusiveMinimum" in schema:
                value = math.floor(schema["exclusiveMinimum"]) + 1
            value = min(value, schema["maximum"]) if "maximum" in schema else value
            return math.ceil(value) if kind == "integer" else value
        case "boolean":
            return False
    return None


def _answer(request: ChatRequest, *, tools: bool) -> ChatResult:
    used = _words(*(message.content for message in request.messages))
    last = request.messages[-1] if request.messages else None
    if tools and request.tools and last is not None and last.role is Role.USER:
        call = _tool_call(request.tools, last.content, request.messages)
        if call is not None:
            usage = Usage(used, _words(json.dumps(dict(call.arguments))))
            return ChatResult("", request.model, usage, (call,), "tool_calls")
    if request.output_schema is not None:
        parsed = example(request.output_schema)
        content = json.dumps(parsed)
        return ChatResult(content, request.model, Usage(used, _words(content)), parsed=parsed)
    content = _reply(request.messages)
    return ChatResult(content, request.model, Usage(used, _words(content)))


def _reply(messages: Sequence[Message]) -> str:
    results: list[str] = []
    for message in reversed(messages):
        if message.role is not Role.TOOL:
            break
        results.insert(0, message.content)
    if results:
        return "Based on the tool results: " + " | ".join(" ".join(result.split()) for result in results)
    asked = next((m.content for m in reversed(messages) if m.role is Role.USER), "")
    words = asked.split()
    summary = " ".join(words[:_ECHO_WORDS]) + (" …" if len(words) > _ECHO_WORDS else "")
    return f"Mock answer to: {summary}" if summary else "Mock answer."


def _tool_call(tools: Sequence[Tool], text: str, messages: Sequence[Message]) -> ToolCall | None:
    lowered = text.lower()
    for tool in tools:
        name = tool.name.lower()
        if name in lowered or name.replace("_", " ") in lowered:
            number = 1 + sum(len(message.tool_calls) for message in messages)
            return ToolCall(f"mock_call_{number}", tool.name, _arguments(tool.parameters, text))
    return None


def _arguments(schema: Mapping[str, Any], text: str) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    arguments: dict[str, Any] = {}
    for name, spec in properties.items():
        found = re.search(rf"\b{re.escape(name)}\s*[=:]\s*(\"[^\"]*\"|'[^']*'|[^\s,;]+)", text)
        if found is not None:
            arguments[name] = _typed(found.group(1).strip("\"'"), spec)
        elif name in required:
            arguments[name] = example(spec, schema)
    return arguments


def _typed(raw: str, spec: Mapping[str, Any]) -> Any:
    kind = spec.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean":
        return raw.lower() in ("true", "yes", "1")
    if kind == "array":
        return [part for part in raw.split("|") if part]
    return raw


def _words(*texts: str) -> int:
    return sum(len(_WORD.findall(text)) for text in texts)
