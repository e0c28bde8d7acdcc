"""The one way Helix reaches a provider: a chain of middleware every call passes through, in this order:

    trace -> audit -> cost -> rate limit -> redact -> provider

- trace: an OpenTelemetry span `helix <feature> <kind>` around everything, so a refusal is as visible as
  an answer; the error's code marks it.
- audit: a `helix_calls` row for every call, refused ones included (the owner sees what was attempted and
  why it failed); the prompt and response only when the `store_prompts` setting is true, and then as they
  crossed the wire: redacted, with pseudonyms.
- cost: the budgets are checked before the call with a pessimistic estimate (a call that would take this
  month's spend past the feature's budget or the global one is refused, `BudgetExceeded`), and the real
  cost, from the provider's usage, is what the audit row records. Before the rate limit, so a refused call
  does not use up the user's allowance.
- rate limit: per user and feature (`helix_requests_per_minute`), `HelixRateLimited` with `retryAfter`.
  Calls without a user (background jobs, such as indexing the docs) are not limited.
- redact: messages, tool arguments and tool results go through a `Redactor` (one per call) right before
  the provider, nothing after it sees unredacted text; the answer's VIN pseudonyms are restored for the
  owner, in the text and in the arguments of the tools the model calls.

Each step is a middleware, `async (call, call_next) -> answer`, composable and testable alone. A chat or an
embedding answers when the provider has; a stream is an async iterator that each step wraps, so the audit,
the cost and the span end when the stream does (exhausted, failed, or closed early by the consumer: then
the outcome is `CANCELLED`, and when the provider gave no usage it is estimated from what was streamed).

The audit and the budget checks use short transactions of their own (`Database.transaction()`): an audit
row must survive the caller's transaction being rolled back (a refusal raises through it), and no
transaction should stay open for the seconds a model takes to answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol

from opentelemetry import trace
from opentelemetry.trace import Span, Tracer
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.auth.ratelimit import Limit, RateLimiter
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.repositories import helix as repo
from teslasync.errors import TeslaSyncError
from teslasync.helix.errors import BudgetExceeded, HelixRateLimited
from teslasync.helix.pricing import PriceTable, estimate_tokens, prompt_tokens
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
from teslasync.helix.redact import Redactor, StreamRestorer
from teslasync.observability import tracing
from teslasync.observability.metrics import HELIX_CALLS, HELIX_COST

log = logging.getLogger("teslasync.helix.chain")

CallKind = Literal["chat", "stream", "embed"]
Answer = ChatResult | Embeddings | AsyncIterator[StreamChunk]
Next = Callable[["HelixCall"], Awaitable[Answer]]

STORE_PROMPTS = "store_prompts"  # setting: true to keep prompts and responses in the audit
MONTHLY_BUDGET = "monthly_budget"  # setting: USD a month for all of Helix; null for none
CANCELLED = "CANCELLED"
LOCAL_PROVIDERS = frozenset({"ollama", "mock"})  # free by nature: no warning for their unpriced models


@dataclass(eq=False)
class HelixCall:
    """One call as it passes through the chain: what was asked, and what the steps learn on the way."""

    feature: str
    user_id: int | None
    kind: CallKind
    model: str
    provider: str
    redactor: Redactor
    request: ChatRequest | None = None  # chat and stream: as the feature asked
    texts: tuple[str, ...] = ()  # embed: as the feature asked
    outbound: ChatRequest | None = None  # what the provider is sent (set by `Redact`)
    outbound_texts: tuple[str, ...] | None = None
    received: str | None = None  # the answer as the provider gave it (pseudonyms not restored)
    usage: Usage | None = None  # as the provider reported it, or estimated for a stream cut short
    estimate: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)

    def sent_request(self) -> ChatRequest:
        request = self.outbound or self.request
        if request is None:
            raise ValueError(f"a {self.kind} call carries no chat request")
        return request

    def sent_texts(self) -> tuple[str, ...]:
        return self.outbound_texts if self.outbound_texts is not None else self.texts


class Middleware(Protocol):
    async def __call__(self, call: HelixCall, call_next: Next) -> Answer: ...


def error_code(error: BaseException | None) -> str | None:
    """None for success; else the code the audit, the metrics and the span record."""
    if error is None:
        return None
    if isinstance(error, TeslaSyncError):
        return error.code
    if isinstance(error, GeneratorExit | asyncio.CancelledError):
        return CANCELLED
    return "INTERNAL"


async def _close(iterator: AsyncIterator[StreamChunk]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


# --- trace


class Trace:
    """The outermost step: a span for the whole call, current while the steps inside run (their SQL is
    beneath it), ended when the answer or the stream is."""

    def __init__(self, tracer: Tracer | None = None) -> None:
        self.tracer = tracer if tracer is not None else tracing.tracer

    async def __call__(self, call: HelixCall, call_next: Next) -> Answer:
        span = self.tracer.start_span(
            f"helix {call.feature} {call.kind}",
            attributes={
                "helix.feature": call.feature,
                "helix.kind": call.kind,
                "gen_ai.system": call.provider,
                "gen_ai.operation.name": "embeddings" if call.kind == "embed" else "chat",
                "gen_ai.request.model": call.model,
            },
        )
        try:
            with _current(span):
                answer = await call_next(call)
        except BaseException as error:
            self._end(span, call, error)
            raise
        if isinstance(answer, ChatResult | Embeddings):
            self._end(span, call, None)
            return answer
        return self._stream(span, call, answer)

    async def _stream(
        self, span: Span, call: HelixCall, inner: AsyncIterator[StreamChunk]
    ) -> AsyncIterator[StreamChunk]:
        failure: BaseException | None = None
        try:
            while True:
                with _current(span):  # current only while the inside works, never across a yield
                    try:
                        chunk = await anext(inner)
                    except StopAsyncIteration:
                        break
                yield chunk
        except BaseException as error:
            failure = error
            raise
        finally:
            with _current(span):
                await _close(inner)
            self._end(span, call, failure)

    @staticmethod
    def _end(span: Span, call: HelixCall, error: BaseException | None) -> None:
        code = error_code(error)
        usage = call.usage or Usage()
        span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
        span.set_attribute("helix.cost_usd", float(call.cost))
        span.set_attribute("helix.estimate_usd", float(call.estimate))
        span.set_attribute("helix.outcome", code or "ok")
        if code is not None:
            span.set_attribute("error.type", code)
            tracing.mark_error(span, code)
        span.end()


def _current(span: Span) -> AbstractContextManager[Span]:
    return trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False)


# --- audit


class Audit:
    """Records every call that enters it, whatever its outcome. A failure to record is logged, not raised:
    the answer has been paid for, and the owner should get it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, call: HelixCall, call_next: Next) -> Answer:
        started = time.monotonic()
        try:
            answer = await call_next(call)
        except (
            Exception,
            asyncio.CancelledError,
        ) as error:  # not GeneratorExit: a closed coroutine cannot wait
            await self._record(call, started, error)
            raise
        if isinstance(answer, ChatResult | Embeddings):
            await self._record(call, started, None)
            return answer
        return self._stream(call, started, answer)

    async def _stream(
        self, call: HelixCall, started: float, inner: AsyncIterator[StreamChunk]
    ) -> AsyncIterator[StreamChunk]:
        failure: BaseException | None = None
        try:
            async for chunk in inner:
                yield chunk
        except BaseException as error:
            failure = error
            raise
        finally:
            await _close(inner)
            await self._record(call, started, failure)

    async def _record(self, call: HelixCall, started: float, error: BaseException | None) -> None:
        code = error_code(error)
        HELIX_CALLS.labels(feature=call.feature, outcome=code or "ok").inc()
        usage = call.usage or Usage()
        try:
            async with self.db.transaction() as session:
                store = await repo.get_setting(session, STORE_PROMPTS, False) is True
                await repo.record_call(
                    session,
                    feature=call.feature,
                    user_id=call.user_id,
                    provider=call.provider,
                    model=call.model,
                    kind=call.kind,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    cost=call.cost,
                    latency_ms=round((time.monotonic() - started) * 1000),
                    outcome="ok" if code is None else "error",
                    error_code=code,
                    prompt=stored_prompt(call) if store else None,
                    response=call.received if store else None,
                )
        except Exception:
            log.exception("a Helix call (%s, %s) could not be audited", call.feature, call.kind)


