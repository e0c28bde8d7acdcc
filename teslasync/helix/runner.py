"""Running a feature: the prompt, rounds of tool calls (each run as the user, through the public schema),
the documentation excerpts for features that answer from the docs, structured output when the feature has
one, and whether the answer's numbers are supported by what the tools and excerpts returned.

Every model call goes through the chain (trace, audit, cost, rate limit, redact); the runner never talks to a
provider itself."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from teslasync.helix.errors import BadOutput
from teslasync.helix.features import Feature
from teslasync.helix.providers.base import (
    ChatRequest,
    ChatResult,
    Message,
    Role,
    StreamChunk,
    ToolCall,
    Usage,
)
from teslasync.helix.tools import ToolRunner, tools_named

MAX_TOOL_ROUNDS = 4
MAX_TOOL_RESULT_CHARS = 12_000


class ChatClient(Protocol):
    async def chat(self, feature: str, user_id: int | None, request: ChatRequest) -> ChatResult: ...

    def stream(
        self, feature: str, user_id: int | None, request: ChatRequest
    ) -> AsyncIterator[StreamChunk]: ...


@dataclass(frozen=True)
class Excerpt:
    """A documentation chunk given to the model, cited as [n] by its position (1-based)."""

    path: str
    heading: str
    anchor: str
    snippet: str
    content: str


Retriever = Callable[[str], Awaitable[Sequence[Excerpt]]]
SupportCheck = Callable[[str, Sequence[str]], Sequence[str]]  # (answer, sources) -> unsupported sentences


@dataclass
class Outcome:
    text: str
    data: Any = None
    citations: list[Excerpt] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


@dataclass
class _Conversation:
    feature: Feature
    model: str
    messages: list[Message]
    sources: list[str] = field(default_factory=list)  # what the answer may draw on: tool results, excerpts
    calls: list[dict[str, Any]] = field(default_factory=list)
    excerpts: list[Excerpt] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0

    def count(self, usage: Usage) -> None:
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens


async def prepare(
    feature: Feature,
    given: Mapping[str, Any],
    model: str,
    retrieve: Retriever | None,
    now: datetime | None = None,
) -> _Conversation:
    inputs = {"today": (now or datetime.now(UTC)).date().isoformat(), **given}
    system, user = feature.messages(inputs)
    conversation = _Conversation(feature, model, [Message(Role.SYSTEM, system)])
    if feature.uses_docs and retrieve is not None:
        conversation.excerpts = list(await retrieve(str(given.get("question", user))))
        numbered = "\n\n".join(
            f"[{index}] {excerpt.path} — {excerpt.heading}\n{excerpt.content}"
            for index, excerpt in enumerate(conversation.excerpts, start=1)
        )
        conversation.sources += [excerpt.content for excerpt in conversation.excerpts]
        user = f"Documentation excerpts:\n\n{numbered or '(none found)'}\n\nQuestion: {user}"
    conversation.messages.append(Message(Role.USER, user))
    return conversation


async def run_tools(
    client: ChatClient, conversation: _Conversation, run_tool: ToolRunner, user_id: int | None
) -> ChatResult | None:
    """Rounds of tool calls until the model answers without one; its last answer (None if it never stopped)."""
    feature = conversation.feature
    tools = tools_named(feature.tools)
    for _ in range(MAX_TOOL_ROUNDS):
        result = await client.chat(
            feature.name, user_id, ChatRequest(conversation.model, tuple(conversation.messages), tools)
        )
        conversation.count(result.usage)
        if not result.tool_calls:
            return result
        conversation.messages.append(Message(Role.ASSISTANT, result.content, tool_calls=result.tool_calls))
        for call in result.tool_calls:
            answer = await _tool_answer(call, feature, run_tool)
            conversation.calls.append({"name": call.name, "arguments": dict(call.arguments)})
            conversation.sources.append(answer)
            conversation.messages.append(Message(Role.TOOL, answer, tool_call_id=call.id))
    return None


async def _tool_answer(call: ToolCall, feature: Feature, run_tool: ToolRunner) -> str:
    if call.name not in feature.tools:
        return json.dumps({"error": f"no tool {call.name} for this feature"})
    try:
        found = await run_tool(call.name, call.arguments)
    except Exception as exc:  # a tool's failure is the model's to work around, not the run's end
        return json.dumps({"error": str(exc)[:500]})
    return json.dumps(found, default=str)[:MAX_TOOL_RESULT_CHARS]


async def run(
    client: ChatClient,
    feature: Feature,
    given: Mapping[str, Any],
    *,
    model: str,
    user_id: int | None,
    run_tool: ToolRunner,
    retrieve: Retriever | None = None,
    check_support: SupportCheck | None = None,
) -> Outcome:
    conversation = await prepare(feature, given, model, retrieve)
    answer: ChatResult | None = None
    if feature.tools:
        answer = await run_tools(client, conversation, run_tool, user_id)
    if feature.output_schema is not None:
        request = ChatRequest(model, tuple(conversation.messages), output_schema=feature.output_schema)
        answer = await client.chat(feature.name, user_id, request)
        conversation.count(answer.usage)
        if answer.parsed is None:
            raise BadOutput(f"{feature.name}: the model's answer is not the JSON asked for")
    elif answer is None:
        answer = await client.chat(feature.name, user_id, ChatRequest(model, tuple(conversation.messages)))
        conversation.count(answer.usage)
    return finish(conversation, answer.content, answer.parsed, check_support)


async def stream(
    client: ChatClient,
    feature: Feature,
    given: Mapping[str, Any],
    *,
    model: str,
    user_id: int | None,
    run_tool: ToolRunner,
    retrieve: Retriever | None = None,
) -> tuple[_Conversation, AsyncIterator[StreamChunk]]:
    """Tool rounds first (not streamed), then the answer as it is written."""
    conversation = await prepare(feature, given, model, retrieve)
    if feature.tools:
        answered = await run_tools(client, conversation, run_tool, user_id)
        if answered is not None:
            conversation.messages.append(Message(Role.ASSISTANT, answered.content))
            conversation.messages.append(Message(Role.USER, "Write that answer for the owner now."))
    return conversation, client.stream(
        feature.name, user_id, ChatRequest(model, tuple(conversation.messages))
    )


def finish(conversation: _Conversation, text: str, data: Any, check_support: SupportCheck | None) -> Outcome:
    unsupported = (
        list(check_support(text, conversation.sources)) if check_support and conversation.sources else []
    )
    return Outcome(
        text=text,
        data=data,
        citations=conversation.excerpts,
        tool_calls=conversation.calls,
        unsupported=unsupported,
        usage=Usage(conversation.input_tokens, conversation.output_tokens),
    )
