"""The Anthropic adapter against a fake of the Messages API, through the real SDK."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from teslasync.helix.errors import (
    BadOutput,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from teslasync.helix.providers.anthropic import ANSWER_TOOL, AnthropicProvider
from teslasync.helix.providers.base import StreamChunk
from tests.helix.fake_anthropic import ANTHROPIC_KEY, CLAUDE_MODEL, FakeAnthropic
from tests.helix.fakes import Reply, served
from tests.helix.samples import DRIVES_TOOL, SUMMARY_SCHEMA, ask, round_trip
from tests.services import free_port

ANSWER = {"headline": "A short week", "distance_km": 42.6, "tags": ["commute"]}


@pytest.fixture(scope="session")
async def anthropic_server() -> AsyncIterator[FakeAnthropic]:
    async with served(FakeAnthropic()) as fake:
        yield fake


@pytest.fixture
def fake(anthropic_server: FakeAnthropic) -> FakeAnthropic:
    anthropic_server.reset()
    return anthropic_server


@pytest.fixture
async def provider(fake: FakeAnthropic) -> AsyncIterator[AnthropicProvider]:
    adapter = AnthropicProvider(api_key=ANTHROPIC_KEY, base_url=fake.base_url, timeout_s=5)
    yield adapter
    await adapter.aclose()


async def collect(stream: AsyncIterator[StreamChunk]) -> list[StreamChunk]:
    return [chunk async for chunk in stream]


async def test_chat_sends_the_system_prompt_and_tool_turns_as_blocks(
    fake: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake.script(Reply(content="You drove 42.6 km."))

    result = await provider.chat(round_trip(CLAUDE_MODEL, max_tokens=300))

    assert (result.content, result.model, result.finish_reason) == (
        "You drove 42.6 km.",
        CLAUDE_MODEL,
        "stop",
    )
    assert result.tool_calls == () and result.parsed is None
    assert result.usage.output_tokens == 4 and result.usage.input_tokens > 10
    sent = fake.last
    assert sent.headers["authorization"] == f"Bearer {ANTHROPIC_KEY}" and sent.headers["anthropic-version"]
    assert sent.body["system"] == "You explain the owner's own Tesla data."
    assert sent.body["max_tokens"] == 300 and "temperature" not in sent.body
    assert sent.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "How far did I drive this week?"}]},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "call_7",
                    "name": "get_drives",
                    "input": {"vin": "5YJ3E7EB7KF000001", "limit": 2},
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "call_7",
                    "content": '[{"distance_km": 12.5}, {"distance_km": 30.1}]',
                }
            ],
        },
    ]


async def test_a_tool_call_comes_back_parsed(fake: FakeAnthropic, provider: AnthropicProvider) -> None:
    fake.script(
        Reply(content="Let me look.", tool_calls=[("get_drives", {"vin": "5YJ3E7EB7KF000001", "limit": 5})])
    )

    result = await provider.chat(ask(CLAUDE_MODEL, "my drives please", tools=(DRIVES_TOOL,)))

    assert result.finish_reason == "tool_calls" and result.content == "Let me look."
    [call] = result.tool_calls
    assert (call.name, dict(call.arguments)) == ("get_drives", {"vin": "5YJ3E7EB7KF000001", "limit": 5})
    assert call.id.startswith("toolu_")
    assert fake.last.body["tools"] == [
        {
            "name": "get_drives",
            "description": "The owner's drives in a period.",
            "input_schema": dict(DRIVES_TOOL.parameters),
        }
    ]
    assert fake.last.body["tool_choice"] == {"type": "auto"}


async def test_structured_output_is_a_forced_answer_tool(
    fake: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake.script(Reply(structured=ANSWER))

    result = await provider.chat(ask(CLAUDE_MODEL, "summarise", output_schema=SUMMARY_SCHEMA))

    assert result.parsed == ANSWER and json.loads(result.content) == ANSWER
    assert result.finish_reason == "stop" and result.tool_calls == ()
    [tool] = fake.last.body["tools"]
    assert tool["name"] == ANSWER_TOOL and tool["input_schema"] == SUMMARY_SCHEMA
    assert fake.last.body["tool_choice"] == {"type": "tool", "name": ANSWER_TOOL}


async def test_structured_output_with_tools_forces_a_tool_call_of_either_kind(
    fake: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake.script(
        Reply(tool_calls=[("get_drives", {"vin": "5YJ3E7EB7KF000001", "limit": 1})]),
        Reply(tool_calls=[(ANSWER_TOOL, ANSWER)]),
    )
    request = ask(CLAUDE_MODEL, "summarise my drives", tools=(DRIVES_TOOL,), output_schema=SUMMARY_SCHEMA)

    first = await provider.chat(request)
    second = await provider.chat(request)

    assert [c.name for c in first.tool_calls] == ["get_drives"] and first.parsed is None
    assert second.parsed == ANSWER and second.tool_calls == ()
    assert fake.last.body["tool_choice"] == {"type": "any"}
    assert [t["name"] for t in fake.last.body["tools"]] == ["get_drives", ANSWER_TOOL]


async def test_a_structured_answer_cut_off_by_the_token_limit_is_bad_output(
    fake: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake.script(Reply(structured={"headline": "A sh"}, finish="max_tokens"))

    with pytest.raises(BadOutput, match="max_tokens"):
        await provider.chat(ask(CLAUDE_MODEL, output_schema=SUMMARY_SCHEMA))


async def test_stream_yields_text_deltas_then_done_with_usage(
    fake: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake.script(Reply(content="Charging is cheapest after midnight."))

    chunks = await collect(provider.stream(ask(CLAUDE_MODEL, "when to charge?")))

    assert [c.delta for c in chunks[:-1]] == ["Charging ", "is ", "cheapest ", "after ", "midnight."]
    assert chunks[-1].done and chunks[-1].usage is not None
    assert (chunks[-1].usage.input_tokens, chunks[-1].usage.output_tokens) == (3, 5)
    assert fake.last.body["stream"] is True


async def test_stream_of_structured_output_is_the_answer_json(
    fake: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake.script(Reply(structured=ANSWER))

    chunks = await collect(provider.stream(ask(CLAUDE_MODEL, output_schema=SUMMARY_SCHEMA)))

    assert json.loads("".join(c.delta for c in chunks)) == ANSWER
    assert fake.last.body["tool_choice"] == {"type": "tool", "name": ANSWER_TOOL}


async def test_stream_after_tool_turns_offers_the_tools_without_calling_them(
    fake: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake.script(Reply(content="You drove 42.6 km.", tool_calls=[("get_drives", {})]))

    chunks = await collect(provider.stream(round_trip(CLAUDE_MODEL)))

    assert "".join(c.delta for c in chunks) == "You drove 42.6 km."
    assert fake.last.body["tool_choice"] == {"type": "none"}


async def test_embed_is_refused_with_what_to_do(fake: FakeAnthropic, provider: AnthropicProvider) -> None:
    with pytest.raises(ProviderRejected, match="TESLASYNC_HELIX_EMBEDDING_MODEL"):
        await provider.embed("any", ["charge limit"])
    assert fake.requests == []


@pytest.mark.parametrize(
    ("status", "kind", "headers", "expected"),
    [
        (429, "rate_limit_error", {"retry-after": "12"}, ProviderRateLimited),
        (500, "api_error", {}, ProviderUnavailable),
        (529, "overloaded_error", {}, ProviderUnavailable),
        (400, "invalid_request_error", {}, ProviderRejected),
        (403, "permission_error", {}, ProviderRejected),
    ],
)
async def test_error_statuses_map_to_typed_errors_without_retrying(
    fake: FakeAnthropic,
    provider: AnthropicProvider,
    status: int,
    kind: str,
    headers: dict[str, str],
    expected: type[Exception],
) -> None:
    fake.fail(
        status, body={"type": "error", "error": {"type": kind, "message": "no"}}, headers=headers, count=3
    )

    with pytest.raises(expected) as raised:
        await provider.chat(ask(CLAUDE_MODEL))

    assert len(fake.requests) == 1
    if status == 429:
        assert isinstance(raised.value, ProviderRateLimited) and raised.value.retry_after_s == 12


async def test_a_bad_key_and_an_unknown_model_are_rejected(
    fake: FakeAnthropic, provider: AnthropicProvider
) -> None:
    key = "sk-ant-api03-WRONGwrongWRONGwrong0123456789"
    wrong = AnthropicProvider(api_key=key, base_url=fake.base_url)
    try:
        with pytest.raises(ProviderRejected, match="401") as raised:
            await wrong.chat(ask(CLAUDE_MODEL))
    finally:
        await wrong.aclose()
    assert key not in str(raised.value)
    with pytest.raises(ProviderRejected, match="claude-nonexistent"):
        await provider.chat(ask("claude-nonexistent"))


async def test_a_slow_answer_and_a_quiet_stream_time_out(fake: FakeAnthropic) -> None:
    adapter = AnthropicProvider(api_key=ANTHROPIC_KEY, base_url=fake.base_url, timeout_s=0.3)
    try:
        fake.fail(200, body={}, delay_s=1.5)
        with pytest.raises(ProviderTimeout):
            await adapter.chat(ask(CLAUDE_MODEL))
        fake.script(Reply(content="one two three", stall_s=1.5))
        seen: list[str] = []
        with pytest.raises(ProviderTimeout):
            async for chunk in adapter.stream(ask(CLAUDE_MODEL)):
                seen.append(chunk.delta)
        assert seen == ["one "]
    finally:
        await adapter.aclose()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("overloaded_error", ProviderUnavailable), ("rate_limit_error", ProviderRateLimited)],
)
async def test_an_error_event_inside_a_stream_is_typed(
    fake: FakeAnthropic, provider: AnthropicProvider, kind: str, expected: type[Exception]
) -> None:
    fake.script(Reply(content="half an answer", stream_error={"type": kind, "message": "Overloaded"}))

    with pytest.raises(expected):
        await collect(provider.stream(ask(CLAUDE_MODEL)))


async def test_an_unreachable_server_is_unavailable() -> None:
    adapter = AnthropicProvider(
        api_key=ANTHROPIC_KEY, base_url=f"http://127.0.0.1:{free_port()}", timeout_s=2
    )
    try:
        with pytest.raises(ProviderUnavailable):
            await adapter.chat(ask(CLAUDE_MODEL))
    finally:
        await adapter.aclose()
