"""Helix's middleware chain against a real database and a recording provider: the steps run in their order
(trace, audit, cost, rate limit, redact, provider), the budget blocks a call that would exceed it, and
redaction removes every planted VIN, coordinate, e-mail and token from what reaches the provider.

Also the repository beneath it: features, settings, spend by month and day, the audit page."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from sqlalchemy import func, select

from teslasync.auth.ratelimit import Decision, Limit, MemoryRateLimiter
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.models import HelixCallRow, User
from teslasync.db.repositories import helix as repo
from teslasync.helix import pricing
from teslasync.helix.chain import (
    Audit,
    Cost,
    HelixCall,
    HelixClient,
    Middleware,
    Next,
    RateLimit,
    Redact,
    Trace,
)
from teslasync.helix.errors import BudgetExceeded, HelixRateLimited, ProviderUnavailable
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
from tests.conftest import make_settings

VIN_A = "5YJ3E1EA7KF317000"
VIN_B = "LRW3E7EK4NC123456"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
API_TOKEN = "tsk_a1b2c3d4_9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"
OPENAI_KEY = "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34"
EMAIL = "jane.doe@example.com"
PLANTED = [
    VIN_A,
    VIN_B,
    "52.520008",
    "13.404954",
    "48.137154",
    "11.576124",
    EMAIL,
    JWT,
    API_TOKEN,
    OPENAI_KEY,
]
USAGE = Usage(input_tokens=1_000, output_tokens=200)
MODEL = "gpt-4o"


class RecordingProvider(Provider):
    """Answers from a script and keeps every request it was sent, exactly as it arrived."""

    name = "recording"

    def __init__(
        self,
        content: str = "All good.",
        *,
        tool_calls: tuple[ToolCall, ...] = (),
        pieces: Sequence[str] = ("All ", "good."),
        usage: Usage | None = USAGE,
        fail: Exception | None = None,
    ) -> None:
        self.content = content
        self.tool_calls = tool_calls
        self.pieces = pieces
        self.usage = usage
        self.fail = fail
        self.requests: list[ChatRequest] = []
        self.embedded: list[list[str]] = []

    async def chat(self, request: ChatRequest) -> ChatResult:
        self.requests.append(request)
        if self.fail is not None:
            raise self.fail
        return ChatResult(self.content, request.model, self.usage or Usage(), tool_calls=self.tool_calls)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        self.requests.append(request)
        if self.fail is not None:
            raise self.fail
        for piece in self.pieces:
            yield StreamChunk(delta=piece)
        if self.usage is not None:
            yield StreamChunk(done=True, usage=self.usage)

    async def embed(self, model: str, texts: Sequence[str]) -> Embeddings:
        self.embedded.append(list(texts))
        return Embeddings([[0.1, 0.2] for _ in texts], model, Usage(input_tokens=len(texts) * 10))


class CountingLimiter(MemoryRateLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.keys: list[str] = []

    async def hit(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        self.keys.append(key)
        return await super().hit(key, limit, cost)


@dataclass
class Recorder:
    """A middleware that notes when calls pass it, in and out, and what they carry at that point."""

    name: str
    log: list[str]
    seen: list[HelixCall] = field(default_factory=list)
    requests: list[ChatRequest | None] = field(default_factory=list)
    costs_out: list[Decimal] = field(default_factory=list)
    db: Database | None = None
    rows_out: list[int] = field(default_factory=list)

    async def __call__(self, call: HelixCall, call_next: Next) -> Any:
        self.log.append(f"in {self.name}")
        self.seen.append(call)
        self.requests.append(call.outbound or call.request)
        answer = await call_next(call)
        self.log.append(f"out {self.name}")
        self.costs_out.append(call.cost)
        if self.db is not None:
            self.rows_out.append(await count_calls(self.db))
        return answer


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def tracer_for(exporter: InMemorySpanExporter) -> Any:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test")


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    overrides.setdefault("helix_monthly_budget", 100.0)
    overrides.setdefault("helix_requests_per_minute", 100)
    return make_settings(tmp_path, **overrides)


def client_for(
    db: Database,
    provider: Provider,
    settings: Settings,
    spans: InMemorySpanExporter,
    limiter: MemoryRateLimiter | None = None,
    middlewares: Sequence[Middleware] | None = None,
) -> HelixClient:
    return HelixClient(
        db,
        provider,
        settings,
        limiter if limiter is not None else CountingLimiter(),
        tracer=tracer_for(spans),
        middlewares=middlewares,
    )


async def make_user(db: Database, name: str = "owner") -> int:
    async with db.transaction() as session:
        user = User(username=name, source="local")
        session.add(user)
        await session.flush()
        return user.id


async def count_calls(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(HelixCallRow)) or 0)


async def audit_rows(db: Database) -> list[HelixCallRow]:
    async with db.transaction() as session:
        return list(reversed(await repo.calls_page(session, limit=100)))


def ask(text: str = "How efficient was my last drive?", max_tokens: int = 1000) -> ChatRequest:
    return ChatRequest(model=MODEL, messages=(Message(Role.USER, text),), max_tokens=max_tokens)


def the_span(spans: InMemorySpanExporter) -> ReadableSpan:
    finished = spans.get_finished_spans()
    assert len(finished) == 1, [span.name for span in finished]
    return finished[0]


# --- order


async def test_the_chain_runs_in_order(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    settings = settings_for(tmp_path)
    standard = client_for(fresh_db, RecordingProvider(), settings, spans).middlewares
    assert [type(step) for step in standard] == [Trace, Audit, Cost, RateLimit, Redact]

    log: list[str] = []
    recorders = [Recorder(f"before {type(step).__name__}", log, db=fresh_db) for step in standard]
    last = Recorder("before the provider", log, db=fresh_db)
    chain: list[Middleware] = []
    for recorder, step in zip(recorders, standard, strict=True):
        chain += [recorder, step]
    chain.append(last)
    provider = RecordingProvider(content=f"VIN-1 did fine ({EMAIL} told me)")
    client = client_for(fresh_db, provider, settings, spans, middlewares=chain)
    user = await make_user(fresh_db)

    result = await client.chat("explain", user, ask(f"How did {VIN_A} do? Mail {EMAIL}"))

    names = [recorder.name for recorder in [*recorders, last]]
    assert log == [f"in {name}" for name in names] + [f"out {name}" for name in reversed(names)]
    before_audit, before_cost, before_limit, before_redact = recorders[1:]
    # redaction is the last step: only what passes after it is redacted
    assert before_redact.requests[0] is not None and VIN_A in before_redact.requests[0].messages[0].content
    assert (
        last.requests[0] is not None
        and last.requests[0].messages[0].content == "How did VIN-1 do? Mail [email]"
    )
    assert provider.requests == [last.requests[0]]
    # the cost is known on the way out of the cost step, and the audit row written on the way out of audit
    assert before_limit.costs_out == [0] and before_cost.costs_out[0] == pricing.cost(MODEL, USAGE)
    assert before_cost.rows_out == [0] and before_audit.rows_out == [1]
    assert result.content == f"VIN-1 did fine ({EMAIL} told me)".replace("VIN-1", VIN_A)
    assert the_span(spans).name == "helix explain chat"


async def test_a_budget_refusal_is_audited_and_traced_but_reaches_neither_the_limiter_nor_the_provider(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    provider, limiter = RecordingProvider(), CountingLimiter()
    client = client_for(fresh_db, provider, settings_for(tmp_path), spans, limiter)
    user = await make_user(fresh_db)
    async with fresh_db.transaction() as session:
        await repo.upsert_feature(session, "explain", enabled=True, monthly_budget=Decimal("0.05"))
        await repo.record_call(
            session,
            feature="explain",
            user_id=user,
            provider="recording",
            model=MODEL,
            kind="chat",
            input_tokens=0,
            output_tokens=0,
            cost=Decimal("0.045"),
            latency_ms=1,
            outcome="ok",
        )

    with pytest.raises(BudgetExceeded) as refused:
        await client.chat("explain", user, ask())

    assert "the monthly budget of the 'explain' feature ($0.0500) would be exceeded" in refused.value.message
    assert refused.value.extensions["budget"] == "feature" and refused.value.code == "HELIX_BUDGET_EXCEEDED"
    assert provider.requests == [] and limiter.keys == []
    row = (await audit_rows(fresh_db))[-1]
    assert (row.outcome, row.error_code, row.cost, row.user_id) == (
        "error",
        "HELIX_BUDGET_EXCEEDED",
        Decimal(0),
        user,
    )
    span = the_span(spans)
    assert span.status.status_code is StatusCode.ERROR and span.status.description == "HELIX_BUDGET_EXCEEDED"
    assert span.attributes is not None and span.attributes["helix.estimate_usd"] == float(
        pricing.estimate(MODEL, ask())
    )


async def test_the_budget_blocks_the_call_that_would_exceed_it(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    provider = RecordingProvider()
    client = client_for(fresh_db, provider, settings_for(tmp_path), spans)
    user = await make_user(fresh_db)
    async with fresh_db.transaction() as session:
        await repo.upsert_feature(session, "explain", monthly_budget=Decimal("0.02"))
    estimate, cost = pricing.estimate(MODEL, ask()), pricing.cost(MODEL, USAGE)
    assert estimate > cost  # the estimate is the pessimistic one

    spent = Decimal(0)
    while spent + estimate <= Decimal("0.02"):
        await client.chat("explain", user, ask())
        spent += cost
    with pytest.raises(BudgetExceeded):
        await client.chat("explain", user, ask())

    assert len(provider.requests) == 3
    async with fresh_db.transaction() as session:
        assert await repo.spend_this_month(session, feature="explain") == spent == 3 * cost
    await client.chat("other", user, ask())  # a budget is per feature
    assert [row.outcome for row in await audit_rows(fresh_db)] == ["ok", "ok", "ok", "error", "ok"]


async def test_the_global_budget(fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter) -> None:
    provider = RecordingProvider()
    client = client_for(fresh_db, provider, settings_for(tmp_path, helix_monthly_budget=0.005), spans)
    user = await make_user(fresh_db)

    with pytest.raises(BudgetExceeded, match=r"Helix's monthly budget \(\$0\.0050\) would be exceeded"):
        await client.chat("explain", user, ask())  # Settings.helix_monthly_budget

    async with fresh_db.transaction() as session:
        await repo.set_setting(session, "monthly_budget", 1)
    await client.chat("explain", user, ask())  # the setting comes first

    async with fresh_db.transaction() as session:
        await repo.set_setting(session, "monthly_budget", "0.001")
    with pytest.raises(BudgetExceeded) as refused:
        await client.embed("search", None, "text-embedding-3-large", ["x" * 40_000])
    assert refused.value.extensions["budget"] == "global"

    await client.chat("local", user, replace_model(ask(), "llama3.1:8b"))  # costs nothing: never refused
    async with fresh_db.transaction() as session:
        await repo.set_setting(session, "monthly_budget", None)  # null: no global budget
    await client.chat("explain", user, ask())
    assert len(provider.requests) == 3


def replace_model(request: ChatRequest, model: str) -> ChatRequest:
    return ChatRequest(model=model, messages=request.messages, max_tokens=request.max_tokens)


async def test_a_failed_call_costs_nothing_and_frees_its_reservation(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    provider = RecordingProvider(fail=ProviderUnavailable("the provider is down"))
    budget = pricing.estimate(MODEL, ask()) * Decimal("1.5")  # room for one call's estimate, not two
    client = client_for(fresh_db, provider, settings_for(tmp_path, helix_monthly_budget=float(budget)), spans)

    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await client.chat("explain", None, ask())

    rows = await audit_rows(fresh_db)
    assert [(row.outcome, row.error_code, row.cost) for row in rows] == [
        ("error", "HELIX_UNAVAILABLE", Decimal(0))
    ] * 2
    assert all(span.status.description == "HELIX_UNAVAILABLE" for span in spans.get_finished_spans())


async def test_calls_in_flight_count_against_the_budget(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    gate, arrived = asyncio.Event(), asyncio.Event()

    class SlowProvider(RecordingProvider):
        async def chat(self, request: ChatRequest) -> ChatResult:
            self.requests.append(request)
            arrived.set()
            await gate.wait()
            return ChatResult("done", request.model, USAGE)

    provider = SlowProvider()
    budget = pricing.estimate(MODEL, ask()) * Decimal("1.5")  # room for one call's estimate, not two
    client = client_for(fresh_db, provider, settings_for(tmp_path, helix_monthly_budget=float(budget)), spans)

    first = asyncio.create_task(client.chat("explain", None, ask()))
    running = r"\$0\.00 spent this month, \$0\.0\d+ more in calls running now"
    try:
        await arrived.wait()
        with pytest.raises(BudgetExceeded, match=running):  # nothing is spent yet, but the first call may
            await client.chat("explain", None, ask())
    finally:
        gate.set()
    assert (await first).content == "done"
    async with fresh_db.transaction() as session:
        assert await repo.spend_this_month(session) == pricing.cost(MODEL, USAGE)


# --- rate limit


async def test_a_rate_limited_call_is_audited_and_never_reaches_the_provider(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    provider, limiter = RecordingProvider(), CountingLimiter()
    client = client_for(
        fresh_db, provider, settings_for(tmp_path, helix_requests_per_minute=2), spans, limiter
    )
    owner, other = await make_user(fresh_db), await make_user(fresh_db, "other")

    await client.chat("explain", owner, ask())
    await client.chat("explain", owner, ask())
    with pytest.raises(HelixRateLimited) as refused:
        await client.chat("explain", owner, ask())
    assert refused.value.code == "RATE_LIMITED" and refused.value.extensions["retryAfter"] == 30
    assert "retry in 30 s" in refused.value.message

    await client.chat("explain", other, ask())  # per user
    await client.chat("summary", owner, ask())  # and per feature
    for _ in range(3):
        await client.chat("explain", None, ask())  # background work is not limited
    assert len(provider.requests) == 7
    assert limiter.keys[:3] == [f"helix:{owner}:explain"] * 3
    rows = await audit_rows(fresh_db)
    assert [row.error_code for row in rows] == [None, None, "RATE_LIMITED", None, None, None, None, None]
    assert rows[2].user_id == owner and rows[2].input_tokens == 0 and rows[2].cost == 0
    assert [span.status.status_code for span in spans.get_finished_spans()].count(StatusCode.ERROR) == 1


# --- redaction


def planted_conversation() -> ChatRequest:
    tool_result = json.dumps(
        {
            "vin": VIN_B,
            "drives": [
                {"start": {"latitude": 48.137154, "longitude": 11.576124}, "distance_km": 23.4, "kwh": 4.1},
            ],
            "owner_email": EMAIL,
        }
    )
    return ChatRequest(
        model=MODEL,
        messages=(
            Message(Role.SYSTEM, "You explain the owner's Tesla data. Use the tools."),
            Message(
                Role.USER,
                f"My car {VIN_A} was parked at 52.520008, 13.404954 on 2024-05-01 with 80 % battery. "
                f"My token is {API_TOKEN}, my key {OPENAI_KEY}, mail me at {EMAIL}; "
                f"the app sent Authorization: Bearer {JWT}",
            ),
            Message(
                Role.ASSISTANT,
                "",
                tool_calls=(ToolCall("c1", "get_drives", {"vin": VIN_B, "near": "48.137154, 11.576124"}),),
            ),
            Message(Role.TOOL, tool_result, tool_call_id="c1"),
        ),
        tools=(Tool("get_drives", "The owner's drives.", {"type": "object"}),),
    )


async def test_the_provider_sees_only_redacted_text_and_the_owner_gets_the_vins_back(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    provider = RecordingProvider(
        content="VIN-1 parked for 8 h; VIN-2 drove 23.4 km.",
        tool_calls=(ToolCall("c2", "get_charges", {"vin": "VIN-2", "vins": ["VIN-1"]}),),
    )
    client = client_for(fresh_db, provider, settings_for(tmp_path), spans)

    result = await client.chat("explain", await make_user(fresh_db), planted_conversation())

    sent = provider.requests[0]
    wire = json.dumps(
        [
            {"content": m.content, "tool_calls": [dict(c.arguments) for c in m.tool_calls]}
            for m in sent.messages
        ]
    )
    for value in PLANTED:
        assert value not in wire, value
    for kept in ("2024-05-01", "80 % battery", "23.4", "4.1", "52.52, 13.40"):
        assert kept in wire, kept
    assert sent.messages[1].content.startswith("My car VIN-1 was parked at 52.52, 13.40")
    assert sent.messages[2].tool_calls[0].arguments == {"vin": "VIN-2", "near": "48.14, 11.58"}
    tool_result = json.loads(sent.messages[3].content)
    assert tool_result["vin"] == "VIN-2" and tool_result["owner_email"] == "[email]"
    assert tool_result["drives"] == [
        {"start": {"latitude": 48.14, "longitude": 11.58}, "distance_km": 23.4, "kwh": 4.1}
    ]
    assert result.content == f"{VIN_A} parked for 8 h; {VIN_B} drove 23.4 km."
    assert result.tool_calls[0].arguments == {"vin": VIN_B, "vins": [VIN_A]}


async def test_prompts_are_stored_only_when_the_setting_says_so_and_then_redacted(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    provider = RecordingProvider(content="VIN-1 is fine.")
    client = client_for(fresh_db, provider, settings_for(tmp_path), spans)
    user = await make_user(fresh_db)

    await client.chat("explain", user, planted_conversation())
    async with fresh_db.transaction() as session:
        await repo.set_setting(session, "store_prompts", True)
    await client.chat("explain", user, planted_conversation())

    kept_out, stored = await audit_rows(fresh_db)
    assert kept_out.prompt is None and kept_out.response is None
    async with fresh_db.transaction() as session:  # not stored is SQL NULL, not a JSON null
        assert await session.scalar(select(func.count()).where(HelixCallRow.prompt.is_(None))) == 1
    assert stored.response == "VIN-1 is fine."  # as the provider gave it
    dumped = json.dumps(stored.prompt)
    for value in PLANTED:
        assert value not in dumped, value
    assert isinstance(stored.prompt, dict) and stored.prompt["model"] == MODEL
    assert [m["role"] for m in stored.prompt["messages"]] == ["system", "user", "assistant", "tool"]
    assert stored.prompt["messages"][2]["tool_calls"][0]["arguments"]["vin"] == "VIN-2"
    assert (stored.provider, stored.kind, stored.input_tokens, stored.output_tokens) == (
        "recording",
        "chat",
        1000,
        200,
    )
    assert stored.cost == pricing.cost(MODEL, USAGE) and stored.latency_ms >= 0


async def test_a_refused_call_stores_its_prompt_redacted_too(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    client = client_for(
        fresh_db, RecordingProvider(), settings_for(tmp_path, helix_monthly_budget=0.0), spans
    )
    async with fresh_db.transaction() as session:
        await repo.set_setting(session, "store_prompts", True)
    with pytest.raises(BudgetExceeded):
        await client.chat("explain", None, planted_conversation())
    (row,) = await audit_rows(fresh_db)
    dumped = json.dumps(row.prompt)
    assert "VIN-1" in dumped and all(value not in dumped for value in PLANTED)
    assert row.response is None


# --- streams and embeddings


async def test_a_stream_is_restored_and_audited_when_it_ends(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    provider = RecordingProvider(pieces=["Your car V", "IN-", "1 charged ", "12.3 kWh."])
    client = client_for(fresh_db, provider, settings_for(tmp_path), spans)
    user = await make_user(fresh_db)

    stream = client.stream("explain", user, ask(f"What did {VIN_A} charge?"))
    chunks = []
    async for chunk in stream:
        assert await count_calls(fresh_db) == 0  # audited after the end, with the streamed usage
        chunks.append(chunk)

    assert "".join(chunk.delta for chunk in chunks) == f"Your car {VIN_A} charged 12.3 kWh."
    assert chunks[-1].done and chunks[-1].usage == USAGE
    assert provider.requests[0].messages[0].content == "What did VIN-1 charge?"
    (row,) = await audit_rows(fresh_db)
    assert (row.kind, row.outcome, row.input_tokens, row.output_tokens) == ("stream", "ok", 1000, 200)
    assert row.cost == pricing.cost(MODEL, USAGE)
    span = the_span(spans)
    assert span.name == "helix explain stream" and span.status.status_code is not StatusCode.ERROR
    assert span.attributes is not None and span.attributes["gen_ai.usage.output_tokens"] == 200


async def test_a_stream_closed_early_is_audited_as_cancelled_with_an_estimated_usage(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    provider = RecordingProvider(pieces=["one ", "two ", "three"], usage=None)
    client = client_for(fresh_db, provider, settings_for(tmp_path), spans)

    stream = client.stream("explain", None, ask())
    first = await anext(stream)
    assert first.delta == "one "
    await stream.aclose()  # type: ignore[attr-defined]  # an async generator has it

    (row,) = await audit_rows(fresh_db)
    assert (row.outcome, row.error_code) == ("error", "CANCELLED")
    assert row.input_tokens > 0 and row.output_tokens > 0 and row.cost > 0  # the provider did work
    assert the_span(spans).status.description == "CANCELLED"


async def test_a_stream_starts_when_read_and_a_refusal_or_failure_raises_from_the_first_read(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    failing = RecordingProvider(fail=ProviderUnavailable("down"))
    client = client_for(fresh_db, failing, settings_for(tmp_path), spans)
    never_read = client.stream("explain", None, ask())
    stream = client.stream("explain", None, ask())
    assert failing.requests == [] and await count_calls(fresh_db) == 0  # nothing happens before a read
    with pytest.raises(ProviderUnavailable):
        await anext(stream)
    broke = client_for(fresh_db, RecordingProvider(), settings_for(tmp_path, helix_monthly_budget=0.0), spans)
    with pytest.raises(BudgetExceeded):
        await anext(broke.stream("explain", None, ask()))
    del never_read
    rows = await audit_rows(fresh_db)
    assert [(row.kind, row.error_code) for row in rows] == [
        ("stream", "HELIX_UNAVAILABLE"),
        ("stream", "HELIX_BUDGET_EXCEEDED"),
    ]


async def test_embeddings_are_redacted_and_audited(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    provider = RecordingProvider()
    client = client_for(fresh_db, provider, settings_for(tmp_path), spans)

    result = await client.embed("search", None, "text-embedding-3-small", [f"drives of {VIN_A}", EMAIL])

    assert len(result.vectors) == 2
    assert provider.embedded == [["drives of VIN-1", "[email]"]]
    (row,) = await audit_rows(fresh_db)
    assert (row.kind, row.model, row.input_tokens, row.outcome) == (
        "embed",
        "text-embedding-3-small",
        20,
        "ok",
    )
    assert row.cost == pricing.cost("text-embedding-3-small", Usage(20, 0))
    assert the_span(spans).name == "helix search embed"


async def test_a_stream_dropped_unfinished_is_still_audited(
    fresh_db: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    client = client_for(fresh_db, RecordingProvider(), settings_for(tmp_path), spans)
    stream = client.stream("explain", None, ask())
    assert (await anext(stream)).delta == "All "
    del stream  # neither finished nor closed: the chain's steps finish when it is collected
    gc.collect()
    for _ in range(50):
        if await count_calls(fresh_db):
            break
        await asyncio.sleep(0.02)
    (row,) = await audit_rows(fresh_db)
    assert row.error_code == "CANCELLED" and row.input_tokens > 0


# --- the repository


async def test_features_and_settings(fresh_db: Database) -> None:
    async with fresh_db.transaction() as session:
        assert await repo.features(session) == []
        row = await repo.upsert_feature(session, "explain", enabled=True)
        assert (row.enabled, row.model, row.monthly_budget) == (True, None, None)
        await repo.upsert_feature(session, "explain", model="gpt-4o-mini", monthly_budget=Decimal("2.5"))
        await repo.upsert_feature(session, "anomalies")
    async with fresh_db.transaction() as session:
        rows = await repo.features(session)
        assert [(r.name, r.enabled, r.model, r.monthly_budget) for r in rows] == [
            ("anomalies", False, None, None),
            ("explain", True, "gpt-4o-mini", Decimal("2.5000")),  # enabled is kept: only given fields change
        ]
        row = await repo.upsert_feature(session, "explain", enabled=False, model=None)
        assert (row.enabled, row.model, row.monthly_budget) == (False, None, Decimal("2.5000"))

        assert await repo.get_setting(session, "store_prompts", False) is False
        await repo.set_setting(session, "store_prompts", True)
        await repo.set_setting(session, "monthly_budget", 12.5)
        await repo.set_setting(session, "monthly_budget", {"usd": 20})
        await repo.set_setting(session, "nothing", None)
    async with fresh_db.transaction() as session:
        assert await repo.settings(session) == {
            "store_prompts": True,
            "monthly_budget": {"usd": 20},
            "nothing": None,
        }
        assert await repo.get_setting(session, "nothing", "default") is None  # stored null is not missing
        assert await repo.delete_setting(session, "nothing") is True
        assert await repo.get_setting(session, "nothing", "default") == "default"


async def record(db: Database, at: datetime, cost: str, feature: str = "explain", outcome: str = "ok") -> int:
    async with db.transaction() as session:
        return await repo.record_call(
            session,
            feature=feature,
            user_id=None,
            provider="recording",
            model=MODEL,
            kind="chat",
            input_tokens=1,
            output_tokens=1,
            cost=Decimal(cost),
            latency_ms=5,
            outcome=outcome,
            at=at,
        )


async def test_spend_by_calendar_month_and_day_in_utc(fresh_db: Database) -> None:
    await record(fresh_db, datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC), "5")  # the month before
    await record(fresh_db, datetime(2026, 3, 1, 0, 0, tzinfo=UTC), "0.25")
    await record(fresh_db, datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "0.125", feature="summary")
    await record(fresh_db, datetime(2026, 3, 15, 9, 30, tzinfo=UTC), "1.000001")
    await record(fresh_db, datetime(2026, 4, 1, 0, 0, tzinfo=UTC), "7")  # the month after
    now = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)

    async with fresh_db.transaction() as session:
        assert await repo.spend_this_month(session, now=now) == Decimal("1.375001")
        assert await repo.spend_this_month(session, feature="explain", now=now) == Decimal("1.250001")
        assert await repo.spend_this_month(session, feature="nothing", now=now) == 0
        days = await repo.spend_by_day(session, date(2026, 3, 20))
        explain_days = await repo.spend_by_day(session, date(2026, 3, 1), feature="explain")

    assert len(days) == 31 and days[0].day == date(2026, 3, 1) and days[-1].day == date(2026, 3, 31)
    assert (days[0].cost, days[0].calls) == (Decimal("0.375"), 2)
    assert (days[14].day, days[14].cost, days[14].calls) == (date(2026, 3, 15), Decimal("1.000001"), 1)
    assert sum(day.cost for day in days) == Decimal("1.375001")
    assert sum(day.calls for day in days) == 3
    assert explain_days[0].cost == Decimal("0.25")
    assert repo.month_start(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == datetime(2026, 12, 1, tzinfo=UTC)
    assert repo.next_month(datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


async def test_calls_page_is_newest_first_and_keyset_paged(fresh_db: Database) -> None:
    for minute in range(5):
        outcome = "error" if minute == 2 else "ok"
        await record(fresh_db, datetime(2026, 3, 1, 12, minute, tzinfo=UTC), "0", outcome=outcome)
    async with fresh_db.transaction() as session:
        first = await repo.calls_page(session, limit=2)
        second = await repo.calls_page(session, before=(first[-1].at, first[-1].id), limit=2)
        errors = await repo.calls_page(session, outcome="error")
        none = await repo.calls_page(session, feature="other")
    assert [row.at.minute for row in first] == [4, 3] and [row.at.minute for row in second] == [2, 1]
    assert [row.at.minute for row in errors] == [2] and none == []