def stored_prompt(call: HelixCall) -> object:
    """The prompt as the audit keeps it: as sent (redacted), or, for a call refused before it was sent,
    as it would have been."""
    redactor = call.redactor
    if call.kind == "embed":
        texts = call.outbound_texts
        if texts is None:
            texts = tuple(redactor.text(text) for text in call.texts)
        return _jsonable({"model": call.model, "texts": list(texts)})
    request = call.outbound or redact_request(redactor, call.sent_request())
    return _jsonable(
        {
            "model": request.model,
            "messages": [_message_json(message) for message in request.messages],
            "tools": [tool.name for tool in request.tools],
            "max_tokens": request.max_tokens,
        }
    )


def _message_json(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role.value, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [_tool_call_json(call) for call in message.tool_calls]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def _tool_call_json(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "arguments": dict(call.arguments)}


def _jsonable(value: object) -> object:
    """Exactly what JSON can hold (a stray date or Decimal becomes a string), so the insert cannot fail."""
    return json.loads(json.dumps(value, default=str))


def _response_text(result: ChatResult) -> str:
    if not result.tool_calls:
        return result.content
    calls = [_tool_call_json(call) for call in result.tool_calls]
    return json.dumps({"content": result.content, "tool_calls": calls}, default=str)


# --- cost


class Cost:
    """Budgets before the call, the real cost after it.

    The check adds the estimates of this client's calls still in flight to the spend, under a lock, so
    concurrent calls cannot all slip under a budget at once; across replicas they can, by at most the
    estimates of the calls running at the same time. A call estimated to cost nothing (a local model) is
    never refused."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._lock = asyncio.Lock()
        self._pending: dict[str, Decimal] = {}  # feature -> estimates in flight
        self._pending_total = Decimal(0)
        self._unpriced: set[str] = set()

    async def __call__(self, call: HelixCall, call_next: Next) -> Answer:
        table = await self._check(call)
        try:
            answer = await call_next(call)
        except BaseException:
            self._settle(call, table)
            raise
        if isinstance(answer, ChatResult | Embeddings):
            self._settle(call, table)
            return answer
        return self._stream(call, table, answer)

    async def _stream(
        self, call: HelixCall, table: PriceTable, inner: AsyncIterator[StreamChunk]
    ) -> AsyncIterator[StreamChunk]:
        try:
            async for chunk in inner:
                yield chunk
        finally:
            await _close(inner)
            self._settle(call, table)

    async def _check(self, call: HelixCall) -> PriceTable:
        async with self._lock, self.db.transaction() as session:
            table = PriceTable.from_rows(await repo.prices(session))
            if call.kind == "embed":
                call.estimate = table.estimate_embed(call.model, call.texts)
            else:
                call.estimate = table.estimate(call.model, call.sent_request())
            if call.estimate > 0:
                await self._check_feature(session, call)
                await self._check_global(session, call)
            self._pending[call.feature] = self._pending.get(call.feature, Decimal(0)) + call.estimate
            self._pending_total += call.estimate
        return table

    async def _check_feature(self, session: AsyncSession, call: HelixCall) -> None:
        row = await repo.feature(session, call.feature)
        if row is None or row.monthly_budget is None:
            return
        spent = await repo.spend_this_month(session, feature=call.feature)
        running = self._pending.get(call.feature, Decimal(0))
        if spent + running + call.estimate > row.monthly_budget:
            raise BudgetExceeded(
                f"the monthly budget of the '{call.feature}' feature ({_usd(row.monthly_budget)}) would be "
                f"exceeded: {_spent(spent, running)}, and this call may cost up to {_usd(call.estimate)}",
                budget="feature",
                feature=call.feature,
                limit=str(row.monthly_budget),
                spent=str(spent),
            )

    async def _check_global(self, session: AsyncSession, call: HelixCall) -> None:
        budget = await self._global_budget(session)
        if budget is None:
            return
        spent = await repo.spend_this_month(session)
        if spent + self._pending_total + call.estimate > budget:
            raise BudgetExceeded(
                f"Helix's monthly budget ({_usd(budget)}) would be exceeded: "
                f"{_spent(spent, self._pending_total)}, and this call may cost up to {_usd(call.estimate)}",
                budget="global",
                limit=str(budget),
                spent=str(spent),
            )

    async def _global_budget(self, session: AsyncSession) -> Decimal | None:
        """The `monthly_budget` setting (null: no global budget), else `helix_monthly_budget`."""
        default = Decimal(str(self.settings.helix_monthly_budget))
        value = await repo.get_setting(session, MONTHLY_BUDGET, default)
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            try:
                budget = Decimal(str(value))
            except InvalidOperation:
                pass
            else:
                if budget.is_finite() and budget >= 0:
                    return budget
        log.warning("the Helix setting %s is not an amount (%r): using %s", MONTHLY_BUDGET, value, default)
        return default

    def _settle(self, call: HelixCall, table: PriceTable) -> None:
        """The call is over: its real cost replaces its estimate."""
        self._pending[call.feature] = self._pending.get(call.feature, Decimal(0)) - call.estimate
        if self._pending[call.feature] <= 0:
            del self._pending[call.feature]
        self._pending_total = max(Decimal(0), self._pending_total - call.estimate)
        if call.usage is None:
            return
        unpriced = table.price(call.model) is None and call.provider not in LOCAL_PROVIDERS
        if unpriced and call.model not in self._unpriced:
            self._unpriced.add(call.model)
            log.warning("no price for the model %s: its calls count as free; add a price", call.model)
        call.cost = table.cost(call.model, call.usage)
        if call.cost > 0:
            HELIX_COST.labels(feature=call.feature, model=call.model).inc(float(call.cost))


def _spent(spent: Decimal, running: Decimal) -> str:
    return f"{_usd(spent)} spent this month" + (
        f", {_usd(running)} more in calls running now" if running else ""
    )


def _usd(amount: Decimal) -> str:
    return f"${amount:.2f}" if amount >= 1 or amount == 0 else f"${amount:.4f}"


# --- rate limit


class RateLimit:
    """Per user and feature: `per_minute` sustained, as many at once (GCRA, see `auth.ratelimit`)."""

    def __init__(self, limiter: RateLimiter, per_minute: int) -> None:
        self.limiter = limiter
        self.limit = Limit(per_minute=per_minute, burst=per_minute)

    async def __call__(self, call: HelixCall, call_next: Next) -> Answer:
        if call.user_id is not None:
            decision = await self.limiter.hit(f"helix:{call.user_id}:{call.feature}", self.limit)
            if not decision.allowed:
                wait = max(1, round(decision.retry_after_s))
                raise HelixRateLimited(
                    f"too many requests to Helix ({call.feature}): retry in {wait} s", retryAfter=wait
                )
        return await call_next(call)


# --- redact


class Redact:
    """The last step before the provider: what leaves is redacted, what comes back is restored."""

    async def __call__(self, call: HelixCall, call_next: Next) -> Answer:
        redactor = call.redactor
        if call.kind == "embed":
            call.outbound_texts = tuple(redactor.text(text) for text in call.texts)
            return await call_next(call)
        call.outbound = redact_request(redactor, call.sent_request())
        answer = await call_next(call)
        if isinstance(answer, ChatResult):
            return restore_result(redactor, answer)
        if isinstance(answer, Embeddings):
            return answer
        return self._stream(redactor, answer)

    @staticmethod
    async def _stream(redactor: Redactor, inner: AsyncIterator[StreamChunk]) -> AsyncIterator[StreamChunk]:
        restorer = StreamRestorer(redactor.restore)
        try:
            async for chunk in inner:
                if chunk.done:
                    yield replace(chunk, delta=restorer.feed(chunk.delta) + restorer.flush())
                    continue
                delta = restorer.feed(chunk.delta)
                if delta or chunk.usage is not None:
                    yield replace(chunk, delta=delta)
            rest = restorer.flush()
            if rest:
                yield StreamChunk(delta=rest)
        finally:
            await _close(inner)


def redact_request(redactor: Redactor, request: ChatRequest) -> ChatRequest:
    """`request` with every message, tool call's arguments and tool result redacted."""
    messages = tuple(
        replace(
            message,
            content=(
                redactor.json_text(message.content)
                if message.role is Role.TOOL
                else redactor.text(message.content)
            ),
            tool_calls=tuple(
                replace(call, arguments=redactor.value(call.arguments)) for call in message.tool_calls
            ),
        )
        for message in request.messages
    )
    return replace(request, messages=messages)


def restore_result(redactor: Redactor, result: ChatResult) -> ChatResult:
    """The answer for the owner: real VINs in the text, the tool calls' arguments and the parsed output."""
    return replace(
        result,
        content=redactor.restore(result.content),
        tool_calls=tuple(
            replace(call, arguments=redactor.restore_value(call.arguments)) for call in result.tool_calls
        ),
        parsed=redactor.restore_value(result.parsed),
    )


# --- the provider, at the end of the chain


class ProviderStep:
    """Calls the provider with what the chain made of the request, and notes the usage and the answer."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    async def __call__(self, call: HelixCall) -> Answer:
        if call.kind == "embed":
            embeddings = await self.provider.embed(call.model, call.sent_texts())
            call.usage = embeddings.usage
            return embeddings
        request = call.sent_request()
        if call.kind == "chat":
            result = await self.provider.chat(request)
            call.usage = result.usage
            call.received = _response_text(result)
            return result
        return self._stream(call, request)

    async def _stream(self, call: HelixCall, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        parts: list[str] = []
        started = False
        iterator = self.provider.stream(request)
        try:
            async for chunk in iterator:
                started = True
                parts.append(chunk.delta)
                if chunk.usage is not None:
                    call.usage = chunk.usage
                yield chunk
        finally:
            await _close(iterator)
            call.received = "".join(parts)
            if call.usage is None and started:  # cut short, or a provider that does not count: estimate
                call.usage = Usage(prompt_tokens(request), estimate_tokens(call.received))


# --- the client


def standard_middlewares(
    db: Database, settings: Settings, limiter: RateLimiter, tracer: Tracer | None = None
) -> tuple[Middleware, ...]:
    """The chain, in its order: trace, audit, cost, rate limit, redact."""
    return (
        Trace(tracer),
        Audit(db),
        Cost(db, settings),
        RateLimit(limiter, settings.helix_requests_per_minute),
        Redact(),
    )


class HelixClient:
    """What features call: `chat`, `stream`, `embed`, each through the middleware chain to the provider.

    `feature` names the feature (its budget, its rate limit, its audit rows); `user_id` is the owner the
    call is made for, None for background work. One client per process: the cost step's view of the
    calls in flight is per client."""

    def __init__(
        self,
        db: Database,
        provider: Provider,
        settings: Settings,
        limiter: RateLimiter,
        redactor_factory: Callable[[], Redactor] | None = None,
        *,
        tracer: Tracer | None = None,
        middlewares: Sequence[Middleware] | None = None,
    ) -> None:
        self.provider = provider
        self.redactor_factory = redactor_factory or (lambda: Redactor(settings.helix_location_decimals))
        self.middlewares: tuple[Middleware, ...] = (
            tuple(middlewares)
            if middlewares is not None
            else standard_middlewares(db, settings, limiter, tracer)
        )
        self._provider_step = ProviderStep(provider)

    async def chat(self, feature: str, user_id: int | None, request: ChatRequest) -> ChatResult:
        answer = await self._run(self._call(feature, user_id, "chat", request.model, request=request))
        if not isinstance(answer, ChatResult):
            raise TypeError(f"the chain answered a chat with {type(answer).__name__}")
        return answer

    def stream(self, feature: str, user_id: int | None, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """The answer as it is written, like `Provider.stream`. Nothing happens until the first piece is
        asked for; then the call goes through the chain, so a refusal (budget, rate limit) or a provider
        failing at once raises from that first `anext`. A stream left unfinished is audited (`CANCELLED`)
        when it is closed, or collected."""
        return self._stream(self._call(feature, user_id, "stream", request.model, request=request))

    async def embed(self, feature: str, user_id: int | None, model: str, texts: Sequence[str]) -> Embeddings:
        answer = await self._run(self._call(feature, user_id, "embed", model, texts=tuple(texts)))
        if not isinstance(answer, Embeddings):
            raise TypeError(f"the chain answered an embedding with {type(answer).__name__}")
        return answer

    async def aclose(self) -> None:
        await self.provider.aclose()

    def _call(
        self,
        feature: str,
        user_id: int | None,
        kind: CallKind,
        model: str,
        *,
        request: ChatRequest | None = None,
        texts: tuple[str, ...] = (),
    ) -> HelixCall:
        return HelixCall(
            feature=feature,
            user_id=user_id,
            kind=kind,
            model=model,
            provider=self.provider.name,
            redactor=self.redactor_factory(),
            request=request,
            texts=texts,
        )

    async def _stream(self, call: HelixCall) -> AsyncIterator[StreamChunk]:
        answer = await self._run(call)
        if isinstance(answer, ChatResult | Embeddings):
            raise TypeError(f"the chain answered a stream with {type(answer).__name__}")
        try:
            async for chunk in answer:
                yield chunk
        finally:
            await _close(answer)

    async def _run(self, call: HelixCall) -> Answer:
        async def step(index: int, current: HelixCall) -> Answer:
            if index == len(self.middlewares):
                return await self._provider_step(current)
            return await self.middlewares[index](current, lambda nxt: step(index + 1, nxt))

        return await step(0, call)
