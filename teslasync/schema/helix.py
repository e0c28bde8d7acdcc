"""Helix: its features (state, budget, spend), running one, streaming an answer, and its administration."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from teslasync.db.models import HelixCallRow, HelixPriceRow, HelixRunRow
from teslasync.helix.features import FeatureKind
from teslasync.helix.service import FeatureState, month_forecast, spend_summary
from teslasync.resolvers import helix as resolvers
from teslasync.resolvers.derived import decode_cursor, encode_cursor
from teslasync.schema.context import Info
from teslasync.schema.costs import _id
from teslasync.schema.derived import PageInfo, page_info

HelixFeatureKind = strawberry.enum(
    FeatureKind, name="HelixFeatureKind", description="For owners, or for operators."
)


@strawberry.type(description="A Helix feature and its state.")
class HelixFeature:
    name: str = strawberry.field(description="Its name, for runHelixFeature.")
    title: str = strawberry.field(description="What it is called in the app.")
    description: str = strawberry.field(description="What it does.")
    kind: HelixFeatureKind = strawberry.field(description="For owners or operators.")  # type: ignore[valid-type]
    enabled: bool = strawberry.field(description="It runs: Helix is on and an administrator enabled it.")
    toggled: bool = strawberry.field(description="An administrator enabled it (it runs once Helix is on).")
    model: str = strawberry.field(description="The model it uses.")
    monthly_budget: float | None = strawberry.field(
        description="USD it may spend a month; null: no own limit."
    )
    spent_this_month: float = strawberry.field(description="USD it spent this calendar month (UTC).")
    forecast_this_month: float = strawberry.field(description="USD at month end at this month's pace.")
    streams: bool = strawberry.field(description="Its answer can be streamed (runHelixFeature stream: true).")
    uses_docs: bool = strawberry.field(description="It answers from the documentation, with citations.")
    input_schema: JSON = strawberry.field(description="The JSON schema of its input.")

    @classmethod
    def of(cls, state: FeatureState) -> HelixFeature:
        feature = state.feature
        return cls(
            name=feature.name,
            title=feature.title,
            description=feature.description,
            kind=feature.kind,
            enabled=state.enabled,
            toggled=state.toggled,
            model=state.model,
            monthly_budget=float(state.monthly_budget) if state.monthly_budget is not None else None,
            spent_this_month=float(state.spent),
            forecast_this_month=float(month_forecast(state.spent, datetime.now().astimezone())),
            streams=feature.streams and feature.output_schema is None,
            uses_docs=feature.uses_docs,
            input_schema=cast(Any, dict(feature.input_schema)),
        )


@strawberry.type(description="Helix as a whole: on or off, its provider, and this month's spend.")
class HelixStatus:
    enabled: bool = strawberry.field(description="TESLASYNC_HELIX_ENABLED.")
    provider: str = strawberry.field(description="ollama, openai, azure, anthropic or mock.")
    model: str = strawberry.field(description="The default chat model.")
    embedding_model: str | None = strawberry.field(description="The model the docs index is embedded with.")
    monthly_budget: float | None = strawberry.field(
        description="USD all of Helix may spend a month; null: none."
    )
    spent_this_month: float = strawberry.field(description="USD spent this calendar month (UTC).")
    forecast_this_month: float = strawberry.field(description="USD at month end at this month's pace.")
    store_prompts: bool = strawberry.field(description="Whether prompts and answers are kept in the audit.")


@strawberry.type(description="A documentation section an answer used, cited as [n] by its position.")
class HelixCitation:
    path: str = strawberry.field(description="The page, e.g. 'operations.md'.")
    heading: str = strawberry.field(description="The section's heading.")
    anchor: str = strawberry.field(description="The section's anchor: link to path#anchor.")
    snippet: str = strawberry.field(description="The part that matched.")


@strawberry.type(description="A command the assistant proposes; Helix never sends it: use sendCommand.")
class HelixCommandProposal:
    command: str = strawberry.field(description="The command's name in the catalogue.")
    params: JSON = strawberry.field(description="Its parameters, checked against the catalogue.")
    explanation: str = strawberry.field(description="What it will do.")
    valid: bool = strawberry.field(description="Whether the catalogue accepts it as proposed.")
    sensitive: bool = strawberry.field(description="Sending it needs a two-factor step-up.")
    problems: list[str] = strawberry.field(description="Why it is not valid.")


@strawberry.type(description="A run of a Helix feature and its answer.")
class HelixRun:
    id: strawberry.ID = strawberry.field(description="The run's id (for helixStream).")
    feature: str = strawberry.field(description="The feature.")
    status: str = strawberry.field(description="running (being streamed), done or failed.")
    text: str = strawberry.field(description="The answer, so far when streaming.")
    data: JSON | None = strawberry.field(description="The structured answer, for features that have one.")
    citations: list[HelixCitation] = strawberry.field(description="Documentation it used, [1] first.")
    unsupported: list[str] = strawberry.field(
        description="Sentences of the answer whose numbers or names the data and excerpts do not support."
    )
    tool_calls: JSON = strawberry.field(description="The tools it called and with what.")
    proposal: HelixCommandProposal | None = strawberry.field(description="The command assistant's proposal.")
    error_code: str | None = strawberry.field(description="Why it failed.")

    @classmethod
    def of(cls, row: HelixRunRow, proposal: resolvers.Proposal | None = None) -> HelixRun:
        result: dict[str, Any] = row.result if isinstance(row.result, dict) else {}
        return cls(
            id=strawberry.ID(str(row.id)),
            feature=row.feature,
            status=row.status,
            text=row.output,
            data=cast(Any, result.get("data")),
            citations=[
                HelixCitation(path=c["path"], heading=c["heading"], anchor=c["anchor"], snippet=c["snippet"])
                for c in result.get("citations", [])
            ],
            unsupported=list(result.get("unsupported", [])),
            tool_calls=cast(Any, result.get("toolCalls", [])),
            proposal=HelixCommandProposal(**vars(proposal)) if proposal is not None else None,
            error_code=row.error_code,
        )


@strawberry.type(description="Why a feature could not answer.")
class HelixUnavailable:
    code: str = strawberry.field(
        description="HELIX_DISABLED, HELIX_BUDGET_EXCEEDED, HELIX_TIMEOUT, HELIX_RATE_LIMITED, RATE_LIMITED, "
        "HELIX_UNAVAILABLE, HELIX_PROVIDER_REJECTED, HELIX_BAD_OUTPUT or BAD_INPUT."
    )
    message: str = strawberry.field(description="In words.")


@strawberry.type(description="A run, or why there is none.")
class HelixRunPayload:
    run: HelixRun | None = strawberry.field(description="The run (status running when streamed).")
    unavailable: HelixUnavailable | None = strawberry.field(
        description="Set when the feature could not answer."
    )


@strawberry.type(description="A piece of a streamed answer.")
class HelixStreamEvent:
    run_id: strawberry.ID = strawberry.field(description="The run.")
    delta: str = strawberry.field(description="What was added since the last event.")
    status: str = strawberry.field(description="running, done or failed: the last event is not running.")
    run: HelixRun = strawberry.field(description="The run as it stands.")


@strawberry.type(description="One call to a provider, from the audit.")
class HelixCall:
    id: strawberry.ID = strawberry.field(description="The call's id.")
    at: datetime = strawberry.field(description="When.")
    feature: str = strawberry.field(description="For which feature.")
    user_id: strawberry.ID | None = strawberry.field(description="For whom.")
    provider: str = strawberry.field(description="Which provider.")
    model: str = strawberry.field(description="Which model.")
    kind: str = strawberry.field(description="chat, stream or embed.")
    input_tokens: int = strawberry.field(description="Tokens in.")
    output_tokens: int = strawberry.field(description="Tokens out.")
    cost: float = strawberry.field(description="USD.")
    latency_ms: int = strawberry.field(description="How long it took.")
    outcome: str = strawberry.field(description="ok or error.")
    error_code: str | None = strawberry.field(description="Why it failed, e.g. HELIX_BUDGET_EXCEEDED.")
    prompt: JSON | None = strawberry.field(
        description="The prompt as sent (redacted), when prompts are kept."
    )
    response: str | None = strawberry.field(description="The answer, when prompts are kept.")

    @classmethod
    def of(cls, row: HelixCallRow) -> HelixCall:
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.at,
            feature=row.feature,
            user_id=strawberry.ID(str(row.user_id)) if row.user_id is not None else None,
            provider=row.provider,
            model=row.model,
            kind=row.kind,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cost=float(row.cost),
            latency_ms=row.latency_ms,
            outcome=row.outcome,
            error_code=row.error_code,
            prompt=cast(Any, row.prompt),
            response=row.response,
        )


@strawberry.type(description="A call and its cursor.")
class HelixCallEdge:
    cursor: str = strawberry.field(description="Opaque position of this call.")
    node: HelixCall = strawberry.field(description="The call.")


@strawberry.type(description="A page of the audit, newest first.")
class HelixCallConnection:
    edges: list[HelixCallEdge] = strawberry.field(description="The calls of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


@strawberry.type(description="A model's price, USD per million tokens.")
class HelixPrice:
    model: str = strawberry.field(description="The model (a dated name is priced by its family).")
    input_per_mtok: float = strawberry.field(description="USD per million tokens in.")
    output_per_mtok: float = strawberry.field(description="USD per million tokens out.")

    @classmethod
    def of(cls, row: HelixPriceRow) -> HelixPrice:
        return cls(
            model=row.model,
            input_per_mtok=float(row.input_per_mtok),
            output_per_mtok=float(row.output_per_mtok),
        )


@strawberry.type
class HelixQueries:
    @strawberry.field(
        description="Every Helix feature, its state, budget and spend (all disabled while Helix is off)."
    )
    async def helix_features(self, info: Info) -> list[HelixFeature]:
        return [HelixFeature.of(state) for state in await resolvers.states(info.context)]

    @strawberry.field(description="Helix as a whole: on or off, provider, budget, spend and forecast.")
    async def helix(self, info: Info) -> HelixStatus:
        context = info.context
        await resolvers.states(context)  # the scope check
        settings = context.helix.settings if context.helix is not None else None
        summary = await spend_summary(context.session, settings) if settings is not None else {}
        budget = summary.get("budget")
        return HelixStatus(
            enabled=bool(settings and settings.helix_enabled),
            provider=settings.helix_provider.value if settings else "none",
            model=settings.helix_model if settings else "",
            embedding_model=(settings.helix_embedding_model or None) if settings else None,
            monthly_budget=float(budget) if budget is not None and budget >= 0 else None,
            spent_this_month=float(summary.get("spent", 0)),
            forecast_this_month=float(summary.get("forecast", 0)),
            store_prompts=await resolvers.store_prompts(context),
        )

    @strawberry.field(description="Administrators: the audit of provider calls, newest first.")
    async def helix_calls(
        self, info: Info, first: int = 50, after: str | None = None, feature: str | None = None
    ) -> HelixCallConnection:
        before = decode_cursor(after) if after is not None else None
        rows = await resolvers.calls(info.context, first, before, feature)
        edges = [
            HelixCallEdge(cursor=encode_cursor(row.at, row.id), node=HelixCall.of(row))
            for row in rows[:first]
        ]
        return HelixCallConnection(edges=edges, page_info=page_info(len(rows) > first, edges))

    @strawberry.field(
        description="Administrators: the price table's own entries (built-in prices apply otherwise)."
    )
    async def helix_prices(self, info: Info) -> list[HelixPrice]:
        return [HelixPrice.of(row) for row in await resolvers.prices(info.context)]


@strawberry.type
class HelixMutations:
    @strawberry.mutation(
        description="Run a Helix feature with its input (see helixFeatures' inputSchema). With stream: true a "
        "feature that streams answers at once with a running run: follow it with helixStream."
    )
    async def run_helix_feature(
        self, info: Info, feature: str, input: JSON, stream: bool = False
    ) -> HelixRunPayload:
        outcome = await resolvers.run(info.context, info.schema, feature, input, stream)
        if outcome.error is not None:
            code, message = outcome.error
            run = HelixRun.of(outcome.run) if outcome.run is not None else None
            return HelixRunPayload(run=run, unavailable=HelixUnavailable(code=code, message=message))
        assert outcome.run is not None
        return HelixRunPayload(run=HelixRun.of(outcome.run, outcome.proposal), unavailable=None)

    @strawberry.mutation(
        description="Administrators: enable a feature, choose its model, set its monthly budget."
    )
    async def set_helix_feature(
        self,
        info: Info,
        name: str,
        enabled: bool | None = None,
        model: str | None = None,
        monthly_budget: Decimal | None = None,
        clear_budget: bool = False,
    ) -> HelixFeature:
        state = await resolvers.set_feature(info.context, name, enabled, model, monthly_budget, clear_budget)
        return HelixFeature.of(state)

    @strawberry.mutation(
        description="Administrators: Helix's monthly budget (USD) and whether prompts are kept."
    )
    async def set_helix_settings(
        self, info: Info, monthly_budget: Decimal | None = None, store_prompts: bool | None = None
    ) -> bool:
        await resolvers.set_settings(info.context, monthly_budget, store_prompts)
        return True

    @strawberry.mutation(description="Administrators: a model's price, USD per million tokens in and out.")
    async def set_helix_price(
        self, info: Info, model: str, input_per_mtok: Decimal, output_per_mtok: Decimal
    ) -> HelixPrice:
        await resolvers.set_price(info.context, model, input_per_mtok, output_per_mtok)
        return HelixPrice(
            model=model.strip(), input_per_mtok=float(input_per_mtok), output_per_mtok=float(output_per_mtok)
        )

    @strawberry.mutation(
        description="Administrators: remove a model's own price (its built-in one applies again)."
    )
    async def remove_helix_price(self, info: Info, model: str) -> bool:
        await resolvers.remove_price(info.context, model)
        return True


@strawberry.type
class HelixSubscriptions:
    @strawberry.subscription(
        description="A streamed run's answer as it is written, until it is done or failed."
    )
    async def helix_stream(self, info: Info, run_id: strawberry.ID) -> AsyncGenerator[HelixStreamEvent, None]:
        run_number = _id(run_id)
        if run_number is None:
            from teslasync.errors import NotFound

            raise NotFound(f"no Helix run {run_id}")
        async for row, delta in resolvers.watch(info.context, run_number):
            yield HelixStreamEvent(
                run_id=strawberry.ID(str(row.id)), delta=delta, status=row.status, run=HelixRun.of(row)
            )
