"""OpenAI (or any server speaking its Chat Completions API) and Azure OpenAI, through the official SDK.

Structured output is OpenAI's own: `response_format={"type": "json_schema", "json_schema": {"name",
"schema", "strict": true}}`, so the schema must suit strict mode (every property required,
`additionalProperties: false`). Streaming asks for `stream_options.include_usage` so the last chunk
carries the token counts. The SDK's own retries are off (`max_retries=0`): the caller decides whether a
failed call is worth another, with the budget and rate limits in view, and a retry hidden in the SDK would
double both the wait and the cost."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

import openai
from openai.types.chat import (
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
)
from openai.types.chat.completion_create_params import ResponseFormat

from teslasync.helix.errors import BadOutput, HelixError, ProviderTimeout, ProviderUnavailable
from teslasync.helix.providers._common import (
    error_detail,
    parse_arguments,
    parse_json_output,
    retry_after_seconds,
    status_error,
)
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

_SCHEMA_NAME = re.compile(r"[^A-Za-z0-9_-]")


class OpenAIProvider(Provider):
    """OpenAI's API, or another OpenAI-compatible server at `base_url` (vLLM, LM Studio, llama.cpp)."""

    name: ClassVar[str] = "openai"
    label: ClassVar[str] = "OpenAI"

    def __init__(self, *, api_key: str, base_url: str | None = None, timeout_s: float = 60.0) -> None:
        self._secrets = (api_key,)
        self._client: openai.AsyncOpenAI = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def chat(self, request: ChatRequest) -> ChatResult:
        try:
            completion = await self._client.chat.completions.create(
                model=request.model,
                messages=_messages(request.messages),
                max_completion_tokens=request.max_tokens,
                temperature=request.temperature,
                tools=_tools(request.tools),
                tool_choice="auto" if request.tools else openai.omit,
                response_format=_response_format(request.output_schema),
            )
        except openai.OpenAIError as error:
            raise self._error(error) from None
        if not completion.choices:
            raise BadOutput(f"{self.label} answered without a choice")
        choice = completion.choices[0]
        message = choice.message
        if message.refusal:
            raise BadOutput(f"{self.label}'s model refused: {message.refusal[:200]}")
        usage = completion.usage
        content = message.content or ""
        calls = tuple(
            ToolCall(
                call.id,
                call.function.name,
                parse_arguments(self.label, call.function.name, call.function.arguments),
            )
            for call in message.tool_calls or ()
            if call.type == "function"
        )
        parsed = None
        if request.output_schema is not None and not calls:
            parsed = parse_json_output(self.label, content)
        return ChatResult(
            content=content,
            model=completion.model,
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else Usage(),
            tool_calls=calls,
            finish_reason=choice.finish_reason,
            parsed=parsed,
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """The answer as text deltas; tools are offered for context but not called while streaming."""
        usage: Usage | None = None
        try:
            chunks = await self._client.chat.completions.create(
                model=request.model,
                messages=_messages(request.messages),
                max_completion_tokens=request.max_tokens,
                temperature=request.temperature,
                stream=True,
                stream_options={"include_usage": True},
                tools=_tools(request.tools),
                tool_choice="none" if request.tools else openai.omit,
                response_format=_response_format(request.output_schema),
            )
            async with chunks:
                async for chunk in chunks:
                    if chunk.usage is not None:
                        usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    for choice in chunk.choices[:1]:
                        if choice.delta.content:
                            yield StreamChunk(delta=choice.delta.content)
        except openai.OpenAIError as error:
            raise self._error(error) from None
        yield StreamChunk(done=True, usage=usage)

    async def embed(self, model: str, texts: Sequence[str]) -> Embeddings:
        if not texts:
            return Embeddings(vectors=[], model=model)
        try:
            response = await self._client.embeddings.create(model=model, input=list(texts))
        except openai.OpenAIError as error:
            raise self._error(error) from None
        vectors = [list(item.embedding) for item in sorted(response.data, key=lambda item: item.index)]
        if len(vectors) != len(texts):
            raise BadOutput(f"{self.label} gave {len(vectors)} embeddings for {len(texts)} texts")
        return Embeddings(vectors, response.model, Usage(input_tokens=response.usage.prompt_tokens))

    def _error(self, error: openai.OpenAIError) -> HelixError:
        if isinstance(error, openai.APITimeoutError):
            return ProviderTimeout(f"{self.label} did not answer in time")
        if isinstance(error, openai.APIConnectionError):
            return ProviderUnavailable(f"{self.label} could not be reached")
        if isinstance(error, openai.APIStatusError):
            return status_error(
                self.label,
                error.status_code,
                error_detail(error.body, error.message),
                retry_after_s=retry_after_seconds(error.response.headers),
                secrets=self._secrets,
            )
        if isinstance(error, openai.APIError):  # an error event inside a stream
            return ProviderUnavailable(f"{self.label} failed while answering")
        return ProviderUnavailable(f"{self.label} call failed ({type(error).__name__})")


class AzureOpenAIProvider(OpenAIProvider):
    """Azure OpenAI: `endpoint` is `https://<resource>.openai.azure.com`, and a request's `model` names a
    deployment (`/openai/deployments/{model}/...?api-version=`), the key going in the `api-key` header."""

    name: ClassVar[str] = "azure"
    label: ClassVar[str] = "Azure OpenAI"

    def __init__(
        self, *, endpoint: str, api_key: str, api_version: str = "2024-10-21", timeout_s: float = 60.0
    ) -> None:
        self._secrets = (api_key,)
        self._client = openai.AsyncAzureOpenAI(
            azure_endpoint=endpoint,
            api_key=api_key,
            api_version=api_version,
            timeout=timeout_s,
            max_retries=0,
        )


def _messages(messages: Sequence[Message]) -> list[ChatCompletionMessageParam]:
    out: list[ChatCompletionMessageParam] = []
    for message in messages:
        match message.role:
            case Role.SYSTEM:
                out.append({"role": "system", "content": message.content})
            case Role.USER:
                out.append({"role": "user", "content": message.content})
            case Role.ASSISTANT:
                calls: list[ChatCompletionMessageFunctionToolCallParam] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": json.dumps(dict(call.arguments))},
                    }
                    for call in message.tool_calls
                ]
                if calls:
                    out.append({"role": "assistant", "content": message.content or None, "tool_calls": calls})
                else:
                    out.append({"role": "assistant", "content": message.content})
            case Role.TOOL:
                out.append(
                    {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
                )
    return out


def _tools(tools: Sequence[Tool]) -> list[ChatCompletionFunctionToolParam] | openai.Omit:
    if not tools:
        return openai.omit
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": dict(tool.parameters),
            },
        }
        for tool in tools
    ]


def _response_format(schema: Mapping[str, Any] | None) -> ResponseFormat | openai.Omit:
    if schema is None:
        return openai.omit
    name = _SCHEMA_NAME.sub("_", str(schema.get("title") or "answer"))[:64]
    return {"type": "json_schema", "json_schema": {"name": name, "schema": dict(schema), "strict": True}}
