"""The one interface every provider adapter implements: chat (with tool calls and structured output),
streaming, and embeddings. Adapters map their SDK's errors to `teslasync.helix.errors`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class Message:
    """One turn. An assistant turn may carry tool calls; a tool turn answers one (`tool_call_id`)."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class Tool:
    """A function the model may call: `parameters` is its JSON schema (an object)."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[Message, ...]
    tools: tuple[Tool, ...] = ()
    output_schema: Mapping[str, Any] | None = None  # structured output: the answer is JSON of this schema
    max_tokens: int = 1024
    temperature: float = 0.2


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class ChatResult:
    content: str
    model: str
    usage: Usage
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str = "stop"
    parsed: Any = None  # with `output_schema`: the answer parsed as JSON (validated by the caller)


@dataclass(frozen=True)
class StreamChunk:
    """A piece of a streamed answer; the last one has `done` and the usage, when the provider gives it."""

    delta: str = ""
    done: bool = False
    usage: Usage | None = None


@dataclass(frozen=True)
class Embeddings:
    vectors: list[list[float]]
    model: str
    usage: Usage = field(default_factory=Usage)


class Provider(ABC):
    name: ClassVar[str]

    @abstractmethod
    async def chat(self, request: ChatRequest) -> ChatResult: ...

    @abstractmethod
    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]: ...

    @abstractmethod
    async def embed(self, model: str, texts: Sequence[str]) -> Embeddings: ...

    async def aclose(self) -> None:  # noqa: B027 - most adapters have nothing to close
        """Release the SDK client's connections."""
