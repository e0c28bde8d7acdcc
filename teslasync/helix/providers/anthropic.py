"""Anthropic's Messages API through the official SDK.

Structured output is a forced tool call: a tool named `answer` whose input schema is the requested schema,
with `tool_choice` forcing it (or, when the request offers its own tools too, forcing *a* tool call), and
its input is the parsed answer. That works on every Claude model, where a native JSON-schema output format
only exists on some. Anthropic has no embeddings API: `embed` raises ProviderRejected, so with this
provider set `TESLASYNC_HELIX_EMBEDDING_MODEL` empty (the docs index then uses full-text search only).

System turns become the `system` parameter; tool results travel as `tool_result` blocks in a user turn,
consecutive turns of one role merged, as the API wants. The request's `temperature` is not sent: the
Messages API of this SDK takes none. The SDK's own retries are off (`max_retries=0`): the caller decides
whether a failed call is worth another, with the budget and rate limits in view."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import ClassVar, Literal

import anthropic
import httpx2
from anthropic.types import (
    ContentBlockParam,
    MessageParam,
    ToolChoiceParam,
    ToolParam,
)

from teslasync.helix.errors import (
    BadOutput,
    HelixError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from teslasync.helix.providers._common import error_detail, retry_after_seconds, status_error
from teslasync.helix.providers.base import (
    ChatRequest,
    ChatResult,
    Embeddings,
    Message,
    Provider,
    Role,
    StreamChunk,
    ToolCall,
    Usage,
)

ANSWER_TOOL = "answer"
_LABEL = "Anthropic"
_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_ERROR_TYPE_STATUS = {  # an `error` event inside a stream comes with HTTP 200: its type tells what it was
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


class AnthropicProvider(Provider):
    name: ClassVar[str] = "anthropic"

    def __init__(self, *, api_key: str, base_url: str | None = None, timeout_s: float = 60.0) -> None:
        self._secrets = (api_key,)
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def chat(self, request: ChatRequest) -> ChatResult:
        system, messages = _conversation(request.messages)
        tools, choice = _tools(request, streaming=False)
        try:
            message = await self._client.messages.create(
                model=request.model,
                max_tokens=request.max_tokens,
                system=system or anthropic.omit,
                messages=messages,
                tools=tools,
                tool_choice=choice,
            )
        except anthropic.AnthropicError as error:
            raise self._error(error) from None
        text = "".join(block.text for block in message.content if block.type == "text")
        calls: list[ToolCall] = []
        answer: dict[str, object] | None = None
        for block in message.content:
            if block.type != "tool_use":
                continue
            if request.output_schema is not None and block.name == ANSWER_TOOL:
                answer = dict(block.input)
            else:
                calls.append(ToolCall(block.id, block.name, dict(block.input)))
        usage = Usage(message.usage.input_tokens, message.usage.output_tokens)
        finish = _FINISH.get(message.stop_reason or "end_turn", message.stop_reason or "stop")
        if request.output_schema is not None and not calls:
            if answer is None or finish != "tool_calls":
                raise BadOutput(
                    f"{_LABEL}'s model did not give the structured answer ({message.stop_reason})"
                )
            return ChatResult(json.dumps(answer), message.model, usage, (), "stop", answer)
        return ChatResult(text, message.model, usage, tuple(calls), finish)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """The answer as text deltas (with `output_schema`, the pieces of the answer's JSON); tools are
        offered for context but not called while streaming."""
        system, messages = _conversation(request.messages)
        tools, choice = _tools(request, streaming=True)
        input_tokens = output_tokens = 0
        answer_block: int | None = None
        try:
            events = await self._client.messages.create(
                model=request.model,
                max_tokens=request.max_tokens,
                system=system or anthropic.omit,
                messages=messages,
                tools=tools,
                tool_choice=choice,
                stream=True,
            )
            async with events:
                async for event in events:
                    if event.type == "message_start":
                        input_tokens = event.message.usage.input_tokens
                        output_tokens = event.message.usage.output_tokens
                    elif event.type == "content_block_start":
                        block = event.content_block
                        if block.type == "tool_use" and block.name == ANSWER_TOOL:
                            answer_block = event.index
                    elif event.type == "content_block_delta":
                        delta = event.delta
                        if delta.type == "text_delta" and delta.text:
                            yield StreamChunk(delta=delta.text)
                        elif (
                            delta.type == "input_json_delta"
                            and event.index == answer_block
                            and delta.partial_json
                        ):
                            yield StreamChunk(delta=delta.partial_json)
                    elif event.type == "message_delta":
                        output_tokens = event.usage.output_tokens
                        input_tokens = event.usage.input_tokens or input_tokens
        except anthropic.AnthropicError as error:
            raise self._error(error) from None
        except httpx2.TimeoutException:  # a stream gone quiet: the SDK lets the transport's error through
            raise ProviderTimeout(f"{_LABEL} stopped answering") from None
        except httpx2.TransportError:
            raise ProviderUnavailable(f"{_LABEL} broke off the answer") from None
        yield StreamChunk(done=True, usage=Usage(input_tokens, output_tokens))

    async def embed(self, model: str, texts: Sequence[str]) -> Embeddings:
        raise ProviderRejected(
            "Anthropic has no embeddings; set TESLASYNC_HELIX_EMBEDDING_MODEL empty or use another provider"
        )

    def _error(self, error: anthropic.AnthropicError) -> HelixError:
        if isinstance(error, anthropic.APITimeoutError):
            return ProviderTimeout(f"{_LABEL} did not answer in time")
        if isinstance(error, anthropic.APIConnectionError):
            return ProviderUnavailable(f"{_LABEL} could not be reached")
        if isinstance(error, anthropic.APIStatusError):
            status = error.status_code
            if status < 400:
                status = _ERROR_TYPE_STATUS.get(_error_type(error.body), 500)
            return status_error(
                _LABEL,
                status,
                error_detail(error.body, error.message),
                retry_after_s=retry_after_seconds(error.response.headers),
                secrets=self._secrets,
            )
        return ProviderUnavailable(f"{_LABEL} call failed ({type(error).__name__})")


def _error_type(body: object) -> str:
    inner = body.get("error") if isinstance(body, dict) else None
    return str(inner.get("type")) if isinstance(inner, dict) else ""


def _conversation(messages: Sequence[Message]) -> tuple[str, list[MessageParam]]:
    system: list[str] = []
    turns: list[tuple[Literal["user", "assistant"], list[ContentBlockParam]]] = []
    for message in messages:
        role: Literal["user", "assistant"]
        blocks: list[ContentBlockParam] = []
        match message.role:
            case Role.SYSTEM:
                system.append(message.content)
                continue
            case Role.USER:
                role = "user"
                if message.content:
                    blocks.append({"type": "text", "text": message.content})
            case Role.ASSISTANT:
                role = "assistant"
                if message.content:
                    blocks.append({"type": "text", "text": message.content})
                blocks.extend(
                    {"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)}
                    for call in message.tool_calls
                )
            case Role.TOOL:
                role = "user"
                blocks.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": message.tool_call_id or "",
                        "content": message.content,
                    }
                )
        if not blocks:
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    params: list[MessageParam] = []
    for role, blocks in turns:
        if role == "user":
            params.append({"role": "user", "content": blocks})
        else:
            params.append({"role": "assistant", "content": blocks})
    return "\n\n".join(part for part in system if part), params


def _tools(
    request: ChatRequest, *, streaming: bool
) -> tuple[list[ToolParam] | anthropic.Omit, ToolChoiceParam | anthropic.Omit]:
    tools: list[ToolParam] = [
        {"name": tool.name, "description": tool.description, "input_schema": dict(tool.parameters)}
        for tool in request.tools
    ]
    choice: ToolChoiceParam
    if request.output_schema is not None:
        tools.append(
            {
                "name": ANSWER_TOOL,
                "description": "Give the final answer, in exactly this structure.",
                "input_schema": dict(request.output_schema),
            }
        )
        forced = streaming or len(tools) == 1
        choice = {"type": "tool", "name": ANSWER_TOOL} if forced else {"type": "any"}
    elif tools:
        choice = {"type": "none"} if streaming else {"type": "auto"}
    else:
        return anthropic.omit, anthropic.omit
    return tools, choice
