"""Helix through the API: the features and their state, running one (answered at once, or streamed through a
run the client follows), and the administrator's toggles, budgets, price table and audit review.

A feature that cannot answer (Helix off, the feature off, a provider that fails, a budget spent) comes back
as a payload with the reason's code, never as an internal error. Its tools run as the caller, through the
public schema, in operations of their own."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, update

from teslasync.auth import audit
from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.models import HelixCallRow, HelixRunRow
from teslasync.db.repositories import helix as repo
from teslasync.errors import NotFound, TeslaSyncError, require_scope
from teslasync.fleet import catalogue
from teslasync.helix import runner
from teslasync.helix.errors import HelixDisabled, HelixError
from teslasync.helix.features import FEATURES, Feature
from teslasync.helix.inputs import problems as input_problems
from teslasync.helix.rag.citations import check_support
from teslasync.helix.service import FeatureState, Helix
from teslasync.helix.tools import TOOLS, ToolRunner
from teslasync.resolvers.users import MAX_PAGE, require_admin

log = logging.getLogger("teslasync.helix")
WATCH_EVERY_S = 0.15
FLUSH_EVERY_S = 0.2


class Executes(Protocol):
    async def execute(
        self, query: str, variable_values: dict[str, Any] | None = None, context_value: Any = None
    ) -> Any: ...


@dataclass(frozen=True)
class Proposal:
    command: str
    params: dict[str, object]
    explanation: str
    valid: bool
    sensitive: bool
    problems: list[str]


@dataclass
class RunOutcome:
    run: HelixRunRow | None
    outcome: runner.Outcome | None = None
    proposal: Proposal | None = None
    error: tuple[str, str] | None = None  # (code, message)


def _helix(context: Context) -> Helix:
    if context.helix is None:
        raise HelixDisabled("Helix is not available in this process")
    return context.helix


async def states(context: Context) -> list[FeatureState]:
    require_scope(context.principal, Scope.READ)
    if context.helix is None:
        return []
    return await context.helix.states(context.session)


def tool_runner(context: Context, schema: Executes) -> ToolRunner:
    async def run_tool(name: str, arguments: Mapping[str, Any]) -> Any:
        spec = TOOLS[name]
        # a context of its own: its own unit of work and loaders, the same principal
        nested = replace(context, _session=None)
        result = await schema.execute(spec.document, variable_values=dict(arguments), context_value=nested)
        if result.errors:
            return {"errors": [error.message for error in result.errors]}
        return result.data

    return run_tool


def _supported(answer: str, sources: Sequence[str]) -> Sequence[str]:
    return check_support(answer, list(sources)).unsupported_sentences


async def _record_run(
    context: Context, feature: Feature, given: Mapping[str, Any], status: str
) -> HelixRunRow:
    async with context.db.transaction() as session:
        row = HelixRunRow(
            feature=feature.name, user_id=context.principal.user_id, input=dict(given), status=status
        )
        session.add(row)
        await session.flush()
        await session.refresh(row)
        return row


async def _finish_run(context: Context, run_id: int, **values: object) -> HelixRunRow | None:
    async with context.db.transaction() as session:
        await session.execute(update(HelixRunRow).where(HelixRunRow.id == run_id).values(**values))
        return await session.get(HelixRunRow, run_id, populate_existing=True)


def proposal_of(data: Any) -> Proposal:
    """The command assistant's answer checked against the catalogue: it is only ever proposed."""
    name = str(data.get("command", "")) if isinstance(data, dict) else ""
    try:
        params = json.loads(str(data.get("params_json") or "{}")) if isinstance(data, dict) else {}
    except json.JSONDecodeError:
        params = None
    explanation = str(data.get("explanation", "")) if isinstance(data, dict) else ""
    spec = catalogue.command(name)
    if spec is None:
        return Proposal(name, {}, explanation, False, False, [f"no vehicle command '{name}'"])
    if not isinstance(params, dict):
        return Proposal(
            name, {}, explanation, False, spec.sensitive, ["its parameters are not a JSON object"]
        )
    body, found = catalogue.validate(spec, params)
    return Proposal(spec.name, body, explanation, not found, spec.sensitive, [p.message for p in found])


async def run(context: Context, schema: Executes, name: str, given: object, stream: bool) -> RunOutcome:
    require_scope(context.principal, Scope.READ)
    try:
        helix = _helix(context)
        state = await helix.require(context.session, name)
    except HelixError as exc:
        return RunOutcome(None, error=(exc.code, exc.message))
    feature = state.feature
    found = input_problems(feature.input_schema, given)
    if found:
        return RunOutcome(None, error=("BAD_INPUT", "; ".join(found)))
    assert isinstance(given, dict)
    run_tool = tool_runner(context, schema)
    retrieve = helix.retrieve if feature.uses_docs else None
    user_id = context.principal.user_id
    if stream and feature.streams and feature.output_schema is None:
        row = await _record_run(context, feature, given, "running")
        helix.spawn(_stream_run(context, helix, state, given, row.id, run_tool, retrieve))
        return RunOutcome(row)
    try:
        outcome = await runner.run(
            helix.client,
            feature,
            given,
            model=state.model,
            user_id=user_id,
            run_tool=run_tool,
            retrieve=retrieve,
            check_support=_supported,
        )
    except HelixError as exc:
        row = await _record_run(context, feature, given, "failed")
        await _finish_run(context, row.id, error_code=exc.code, finished_at=func.now())
        return RunOutcome(row, error=(exc.code, exc.message))
    proposal = proposal_of(outcome.data) if feature.name == "command_assistant" else None
    row = await _record_run(context, feature, given, "done")
    finished = await _finish_run(
        context, row.id, output=outcome.text, result=_result_json(outcome), finished_at=func.now()
    )
    return RunOutcome(finished or row, outcome, proposal)


