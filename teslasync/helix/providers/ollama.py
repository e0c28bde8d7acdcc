"""Ollama, the local default, through the official SDK (`/api/chat`, `/api/embed`).

Structured output is Ollama's own `format=<JSON schema>`: the model is constrained to the schema while it
generates. Ollama names no tool call ids, so calls get `call_<n>`, and a tool turn is sent back with the
called tool's name (`tool_name`), found through the assistant turn that made the call. Ollama's tool
schema keeps a property's type, items, description and enum only (its SDK drops finer constraints such
as `minimum`), so tool arguments must be validated on our side, as for any provider. A 429 (a hosted
Ollama) has no Retry-After here: the SDK's error keeps only the status and the message. The client has no
retries of its own; the caller decides whether a failed call is worth another."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

import httpx
import ollama

from teslasync.helix.errors import HelixError, ProviderRejected, ProviderTimeout, ProviderUnavailable
from teslasync.helix.providers._common import parse_json_output, status_error
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

_LABEL = "Ollama"
_SDK_ERRORS = (ollama.ResponseError, ollama.RequestError, httpx.HTTPError, ConnectionError)


class OllamaProvider(Provider):
    name: ClassVar[str] = "ollama"

    def __init__(self, *, base_url: str = "http://127.0.0.1:11434", timeout_s: float = 60.0) -> None:
        self._client = ollama.AsyncClient(host=base_url, timeout=timeout_s)

    async def aclose(self) -> None:
        await self._client.close()  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated

    async def chat(self, request: ChatRequest) -> ChatResult:
        try:
            response = await self._client.chat(
                model=request.model,
                messages=_messages(request.messages),
                tools=[_tool(tool) for tool in request.tools] or None,
                format=dict(request.output_schema) if request.output_schema is not None else None,
                options=_options(request),
                stream=False,
            )
        except _SDK_ERRORS as error:
            raise _error(error) from None
        message = response.message
        content = message.content or ""
        calls = tuple(
            ToolCall(f"call_{index}", call.function.name, dict(call.function.arguments or {}))
            for index, call in enumerate(message.tool_calls or ())
        )
        parsed = None
        if request.output_schema is not None and not calls:
            parsed = parse_json_output(_LABEL, content)
        finish = "tool_calls" if calls else ("length" if response.done_reason == "length" else "stop")
        return ChatResult(
            content=content,
            model=response.model or request.model,
            usage=Usage(response.prompt_eval_count or 0, response.eval_count or 0),
            tool_calls=calls,
            finish_reason=finish,
            parsed=parsed,
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """The answer as text deltas (JSON text with `output_schema`). Tools are not offered while streaming:
        Ollama cannot be told not to call them."""
        usage: Usage | None = None
        try:
            parts = await self._client.chat(
                model=request.model,
                messages=_messages(request.messages),
                format=dict(request.output_schema) if request.output_schema is not None else None,
                options=_options(request),
                stream=True,
            )
            async for part in parts:
                if part.message.content:
                    yield StreamChunk(delta=part.message.content)
                if part.done:
                    usage = Usage(part.prompt_eval_count or 0, part.eval_count or 0)
        except _SDK_ERRORS as error:
            raise _error(error) from None
        yield StreamChunk(done=True, usage=usage)

    async def embed(self, model: str, texts: Sequence[str]) -> Embeddings:
        if not texts:
            return Embeddings(vectors=[], model=model)
        try:
            response = await self._client.embed(model=model, input=list(texts))
        except _SDK_ERRORS as error:
            raise _error(error) from None
        vectors = [list(vector) for vector in response.embeddings]
        return Embeddings(
            vectors, response.model or model, Usage(input_tokens=response.prompt_eval_count or 0)
        )


def _error(error: Exception) -> HelixError:
    """The typed error for what the SDK (or httpx beneath it) raised."""
    if isinstance(error, ollama.ResponseError):
        if error.status_code < 0:  # an error line inside a stream
            return ProviderUnavailable(f"{_LABEL} failed while answering: {str(error.error)[:200]}")
        return status_error(_LABEL, error.status_code, str(error.error))
    if isinstance(error, ollama.RequestError):
        return ProviderRejected(f"{_LABEL} rejected the request: {error.error}")
    if isinstance(error, httpx.TimeoutException):
        return ProviderTimeout(f"{_LABEL} did not answer in time")
    if isinstance(error, ConnectionError | httpx.TransportError):
        return ProviderUnavailable(f"{_LABEL} could not be reached")
    return ProviderUnavailable(f"{_LABEL} call failed ({type(error).__name__})")


def _options(request: ChatRequest) -> dict[str, Any]:
    return {"temperature": request.temperature, "num_predict": request.max_tokens}


def _tool(tool: Tool) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)},
    }


def _messages(messages: Sequence[Message]) -> list[Mapping[str, Any]]:
    names: dict[str, str] = {}
    out: list[Mapping[str, Any]] = []
    for message in messages:
        entry: dict[str, Any] = {"role": message.role.value, "content": message.content}
        if message.role is Role.ASSISTANT and message.tool_calls:
            names.update((call.id, call.name) for call in message.tool_calls)
            entry["tool_calls"] = [
                {"function": {"name": call.name, "arguments": dict(call.arguments)}}
                for call in message.tool_calls
            ]
        if message.role is Role.TOOL and message.tool_call_id in names:
            entry["tool_name"] = names[message.tool_call_id or ""]
        out.append(entry)
    return out
