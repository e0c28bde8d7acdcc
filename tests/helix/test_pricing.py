"""Prices: the defaults, an administrator's rows over them, costs to 6 places, and the estimate made
before a call."""

from __future__ import annotations

from decimal import Decimal

from teslasync.db.engine import Database
from teslasync.db.repositories import helix as repo
from teslasync.helix import pricing
from teslasync.helix.pricing import Price, PriceTable, estimate_tokens, prompt_tokens
from teslasync.helix.providers.base import ChatRequest, Message, Role, Tool, ToolCall, Usage


def test_cost_of_known_models() -> None:
    usage = Usage(input_tokens=1_000, output_tokens=500)
    assert pricing.cost("gpt-4o", usage) == Decimal("0.007500")  # 1000 * 2.50 + 500 * 10.00, per million
    assert pricing.cost("gpt-4o-mini", usage) == Decimal("0.000450")
    assert pricing.cost("gpt-4.1", usage) == Decimal("0.006000")
    assert pricing.cost("gpt-4.1-mini", usage) == Decimal("0.001200")
    assert pricing.cost("claude-sonnet-4", usage) == Decimal("0.010500")
    assert pricing.cost("claude-3-5-haiku", usage) == Decimal("0.002800")
    assert pricing.cost("text-embedding-3-small", Usage(1_000_000, 0)) == Decimal("0.020000")
    assert pricing.cost("text-embedding-3-large", Usage(1_000_000, 0)) == Decimal("0.130000")
    assert pricing.cost("gpt-4o", Usage(1, 0)) == Decimal("0.000003")  # 0.0000025, rounded half up
    assert pricing.cost("gpt-4o", usage).as_tuple().exponent == -6


def test_dated_and_versioned_names_take_the_longest_known_price() -> None:
    table = PriceTable()
    assert table.price("gpt-4o-2024-08-06") == table.price("gpt-4o")
    assert table.price("gpt-4o-mini-2024-07-18") == table.price("gpt-4o-mini")
    assert table.price("claude-sonnet-4-20250514") == table.price("claude-sonnet-4")
    assert table.price("claude-3-5-haiku-latest") == table.price("claude-3-5-haiku")
    assert table.price("gpt-4o-mini") != table.price("gpt-4o")
    assert table.price("gpt-4omni") is None  # a prefix only counts up to a separator


def test_local_and_unknown_models_cost_nothing() -> None:
    usage = Usage(50_000, 50_000)
    for model in ("llama3.1:8b", "nomic-embed-text", "qwen2.5:14b", "mistral"):
        assert PriceTable().price(model) is None
        assert pricing.cost(model, usage) == Decimal("0.000000")


def test_overrides_replace_and_extend_the_defaults() -> None:
    table = PriceTable(
        {
            "gpt-4o": Price(Decimal("1.00"), Decimal("2.00")),
            "my-azure-deployment": Price(Decimal(5), Decimal(5)),
        }
    )
    usage = Usage(1_000_000, 1_000_000)
    assert table.cost("gpt-4o", usage) == Decimal("3.000000")
    assert table.cost("gpt-4o-2024-08-06", usage) == Decimal("3.000000")
    assert table.cost("my-azure-deployment", usage) == Decimal("10.000000")
    assert table.cost("gpt-4o-mini", usage) == Decimal("0.750000")  # untouched default


def test_the_estimate_counts_the_prompt_and_the_whole_output_allowance() -> None:
    request = ChatRequest(
        model="gpt-4o",
        messages=(Message(Role.SYSTEM, "s" * 400), Message(Role.USER, "u" * 399)),
        max_tokens=1000,
    )
    assert estimate_tokens("u" * 399) == 100 and estimate_tokens("") == 0
    assert prompt_tokens(request) == 2 * pricing.MESSAGE_OVERHEAD_TOKENS + 100 + 100
    expected = (Decimal(208) * Decimal("2.50") + Decimal(1000) * Decimal("10.00")) / 1_000_000
    assert pricing.estimate("gpt-4o", request) == expected.quantize(Decimal("0.000001"))
    assert pricing.estimate("llama3.1:8b", request) == 0


def test_the_estimate_counts_tools_tool_calls_and_schemas() -> None:
    bare = ChatRequest(model="gpt-4o", messages=(Message(Role.USER, "hi"),), max_tokens=0)
    tool = Tool("get_drives", "The owner's drives.", {"type": "object", "properties": {"limit": {}}})
    call = ToolCall("c1", "get_drives", {"limit": 5})
    full = ChatRequest(
        model="gpt-4o",
        messages=(
            Message(Role.USER, "hi"),
            Message(Role.ASSISTANT, "", tool_calls=(call,)),
            Message(Role.TOOL, '{"drives": []}', tool_call_id="c1"),
        ),
        tools=(tool,),
        output_schema={"type": "object"},
        max_tokens=0,
    )
    assert prompt_tokens(full) > prompt_tokens(bare) + 2 * pricing.MESSAGE_OVERHEAD_TOKENS
    assert pricing.estimate("gpt-4o", full) > pricing.estimate("gpt-4o", bare)
    assert PriceTable().estimate_embed("text-embedding-3-small", ["x" * 4_000_000]) == Decimal("0.020000")


async def test_price_rows_from_the_database_override(fresh_db: Database) -> None:
    async with fresh_db.transaction() as session:
        await repo.upsert_price(session, "gpt-4o", Decimal("1.5"), Decimal("6"))
        await repo.upsert_price(session, "llama3.1:70b", Decimal("0.1"), Decimal("0.1"))
        await repo.upsert_price(session, "gone", Decimal(1), Decimal(1))
    async with fresh_db.transaction() as session:
        await repo.upsert_price(session, "gpt-4o", Decimal("2"), Decimal("8"))  # an upsert replaces
        assert await repo.delete_price(session, "gone") is True
        assert await repo.delete_price(session, "gone") is False
    async with fresh_db.transaction() as session:
        rows = await repo.prices(session)
        assert [(row.model, row.input_per_mtok, row.output_per_mtok) for row in rows] == [
            ("gpt-4o", Decimal("2.000000"), Decimal("8.000000")),
            ("llama3.1:70b", Decimal("0.100000"), Decimal("0.100000")),
        ]
        table = PriceTable.from_rows(rows)
    usage = Usage(1_000_000, 1_000_000)
    assert table.cost("gpt-4o", usage) == Decimal("10.000000")
    assert table.cost("llama3.1:70b", usage) == Decimal("0.200000")
    assert table.cost("llama3.1:8b", usage) == 0
