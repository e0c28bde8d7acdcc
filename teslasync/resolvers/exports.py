"""Exports through the API: who may export what (the vehicles they see; exact locations and addresses after
a step-up), queueing, listing, following and the signed download link."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from teslasync.auth import audit
from teslasync.auth.principal import Scope
from teslasync.auth.stepup import require_step_up
from teslasync.context import Context
from teslasync.db.models import ExportRow
from teslasync.db.repositories import export_jobs as repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.errors import NotFound, TeslaSyncError, require_scope
from teslasync.jobs.export_runs import download_link, queue_export
from teslasync.jobs.exports import Dataset, ExportSpec, Format, Redaction
from teslasync.resolvers.derived import BadPage
from teslasync.resolvers.users import MAX_PAGE

WATCH_EVERY_S = 0.5
MAX_RANGE = timedelta(days=3 * 366)


class JobsUnavailable(TeslaSyncError):
    code = "JOBS_UNAVAILABLE"


@dataclass(frozen=True)
class ExportRequest:
    dataset: Dataset
    format: Format
    vins: Sequence[str]
    since: datetime
    until: datetime
    fields: Sequence[str]
    redaction: Redaction


@dataclass(frozen=True)
class ExportProblem:
    field: str
    message: str


async def create(context: Context, request: ExportRequest) -> ExportRow | ExportProblem:
    principal = context.principal
    require_scope(principal, Scope.READ)
    if context.jobs is None:
        raise JobsUnavailable("exports are not available in this process")
    vins = sorted({vin.strip().upper() for vin in request.vins})
    found = await vehicles_repo.by_vins(context.session, vins) if vins else {}
    visible = principal.vehicle_filter
    vehicles = [v for v in found.values() if visible is None or v.id in visible]
    if not vins:
        return ExportProblem("vins", "name at least one vehicle")
    missing = sorted(set(vins) - {v.vin for v in vehicles})
    if missing:
        return ExportProblem("vins", f"no vehicle {', '.join(missing)}")
    if request.until - request.since > MAX_RANGE:
        return ExportProblem("until", "an export covers at most three years; split it")
    try:
        spec = ExportSpec(
            dataset=request.dataset,
            format=request.format,
            vehicle_ids=tuple(sorted(v.id for v in vehicles)),
            since=request.since,
            until=request.until,
            fields=tuple(request.fields),
            redaction=request.redaction,
        )
    except ValueError as exc:
        return ExportProblem("input", str(exc))
    if spec.needs_step_up:
        await require_step_up(
            context.session,
            context.security,
            principal,
            "exporting exact locations or addresses",
            context.now,
        )
    row = await queue_export(context.db, context.jobs.queues, principal.user_id, spec, vins)
    await audit.record_apart(
        context.db,
        principal,
        "export.create",
        target=",".join(vins),
        detail={"export": row.id, "dataset": spec.dataset.value, "raw": spec.needs_step_up},
    )
    return row


def _owned(context: Context, row: ExportRow | None) -> ExportRow | None:
    principal = context.principal
    if row is None:
        return None
    if principal.is_admin or (principal.user_id is not None and row.user_id == principal.user_id):
        return row
    return None


async def one(context: Context, export_id: int) -> ExportRow | None:
    require_scope(context.principal, Scope.READ)
    return _owned(context, await repo.by_id(context.session, export_id))


async def page(context: Context, first: int, before_id: int | None) -> list[ExportRow]:
    principal = context.principal
    require_scope(principal, Scope.READ)
    if not 1 <= first <= MAX_PAGE:
        raise BadPage(f"first must be between 1 and {MAX_PAGE}")
    owner = None if principal.is_admin else (principal.user_id if principal.user_id is not None else -1)
    return list(await repo.page(context.session, owner, before_id, first + 1))


def link(context: Context, row: ExportRow) -> str | None:
    if context.jobs is None or row.status != "done" or not row.file_name:
        return None
    return download_link(context.jobs.services.settings, context.security.keys(), row.id)


async def watch(context: Context, export_id: int) -> AsyncIterator[ExportRow]:
    """The export now, then whenever its status or row count changes, until it is final. Read from the
    database, so it follows a worker in any process."""
    if await _read_own(context, export_id) is None:
        raise NotFound(f"no export {export_id}")
    last: tuple[str, int] | None = None
    while True:
        row = await _read_own(context, export_id)
        if row is None:
            return
        state = (row.status, row.rows)
        if state != last:
            last = state
            yield row
        if row.status in repo.FINAL:
            return
        await asyncio.sleep(WATCH_EVERY_S)


async def _read_own(context: Context, export_id: int) -> ExportRow | None:
    async with context.db.transaction() as session:
        return _owned(context, await repo.by_id(session, export_id))


def utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
