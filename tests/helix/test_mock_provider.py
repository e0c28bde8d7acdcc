"""The mock provider: deterministic answers, tool calls and structured output derived from the request, word
deltas, and hashed bag-of-words embeddings."""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema_rs  # schemathesis' JSON Schema validator: an independent check of the mock's examples
import pytest

from teslasync.helix.providers.base import ChatRequest, Message, Role, StreamChunk
from teslasync.helix.providers.mock import MOCK_EMBEDDING_DIMS, MockProvider, example
from tests.helix.samples import CALL, DRIVES_TOOL, ROUND_TRIP, SUMMARY_SCHEMA, ask

MODEL = "mock-1"


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_chat_echoes_the_question_deterministically() -> None:
    mock = MockProvider()

    first = await mock.chat(ask(MODEL, "How far did I drive this week?"))
    again = await mock.chat(ask(MODEL, "How far did I drive this week?"))

    assert first == again
    assert first.content == "Mock answer to: How far did I drive this week?"
    assert (first.model, first.finish_reason, first.tool_calls, first.parsed) == (MODEL, "stop", (), None)
    assert (first.usage.input_tokens, first.usage.output_tokens) == (7, 10)
    assert list(mock.requests) == [ask(MODEL, "How far did I drive this week?")] * 2


async def test_a_long_question_is_summarised() -> None:
    result = await MockProvider().chat(ask(MODEL, " ".join(f"w{i}" for i in range(100))))

    assert result.content.startswith("Mock answer to: w0 w1") and result.content.endswith("w29 …")


async def test_a_tool_named_in_the_question_is_called_with_arguments_from_it() -> None:
    question = "please get_drives for vin=5YJ3E7EB7KF000001, limit: 3"

    result = await MockProvider().chat(ask(MODEL, question, tools=(DRIVES_TOOL,)))

    assert result.finish_reason == "tool_calls" and result.content == ""
    [call] = result.tool_calls
    assert (call.id, call.name) == ("mock_call_1", "get_drives")
    assert call.arguments == {"vin": "5YJ3E7EB7KF000001", "limit": 3}


async def test_a_spaced_tool_name_matches_and_missing_required_arguments_are_filled() -> None:
    result = await MockProvider().chat(ask(MODEL, "Get drives, please", tools=(DRIVES_TOOL,)))

    [call] = result.tool_calls
    assert call.arguments == {"vin": "mock", "limit": 1}  # the minimum of `limit`
    assert jsonschema_rs.is_valid(dict(DRIVES_TOOL.parameters), dict(call.arguments))


async def test_no_tool_named_means_a_text_answer() -> None:
    result = await MockProvider().chat(ask(MODEL, "How is the battery?", tools=(DRIVES_TOOL,)))

    assert result.tool_calls == () and result.content == "Mock answer to: How is the battery?"


async def test_after_tool_results_it_answers_with_them() -> None:
    request = ChatRequest(MODEL, ROUND_TRIP, tools=(DRIVES_TOOL,))

    result = await MockProvider().chat(request)

    assert result.tool_calls == ()
    assert result.content == 'Based on the tool results: [{"distance_km": 12.5}, {"distance_km": 30.1}]'


async def test_tool_call_ids_count_on_through_the_conversation() -> None:
    messages = (*ROUND_TRIP, Message(Role.USER, "and get_drives limit=9 too"))

    result = await MockProvider().chat(ChatRequest(MODEL, messages, tools=(DRIVES_TOOL,)))

    assert result.tool_calls[0].id == "mock_call_2" != CALL.id
    assert result.tool_calls[0].arguments["limit"] == 9


async def test_structured_output_is_a_minimal_valid_object() -> None:
    result = await MockProvider().chat(ask(MODEL, "summarise", output_schema=SUMMARY_SCHEMA))

    assert result.parsed == {"headline": "mock", "distance_km": 0, "tags": []}
    assert json.loads(result.content) == result.parsed
    assert result.tool_calls == () and result.finish_reason == "stop"


SCHEMAS: list[dict[str, Any]] = [
    SUMMARY_SCHEMA,
    {"type": "object", "properties": {"a": {"type": "string"}}},
    {"type": "string", "format": "date-time"},
    {"type": "string", "minLength": 10, "maxLength": 12},
    {"type": "integer", "minimum": 5, "maximum": 9},
    {"type": "number", "exclusiveMinimum": 2.5},
    {"type": ["null", "boolean"]},
    {"enum": ["low", "high"]},
    {"const": 42},
    {"anyOf": [{"type": "integer", "minimum": 3}, {"type": "string"}]},
    {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2},
    {
        "type": "object",
        "$defs": {
            "point": {"type": "object", "properties": {"lat": {"type": "number"}}, "required": ["lat"]}
        },
        "properties": {"where": {"$ref": "#/$defs/point"}, "when": {"type": "string", "format": "date"}},
        "required": ["where", "when"],
        "additionalProperties": False,
    },
    {"allOf": [{"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}]},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_examples_are_valid_for_their_schema(schema: dict[str, Any]) -> None:
    value = example(schema)

    assert jsonschema_rs.is_valid(schema, value), value


async def test_stream_gives_the_answer_as_word_deltas_then_done() -> None:
    mock = MockProvider()
    request = ask(MODEL, "How far did I drive?", tools=(DRIVES_TOOL,))

    chunks: list[StreamChunk] = [chunk async for chunk in mock.stream(request)]

    answer = await mock.chat(ask(MODEL, "How far did I drive?"))
    assert [c.delta for c in chunks[:-1]] == [
        "Mock ",
        "answer ",
        "to: ",
        "How ",
        "far ",
        "did ",
        "I ",
        "drive?",
    ]
    assert "".join(c.delta for c in chunks) == answer.content
    assert chunks[-1].done and chunks[-1].usage == answer.usage


async def test_stream_never_calls_tools_even_when_one_is_named() -> None:
    chunks = [
        chunk async for chunk in MockProvider().stream(ask(MODEL, "get_drives now", tools=(DRIVES_TOOL,)))
    ]

    assert "".join(c.delta for c in chunks) == "Mock answer to: get_drives now"


async def test_embeddings_are_unit_vectors_where_shared_words_mean_similar() -> None:
    mock = MockProvider()
    texts = [
        "Set the charge limit to 80 percent",
        "set the CHARGE limit to 80 percent",
        "What is the charge limit for daily driving?",
        "Sentry mode records video",
        "",
    ]

    result = await mock.embed("mock-embed", texts)
    again = await mock.embed("mock-embed", texts[:1])

    same, case, related, unrelated, empty = result.vectors
    assert again.vectors[0] == same and result.model == "mock-embed"
    assert all(len(v) == MOCK_EMBEDDING_DIMS for v in result.vectors)
    assert math.isclose(math.sqrt(sum(x * x for x in same)), 1.0)
    assert case == same
    assert cosine(same, related) > cosine(same, unrelated)
    assert cosine(same, related) > 0.3
    assert empty == [0.0] * MOCK_EMBEDDING_DIMS
    assert result.usage.input_tokens == 7 + 7 + 8 + 4
    assert list(mock.embedded) == [*texts, texts[0]]
