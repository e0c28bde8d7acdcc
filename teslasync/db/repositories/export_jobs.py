"""Export jobs: the row each export is tracked by, from queued to done (or failed, or expired)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import ExportRow

FINAL = ("done", "failed", "expired")


async def add(session: AsyncSession, user_id: int | None, spec: dict[str, object]) -> ExportRow:
    row = ExportRow(user_id=user_id, spec=spec, status="queued")
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def by_id(session: AsyncSession, export_id: int) -> ExportRow | None:
    return await session.get(ExportRow, export_id, populate_existing=True)


async def page(
    session: AsyncSession, user_id: int | None, before_id: int | None, limit: int
) -> Sequence[ExportRow]:
    """Newest first; `user_id` None lists everyone's (administrators)."""
    query = select(ExportRow).order_by(ExportRow.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(ExportRow.user_id == user_id)
    if before_id is not None:
        query = query.where(ExportRow.id < before_id)
    return (await session.scalars(query)).all()


async def started(session: AsyncSession, export_id: int) -> ExportRow | None:
    """Mark it running (again, on a retry: the rows count starts over); None when it is gone or final."""
    statement = (
        update(ExportRow)
        .where(ExportRow.id == export_id, ExportRow.status.not_in(FINAL))
        .values(status="running", rows=0, error=None, started_at=func.now())
        .returning(ExportRow)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def progressed(session: AsyncSession, export_id: int, rows: int) -> None:
    await session.execute(
        update(ExportRow).where(ExportRow.id == export_id, ExportRow.status == "running").values(rows=rows)
    )


async def finished(
    session: AsyncSession, export_id: int, *, rows: int, size: int, file_name: str, expires_at: datetime
) -> None:
    await session.execute(
        update(ExportRow)
        .where(ExportRow.id == export_id)
        .values(
            status="done",
            rows=rows,
            bytes=size,
            file_name=file_name,
            finished_at=func.now(),
            expires_at=expires_at,
        )
    )


async def failed(session: AsyncSession, export_id: int, error: str, *, final: bool) -> None:
    """Record the error; the export stays queued for its next attempt unless this was the last."""
    await session.execute(
        update(ExportRow)
        .where(ExportRow.id == export_id)
        .values(
            status="failed" if final else "queued",
            error=error,
            finished_at=func.now() if final else None,
        )
    )


async def expired_before(session: AsyncSession, now: datetime) -> Sequence[ExportRow]:
    query = select(ExportRow).where(ExportRow.status == "done", ExportRow.expires_at < now)
    return (await session.scalars(query.with_for_update(skip_locked=True))).all()


async def mark_expired(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(
            update(ExportRow).where(ExportRow.id.in_(ids)).values(status="expired", file_name=None)
        )


async def file_names(session: AsyncSession) -> set[str]:
    """The files exports still point at (everything else in the export directory is debris)."""
    query = select(ExportRow.file_name).where(ExportRow.file_name.is_not(None))
    return {name for name in (await session.scalars(query)).all() if name}
