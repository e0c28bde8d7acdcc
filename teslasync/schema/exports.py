"""Exports: create one (a job), follow its progress, list them, download the file from a signed link."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from teslasync.db.models import ExportRow
from teslasync.errors import NotFound
from teslasync.jobs.exports import REDACTED_DECIMALS, Dataset, Format, Redaction
from teslasync.resolvers import exports as resolvers
from teslasync.resolvers.derived import decode_cursor, encode_cursor
from teslasync.schema.context import Info
from teslasync.schema.costs import InvalidInput, MutationProblem, _id
from teslasync.schema.derived import PageInfo, page_info

ExportDataset = strawberry.enum(Dataset, name="ExportDataset", description="What an export holds.")
ExportFormat = strawberry.enum(
    Format, name="ExportFormat", description="CSV, JSON Lines (one object a line) or Parquet (typed)."
)


@strawberry.enum(description="Where an export stands.")
class ExportStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


@strawberry.input(description="What of the personal data leaves in an export. The defaults redact.")
class ExportRedactionInput:
    mask_vin: bool = strawberry.field(default=True, description="Mask the VIN but its first 4 and last 2.")
    location_decimals: int | None = strawberry.field(
        default=REDACTED_DECIMALS,
        description="Round locations to this many decimals (3 is about 110 m); null: exact. Exact or finer "
        "than 3 decimals needs a two-factor step-up.",
    )
    drop_locations: bool = strawberry.field(default=False, description="Leave locations out altogether.")
    drop_addresses: bool = strawberry.field(
        default=True, description="Leave the navigation destination's name out (keeping it needs a step-up)."
    )


@strawberry.input(description="What to export.")
class ExportInput:
    dataset: ExportDataset = strawberry.field(description="Signals, drives, charging sessions, ...")  # type: ignore[valid-type]
    format: ExportFormat = strawberry.field(description="The file's format.")  # type: ignore[valid-type]
    vins: list[str] = strawberry.field(description="The vehicles (each one the caller sees).")
    since: datetime = strawberry.field(description="Start, inclusive (by each record's time or start).")
    until: datetime = strawberry.field(description="End, exclusive; at most three years after `since`.")
    fields: list[str] | None = strawberry.field(
        default=None, description="Signals only: the telemetry fields to export; all when null."
    )
    redaction: ExportRedactionInput | None = strawberry.field(
        default=None, description="Redaction; the defaults when null."
    )


@strawberry.type(name="Export", description="An export and, once done, where to download it.")
class ExportType:
    id: strawberry.ID = strawberry.field(description="The export's id.")
    status: ExportStatus = strawberry.field(description="Where it stands.")
    dataset: ExportDataset = strawberry.field(description="What it holds.")  # type: ignore[valid-type]
    format: ExportFormat = strawberry.field(description="The file's format.")  # type: ignore[valid-type]
    vins: list[str] = strawberry.field(description="The vehicles exported.")
    since: datetime = strawberry.field(description="Start of the range.")
    until: datetime = strawberry.field(description="End of the range (exclusive).")
    rows: int = strawberry.field(description="Rows written so far (all of them once done).")
    bytes: int | None = strawberry.field(description="The file's size, once done.")
    error: str | None = strawberry.field(description="Why the last attempt failed.")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    finished_at: datetime | None = strawberry.field(description="When it finished.")
    expires_at: datetime | None = strawberry.field(description="When the file will be deleted.")
    download_url: str | None = strawberry.field(
        description="A signed link to the file (no other credentials needed) that works for "
        "TESLASYNC_EXPORT_LINK_TTL_S seconds; each query gives a fresh one. Null until done."
    )

    @classmethod
    def of(cls, row: ExportRow, info: Info) -> ExportType:
        spec: dict[str, Any] = row.spec
        return cls(
            id=strawberry.ID(str(row.id)),
            status=ExportStatus(row.status),
            dataset=Dataset(spec["dataset"]),
            format=Format(spec["format"]),
            vins=list(spec.get("vins", [])),
            since=datetime.fromisoformat(spec["since"]),
            until=datetime.fromisoformat(spec["until"]),
            rows=row.rows,
            bytes=row.bytes,
            error=row.error,
            created_at=row.created_at,
            finished_at=row.finished_at,
            expires_at=row.expires_at,
            download_url=resolvers.link(info.context, row),
        )


@strawberry.type(description="An export and its cursor.")
class ExportEdge:
    cursor: str = strawberry.field(description="Opaque position of this export.")
    node: ExportType = strawberry.field(description="The export.")


@strawberry.type(description="A page of exports, newest first.")
class ExportConnection:
    edges: list[ExportEdge] = strawberry.field(description="The exports of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


@strawberry.type(description="The export as queued; follow it with exportProgress.")
class CreateExportPayload:
    export: ExportType | None = strawberry.field(description="The export; null if refused.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when the export was queued.")


@strawberry.type
class ExportQueries:
    @strawberry.field(description="The caller's exports (an administrator's: everyone's), newest first.")
    async def exports(self, info: Info, first: int = 20, after: str | None = None) -> ExportConnection:
        before = decode_cursor(after)[1] if after is not None else None
        rows = await resolvers.page(info.context, first, before)
        edges = [
            ExportEdge(cursor=encode_cursor(row.created_at, row.id), node=ExportType.of(row, info))
            for row in rows[:first]
        ]
        return ExportConnection(edges=edges, page_info=page_info(len(rows) > first, edges))

    @strawberry.field(description="One export by id, or null when there is none the caller may see.")
    async def export(self, info: Info, id: strawberry.ID) -> ExportType | None:
        export_id = _id(id)
        row = await resolvers.one(info.context, export_id) if export_id is not None else None
        return ExportType.of(row, info) if row is not None else None


@strawberry.type
class ExportMutations:
    @strawberry.mutation(
        description="Queue an export. Exact locations or addresses need a two-factor step-up "
        "(STEP_UP_REQUIRED). Follow it with exportProgress; download it from downloadUrl once done."
    )
    async def create_export(self, info: Info, input: ExportInput) -> CreateExportPayload:
        given = input.redaction or ExportRedactionInput()
        try:
            redaction = Redaction(
                mask_vin=given.mask_vin,
                location_decimals=given.location_decimals,
                drop_locations=given.drop_locations,
                drop_addresses=given.drop_addresses,
            )
        except ValueError as exc:
            return CreateExportPayload(
                export=None, errors=[InvalidInput(field="redaction.locationDecimals", message=str(exc))]
            )
        request = resolvers.ExportRequest(
            dataset=Dataset(input.dataset),
            format=Format(input.format),
            vins=input.vins,
            since=resolvers.utc(input.since),
            until=resolvers.utc(input.until),
            fields=input.fields or [],
            redaction=redaction,
        )
        outcome = await resolvers.create(info.context, request)
        if isinstance(outcome, resolvers.ExportProblem):
            return CreateExportPayload(
                export=None, errors=[InvalidInput(field=outcome.field, message=outcome.message)]
            )
        return CreateExportPayload(export=ExportType.of(outcome, info), errors=[])


@strawberry.type
class ExportSubscriptions:
    @strawberry.subscription(
        description="An export now, then as it progresses (status, rows written), until it is done or failed."
    )
    async def export_progress(self, info: Info, id: strawberry.ID) -> AsyncGenerator[ExportType, None]:
        export_id = _id(id)
        if export_id is None:
            raise NotFound(f"no export {id}")
        async for row in resolvers.watch(info.context, export_id):
            yield ExportType.of(row, info)
