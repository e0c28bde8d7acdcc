"""The OpenAI and Azure OpenAI adapters against a fake of their wire API, through the real SDK."""

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
from teslasync.helix.providers.openai import AzureOpenAIProvider, OpenAIProvider
from tests.helix.fake_openai import (
    AZURE_API_VERSION,
    AZURE_DEPLOYMENTS,
    AZURE_KEY,
    CHAT_MODEL,
    EMBEDDING_MODEL,
    OPENAI_KEY,
    FakeOpenAI,
)
from tests.helix.fakes import Reply, served, vector
from tests.helix.samples import DRIVES_TOOL, SUMMARY_SCHEMA, ask, round_trip
from tests.services import free_port


@pytest.fixture(scope="session")
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    async with served(FakeOpenAI()) as fake:
        yield fake


@pytest.fixture
def fake(openai_server: FakeOpenAI) -> FakeOpenAI:
    openai_server.reset()
    return openai_server


@pytest.fixture
async def provider(fake: FakeOpenAI) -> AsyncIterator[OpenAIProvider]:
    adapter = OpenAIProvider(api_key=OPENAI_KEY, base_url=f"{fake.base_url}/v1", timeout_s=5)
    yield adapter
    await adapter.aclose()


@pytest.fixture
async def azure(fake: FakeOpenAI) -> AsyncIterator[AzureOpenAIProvider]:
    adapter = AzureOpenAIProvider(endpoint=fake.base_url, api_key=AZURE_KEY, api_version=AZURE_API_VERSION)
    yield adapter
    await adapter.aclose()


async def collect(stream: AsyncIterator[StreamChunk]) -> list[StreamChunk]:
    return [chunk async for chunk in stream]


async def test_chat_sends_every_kind_of_turn_and_reads_the_answer(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    fake.script(Reply(content="You drove 42.6 km."))

    result = await provider.chat(round_trip(CHAT_MODEL, max_tokens=300, temperature=0.1))

    assert (result.content, result.model, result.finish_reason) == ("You drove 42.6 km.", CHAT_MODEL, "stop")
    assert result.tool_calls == () and result.parsed is None
    assert result.usage.input_tokens > 0 and result.usage.output_tokens == 4
    sent = fake.last
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert sent.body["messages"] == [
        {"role": "system", "content": "You explain the owner's own Tesla data."},
        {"role": "user", "content": "How far did I drive this week?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_7",
                    "type": "function",
                    "function": {
                        "name": "get_drives",
                        "arguments": '{"vin": "5YJ3E7EB7KF000001", "limit": 2}',
                    },
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_7",
            "content": '[{"distance_km": 12.5}, {"distance_km": 30.1}]',
        },
    ]
    assert sent.body["max_completion_tokens"] == 300 and sent.body["temperature"] == 0.1
    assert "response_format" not in sent.body and "stream" not in sent.body


async def test_a_tool_call_comes_back_parsed(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.script(Reply(tool_calls=[("get_drives", {"vin": "5YJ3E7EB7KF000001", "limit": 5})]))

    result = await provider.chat(ask(CHAT_MODEL, "my drives please", tools=(DRIVES_TOOL,)))

    assert result.finish_reason == "tool_calls" and result.content == ""
    [call] = result.tool_calls
    assert call.name == "get_drives" and call.id.startswith("call_")
    assert call.arguments == {"vin": "5YJ3E7EB7KF000001", "limit": 5}
    assert fake.last.body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_drives",
                "description": "The owner's drives in a period.",
                "parameters": dict(DRIVES_TOOL.parameters),
            },
        }
    ]
    assert fake.last.body["tool_choice"] == "auto"


async def test_tool_arguments_that_are_not_an_object_are_bad_output(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    fake.script(Reply(tool_calls=[("get_drives", [1, 2])]))  # type: ignore[list-item]

    with pytest.raises(BadOutput, match="get_drives"):
        await provider.chat(ask(CHAT_MODEL, tools=(DRIVES_TOOL,)))


async def test_structured_output_uses_a_strict_json_schema_response_format(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    answer = {"headline": "A short week", "distance_km": 42.6, "tags": ["commute"]}
    fake.script(Reply(structured=answer))

    result = await provider.chat(ask(CHAT_MODEL, "summarise", output_schema=SUMMARY_SCHEMA))

    assert result.parsed == answer and json.loads(result.content) == answer
    assert fake.last.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "drive_summary", "schema": SUMMARY_SCHEMA, "strict": True},
    }


