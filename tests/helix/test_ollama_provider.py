"""The Ollama adapter against a fake Ollama server, through the real SDK."""

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
from teslasync.helix.providers.base import StreamChunk
from teslasync.helix.providers.ollama import OllamaProvider
from tests.helix.fake_ollama import CHAT_MODEL, EMBEDDING_MODEL, FakeOllama
from tests.helix.fakes import Reply, served, vector
from tests.helix.samples import DRIVES_TOOL, SUMMARY_SCHEMA, ask, round_trip
from tests.services import free_port


@pytest.fixture(scope="session")
async def ollama_server() -> AsyncIterator[FakeOllama]:
    async with served(FakeOllama()) as fake:
        yield fake


@pytest.fixture
def fake(ollama_server: FakeOllama) -> FakeOllama:
    ollama_server.reset()
    return ollama_server


@pytest.fixture
async def provider(fake: FakeOllama) -> AsyncIterator[OllamaProvider]:
    adapter = OllamaProvider(base_url=fake.base_url, timeout_s=5)
    yield adapter
    await adapter.aclose()


async def collect(stream: AsyncIterator[StreamChunk]) -> list[StreamChunk]:
    return [chunk async for chunk in stream]


async def test_chat_sends_every_kind_of_turn_and_reads_the_answer(
    fake: FakeOllama, provider: OllamaProvider
) -> None:
    fake.script(Reply(content="You drove 42.6 km."))

    result = await provider.chat(round_trip(CHAT_MODEL, max_tokens=300, temperature=0.1))

    assert (result.content, result.model, result.finish_reason) == ("You drove 42.6 km.", CHAT_MODEL, "stop")
    assert result.tool_calls == () and result.parsed is None
    assert result.usage.output_tokens == 4 and result.usage.input_tokens > 10
    sent = fake.last.body
    assert sent["stream"] is False
    assert sent["options"] == {"temperature": 0.1, "num_predict": 300}
    assert sent["messages"] == [
        {"role": "system", "content": "You explain the owner's own Tesla data."},
        {"role": "user", "content": "How far did I drive this week?"},
        {
            "role": "assistant",
            "tool_calls": [
                {"function": {"name": "get_drives", "arguments": {"vin": "5YJ3E7EB7KF000001", "limit": 2}}}
            ],
        },
        {
            "role": "tool",
            "content": '[{"distance_km": 12.5}, {"distance_km": 30.1}]',
            "tool_name": "get_drives",
        },
    ]
    [tool] = sent["tools"]  # Ollama's tool schema keeps type, items, description and enum of a property
    assert tool["type"] == "function" and tool["function"]["name"] == "get_drives"
    assert tool["function"]["description"] == "The owner's drives in a period."
    assert tool["function"]["parameters"] == {
        "type": "object",
        "properties": {"vin": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["vin", "limit"],
    }


async def test_a_tool_call_comes_back_parsed(fake: FakeOllama, provider: OllamaProvider) -> None:
    fake.script(Reply(tool_calls=[("get_drives", {"vin": "5YJ3E7EB7KF000001", "limit": 5})]))

    result = await provider.chat(ask(CHAT_MODEL, "my drives please", tools=(DRIVES_TOOL,)))

    assert result.finish_reason == "tool_calls"
    [call] = result.tool_calls
    assert (call.id, call.name) == ("call_0", "get_drives")
    assert call.arguments == {"vin": "5YJ3E7EB7KF000001", "limit": 5}


async def test_structured_output_is_the_format_schema(fake: FakeOllama, provider: OllamaProvider) -> None:
    answer = {"headline": "A short week", "distance_km": 42.6, "tags": ["commute"]}
    fake.script(Reply(structured=answer))

    result = await provider.chat(ask(CHAT_MODEL, "summarise", output_schema=SUMMARY_SCHEMA))

    assert result.parsed == answer and json.loads(result.content) == answer
    assert fake.last.body["format"] == SUMMARY_SCHEMA


async def test_structured_output_that_is_not_json_is_bad_output(
    fake: FakeOllama, provider: OllamaProvider
) -> None:
    fake.script(Reply(content='{"headline": "cut o', raw=True, finish="length"))

    with pytest.raises(BadOutput):
        await provider.chat(ask(CHAT_MODEL, output_schema=SUMMARY_SCHEMA))


async def test_stream_yields_the_deltas_then_done_with_usage(
    fake: FakeOllama, provider: OllamaProvider
) -> None:
    fake.script(Reply(content="Charging is cheapest after midnight."))

    chunks = await collect(provider.stream(ask(CHAT_MODEL, "when to charge?", tools=(DRIVES_TOOL,))))

    assert [c.delta for c in chunks[:-1]] == ["Charging ", "is ", "cheapest ", "after ", "midnight."]
    assert chunks[-1].done and chunks[-1].usage is not None
    assert (chunks[-1].usage.input_tokens, chunks[-1].usage.output_tokens) == (3, 5)
    assert fake.last.body["stream"] is True and not fake.last.body["tools"]


async def test_stream_of_structured_output_is_the_json_text(
    fake: FakeOllama, provider: OllamaProvider
) -> None:
    answer = {"headline": "Fine", "distance_km": 1.0, "tags": []}
    fake.script(Reply(structured=answer))

    chunks = await collect(provider.stream(ask(CHAT_MODEL, output_schema=SUMMARY_SCHEMA)))

    assert json.loads("".join(c.delta for c in chunks)) == answer
    assert fake.last.body["format"] == SUMMARY_SCHEMA


async def test_embed_gives_one_vector_per_text(fake: FakeOllama, provider: OllamaProvider) -> None:
    texts = ["How do I set a charge limit?", "Sentry mode drains the battery"]

    result = await provider.embed(EMBEDDING_MODEL, texts)

    assert result.vectors == [vector(text) for text in texts]
    assert result.model == EMBEDDING_MODEL and result.usage.input_tokens == 12
    assert fake.last.path == "/api/embed" and fake.last.body["input"] == texts


async def test_a_model_not_pulled_is_rejected_naming_it(provider: OllamaProvider) -> None:
    with pytest.raises(ProviderRejected, match="mistral:7b"):
        await provider.chat(ask("mistral:7b"))
    with pytest.raises(ProviderRejected, match="all-minilm"):
        await provider.embed("all-minilm", ["x"])


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, ProviderRateLimited),
        (500, ProviderUnavailable),
        (503, ProviderUnavailable),
        (400, ProviderRejected),
    ],
)
async def test_error_statuses_map_to_typed_errors(
    fake: FakeOllama, provider: OllamaProvider, status: int, expected: type[Exception]
) -> None:
    fake.fail(status, body={"error": "something went wrong"}, headers={"retry-after": "3"}, count=3)

    with pytest.raises(expected) as raised:
        await provider.chat(ask(CHAT_MODEL))

    assert len(fake.requests) == 1
    if status == 429:  # the SDK's error keeps no headers
        assert isinstance(raised.value, ProviderRateLimited) and raised.value.retry_after_s is None