def _result_json(outcome: runner.Outcome) -> dict[str, object]:
    return {
        "data": outcome.data,
        "citations": [vars(excerpt) for excerpt in outcome.citations],
        "toolCalls": outcome.tool_calls,
        "unsupported": outcome.unsupported,
    }


async def _stream_run(
    context: Context,
    helix: Helix,
    state: FeatureState,
    given: Mapping[str, Any],
    run_id: int,
    run_tool: ToolRunner,
    retrieve: runner.Retriever | None,
) -> None:
    """Stream the answer into the run's row, a little at a time, so `helixStream` follows it from any
    replica; the run ends done (with its citations) or failed (with the code)."""
    text = ""
    flushed = 0.0
    loop = asyncio.get_running_loop()
    try:
        conversation, chunks = await runner.stream(
            helix.client,
            state.feature,
            given,
            model=state.model,
            user_id=context.principal.user_id,
            run_tool=run_tool,
            retrieve=retrieve,
        )
        async for chunk in chunks:
            text += chunk.delta
            if loop.time() - flushed >= FLUSH_EVERY_S:
                flushed = loop.time()
                await _finish_run(context, run_id, output=text)
        outcome = runner.finish(conversation, text, None, _supported)
        await _finish_run(
            context,
            run_id,
            output=text,
            status="done",
            result=_result_json(outcome),
            finished_at=func.now(),
        )
    except HelixError as exc:
        await _finish_run(
            context,
            run_id,
            output=text,
            status="failed",
            error_code=exc.code,
            finished_at=func.now(),
        )
    except Exception:
        log.exception("streaming Helix run %s failed", run_id)
        await _finish_run(
            context,
            run_id,
            output=text,
            status="failed",
            error_code="INTERNAL",
            finished_at=func.now(),
        )


async def watch(context: Context, run_id: int) -> AsyncIterator[tuple[HelixRunRow, str]]:
    """(the run, what was added since the last event) until the run ends."""
    require_scope(context.principal, Scope.READ)
    sent = 0
    first = True
    while True:
        async with context.db.transaction() as session:
            row = await session.get(HelixRunRow, run_id, populate_existing=True)
        if row is None or (row.user_id != context.principal.user_id and not context.principal.is_admin):
            if first:
                raise NotFound(f"no Helix run {run_id}")
            return
        first = False
        if len(row.output) > sent or row.status != "running":
            delta, sent = row.output[sent:], len(row.output)
            yield row, delta
        if row.status != "running":
            return
        await asyncio.sleep(WATCH_EVERY_S)


# --- administration ---------------------------------------------------------------------------------------


def _admin(context: Context) -> None:
    require_admin(context.principal)


async def set_feature(
    context: Context,
    name: str,
    enabled: bool | None,
    model: str | None,
    monthly_budget: Decimal | None,
    clear_budget: bool,
) -> FeatureState:
    _admin(context)
    if name not in FEATURES:
        raise NotFound(f"no Helix feature {name}")
    changes: dict[str, Any] = {}
    if enabled is not None:
        changes["enabled"] = enabled
    if model is not None:
        changes["model"] = model.strip() or None
    if monthly_budget is not None or clear_budget:
        if monthly_budget is not None and monthly_budget < 0:
            raise TeslaSyncError("a budget cannot be negative")
        changes["monthly_budget"] = monthly_budget
    await repo.upsert_feature(context.session, name, **changes)
    await audit.record(
        context.session,
        context.principal,
        "helix.feature",
        target=name,
        detail={k: str(v) for k, v in changes.items()},
    )
    helix = _helix(context)
    return next(state for state in await helix.states(context.session) if state.feature.name == name)


async def set_settings(context: Context, monthly_budget: Decimal | None, store_prompts: bool | None) -> None:
    _admin(context)
    if monthly_budget is not None:
        if monthly_budget < 0:
            raise TeslaSyncError("a budget cannot be negative")
        await repo.set_setting(context.session, "monthly_budget", str(monthly_budget))
    if store_prompts is not None:
        await repo.set_setting(context.session, "store_prompts", store_prompts)
    await audit.record(context.session, context.principal, "helix.settings")


async def prices(context: Context) -> list[Any]:
    _admin(context)
    return list(await repo.prices(context.session))


async def set_price(context: Context, model: str, input_per_mtok: Decimal, output_per_mtok: Decimal) -> None:
    _admin(context)
    if input_per_mtok < 0 or output_per_mtok < 0:
        raise TeslaSyncError("prices cannot be negative")
    await repo.upsert_price(context.session, model.strip(), input_per_mtok, output_per_mtok)
    await audit.record(context.session, context.principal, "helix.price", target=model)


async def remove_price(context: Context, model: str) -> None:
    _admin(context)
    await repo.delete_price(context.session, model.strip())


async def calls(
    context: Context, first: int, before: tuple[datetime, int] | None, feature: str | None
) -> list[HelixCallRow]:
    _admin(context)
    if not 1 <= first <= MAX_PAGE:
        raise TeslaSyncError(f"first must be between 1 and {MAX_PAGE}")
    return list(await repo.calls_page(context.session, before=before, limit=first + 1, feature=feature))


async def store_prompts(context: Context) -> bool:
    return bool(await repo.get_setting(context.session, "store_prompts", False))