async def test_structured_output_that_is_not_json_is_bad_output(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    fake.script(Reply(content="Sure! Here is your summary:", raw=True))

    with pytest.raises(BadOutput):
        await provider.chat(ask(CHAT_MODEL, output_schema=SUMMARY_SCHEMA))


async def test_a_schema_strict_mode_refuses_is_rejected_with_the_reason(provider: OpenAIProvider) -> None:
    loose = {"type": "object", "properties": {"headline": {"type": "string"}}}

    with pytest.raises(ProviderRejected, match="additionalProperties") as raised:
        await provider.chat(ask(CHAT_MODEL, output_schema=loose))
    assert raised.value.code == "HELIX_PROVIDER_REJECTED"


async def test_stream_yields_the_deltas_then_done_with_usage(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    fake.script(Reply(content="Charging is cheapest after midnight."))

    chunks = await collect(provider.stream(ask(CHAT_MODEL, "when to charge?", tools=(DRIVES_TOOL,))))

    assert "".join(c.delta for c in chunks) == "Charging is cheapest after midnight."
    assert len(chunks) == 6 and not any(c.done for c in chunks[:-1])
    assert chunks[-1].done and chunks[-1].delta == ""
    assert chunks[-1].usage is not None and chunks[-1].usage.output_tokens == 5
    assert chunks[-1].usage.input_tokens == 3
    sent = fake.last.body
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["tool_choice"] == "none"  # offered for context, never called while streaming


async def test_stream_of_structured_output_is_the_json_text(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    answer = {"headline": "Fine", "distance_km": 1.0, "tags": []}
    fake.script(Reply(structured=answer))

    chunks = await collect(provider.stream(ask(CHAT_MODEL, output_schema=SUMMARY_SCHEMA)))

    assert json.loads("".join(c.delta for c in chunks)) == answer
    assert fake.last.body["response_format"]["type"] == "json_schema"


async def test_embed_gives_one_vector_per_text_in_order(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    texts = ["How do I set a charge limit?", "Sentry mode drains the battery"]

    result = await provider.embed(EMBEDDING_MODEL, texts)

    assert result.model == EMBEDDING_MODEL
    assert [pytest.approx(v, rel=1e-6) for v in result.vectors] == [vector(t) for t in texts]
    assert result.usage.input_tokens == 12
    assert fake.last.path == "/v1/embeddings" and fake.last.body["input"] == texts
    assert await provider.embed(EMBEDDING_MODEL, []) == type(result)(vectors=[], model=EMBEDDING_MODEL)
    assert len(fake.requests) == 1  # nothing to embed, nothing sent


async def test_azure_speaks_to_the_deployment_with_its_key_and_version(
    fake: FakeOpenAI, azure: AzureOpenAIProvider
) -> None:
    fake.script(Reply(tool_calls=[("get_drives", {"vin": "5YJ3E7EB7KF000001", "limit": 1})]))

    result = await azure.chat(ask("chat-prod", "drives?", tools=(DRIVES_TOOL,)))
    vectors = await azure.embed("embed-prod", ["charge limit"])

    assert result.model == AZURE_DEPLOYMENTS["chat-prod"]
    assert result.tool_calls[0].arguments == {"vin": "5YJ3E7EB7KF000001", "limit": 1}
    assert vectors.vectors[0] == pytest.approx(vector("charge limit"), rel=1e-6)
    chat, embed = fake.requests
    assert chat.path == "/openai/deployments/chat-prod/chat/completions"
    assert embed.path == "/openai/deployments/embed-prod/embeddings"
    assert chat.query == {"api-version": AZURE_API_VERSION} == embed.query
    assert chat.headers["api-key"] == AZURE_KEY and "authorization" not in chat.headers


async def test_azure_errors_are_typed(fake: FakeOpenAI, azure: AzureOpenAIProvider) -> None:
    with pytest.raises(ProviderRejected, match="404"):
        await azure.chat(ask("no-such-deployment"))
    wrong = AzureOpenAIProvider(endpoint=fake.base_url, api_key="f" * 32, api_version=AZURE_API_VERSION)
    try:
        with pytest.raises(ProviderRejected, match="API key"):
            await wrong.chat(ask("chat-prod"))
    finally:
        await wrong.aclose()


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {"retry-after": "7"}, ProviderRateLimited),
        (500, {}, ProviderUnavailable),
        (503, {}, ProviderUnavailable),
        (400, {}, ProviderRejected),
        (403, {}, ProviderRejected),
    ],
)
async def test_error_statuses_map_to_typed_errors_without_retrying(
    fake: FakeOpenAI,
    provider: OpenAIProvider,
    status: int,
    headers: dict[str, str],
    expected: type[Exception],
) -> None:
    body = {"error": {"message": "nope", "type": "server_error", "param": None, "code": None}}
    fake.fail(status, body=body, headers=headers, count=3)

    with pytest.raises(expected) as raised:
        await provider.chat(ask(CHAT_MODEL))

    assert len(fake.requests) == 1  # the SDK's retries are off: the caller decides
    if status == 429:
        assert isinstance(raised.value, ProviderRateLimited) and raised.value.retry_after_s == 7
        assert raised.value.extensions == {"retryAfter": 7}


async def test_a_bad_key_is_rejected_without_quoting_it(fake: FakeOpenAI) -> None:
    key = "sk-proj-WRONGkeyWRONGkeyWRONGkey0123456789"
    adapter = OpenAIProvider(api_key=key, base_url=f"{fake.base_url}/v1")
    try:
        with pytest.raises(ProviderRejected) as raised:
            await adapter.chat(ask(CHAT_MODEL))
    finally:
        await adapter.aclose()
    assert "401" in str(raised.value)
    assert key not in str(raised.value) and "sk-proj" not in str(raised.value)


async def test_an_unknown_model_is_rejected_naming_it(provider: OpenAIProvider) -> None:
    with pytest.raises(ProviderRejected, match="gpt-nonexistent"):
        await provider.chat(ask("gpt-nonexistent"))
    with pytest.raises(ProviderRejected, match="404"):
        await provider.embed("gpt-nonexistent", ["x"])


async def test_a_slow_answer_times_out(fake: FakeOpenAI) -> None:
    fake.fail(200, body={}, delay_s=1.5)
    adapter = OpenAIProvider(api_key=OPENAI_KEY, base_url=f"{fake.base_url}/v1", timeout_s=0.3)
    try:
        with pytest.raises(ProviderTimeout):
            await adapter.chat(ask(CHAT_MODEL))
    finally:
        await adapter.aclose()


async def test_a_stream_that_goes_quiet_times_out(fake: FakeOpenAI) -> None:
    fake.script(Reply(content="one two three", stall_s=1.5))
    adapter = OpenAIProvider(api_key=OPENAI_KEY, base_url=f"{fake.base_url}/v1", timeout_s=0.3)
    seen: list[StreamChunk] = []
    try:
        with pytest.raises(ProviderTimeout):
            async for chunk in adapter.stream(ask(CHAT_MODEL)):
                seen.append(chunk)
    finally:
        await adapter.aclose()
    assert [c.delta for c in seen] == ["one "]


async def test_stream_errors_are_typed(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.fail(429, body={"error": {"message": "slow down"}}, headers={"retry-after": "2"})
    with pytest.raises(ProviderRateLimited) as raised:
        await collect(provider.stream(ask(CHAT_MODEL)))
    assert raised.value.retry_after_s == 2

    fake.script(
        Reply(content="half an answer", stream_error={"message": "overloaded", "type": "server_error"})
    )
    with pytest.raises(ProviderUnavailable):
        await collect(provider.stream(ask(CHAT_MODEL)))


async def test_an_unreachable_server_is_unavailable() -> None:
    adapter = OpenAIProvider(api_key=OPENAI_KEY, base_url=f"http://127.0.0.1:{free_port()}/v1", timeout_s=2)
    try:
        with pytest.raises(ProviderUnavailable):
            await adapter.chat(ask(CHAT_MODEL))
        with pytest.raises(ProviderUnavailable):
            await adapter.embed(EMBEDDING_MODEL, ["x"])
    finally:
        await adapter.aclose()