async def test_errors_while_streaming_are_typed(fake: FakeOllama, provider: OllamaProvider) -> None:
    fake.fail(500, body={"error": "llama runner process has terminated"})
    with pytest.raises(ProviderUnavailable):
        await collect(provider.stream(ask(CHAT_MODEL)))

    fake.script(
        Reply(content="half an answer", stream_error={"error": "llama runner process has terminated"})
    )
    with pytest.raises(ProviderUnavailable, match="terminated"):
        await collect(provider.stream(ask(CHAT_MODEL)))


async def test_a_slow_answer_and_a_quiet_stream_time_out(fake: FakeOllama) -> None:
    adapter = OllamaProvider(base_url=fake.base_url, timeout_s=0.3)
    try:
        fake.fail(200, body={}, delay_s=1.5)
        with pytest.raises(ProviderTimeout):
            await adapter.chat(ask(CHAT_MODEL))
        fake.script(Reply(content="one two three", stall_s=1.5))
        seen: list[str] = []
        with pytest.raises(ProviderTimeout):
            async for chunk in adapter.stream(ask(CHAT_MODEL)):
                seen.append(chunk.delta)
        assert seen == ["one "]
    finally:
        await adapter.aclose()


async def test_an_unreachable_server_is_unavailable() -> None:
    adapter = OllamaProvider(base_url=f"http://127.0.0.1:{free_port()}", timeout_s=2)
    try:
        with pytest.raises(ProviderUnavailable):
            await adapter.chat(ask(CHAT_MODEL))
        with pytest.raises(ProviderUnavailable):
            await collect(adapter.stream(ask(CHAT_MODEL)))
        with pytest.raises(ProviderUnavailable):
            await adapter.embed(EMBEDDING_MODEL, ["x"])
    finally:
        await adapter.aclose()
