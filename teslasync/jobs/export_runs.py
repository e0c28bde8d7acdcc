"""Exports as jobs: queued by `createExport`, written by an export worker into the export directory, offered
through a signed link that expires, and deleted after the retention period.

Progress is written to the export's row after each batch (throttled), so `exportProgress` can follow it
from any API replica while the worker runs in another process. Each progress write is also the SAQ job's
heartbeat: a worker that died mid-export is noticed and the job retried.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from teslasync.auth.secrets import Keyring, b64url, b64url_decode
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.models import ExportRow
from teslasync.db.repositories import export_jobs as repo
from teslasync.jobs.exports import Dataset, ExportSpec, Format, Redaction, partial_path, write_export
from teslasync.jobs.queue import JobOptions, JobQueues, QueueName
from teslasync.jobs.worker import job_of, services_of

log = logging.getLogger("teslasync.jobs.exports")

EXPORT_JOB = JobOptions(timeout_s=6 * 3600, heartbeat_s=300, retries=3, retry_delay_s=30)
PROGRESS_EVERY_S = 0.5
LINK_PURPOSE = "export-download"
DEBRIS_AGE = timedelta(hours=24)  # files in the export directory no export points at, older than this


def spec_to_json(spec: ExportSpec, vins: list[str]) -> dict[str, object]:
    return {
        "dataset": spec.dataset.value,
        "format": spec.format.value,
        "vehicleIds": list(spec.vehicle_ids),
        "vins": vins,
        "since": spec.since.isoformat(),
        "until": spec.until.isoformat(),
        "fields": list(spec.fields),
        "redaction": asdict(spec.redaction),
    }


def spec_from_json(doc: dict[str, Any]) -> ExportSpec:
    return ExportSpec(
        dataset=Dataset(doc["dataset"]),
        format=Format(doc["format"]),
        vehicle_ids=tuple(int(v) for v in doc["vehicleIds"]),
        since=datetime.fromisoformat(doc["since"]),
        until=datetime.fromisoformat(doc["until"]),
        fields=tuple(doc.get("fields") or ()),
        redaction=Redaction(**doc.get("redaction", {})),
    )


async def queue_export(
    db: Database, queues: JobQueues, user_id: int | None, spec: ExportSpec, vins: list[str]
) -> ExportRow:
    """Record the export and queue its job (committed first, so the worker finds the row)."""
    async with db.transaction() as session:
        row = await repo.add(session, user_id, spec_to_json(spec, vins))
    await queues.enqueue(
        QueueName.EXPORTS, "run_export", EXPORT_JOB, key=f"export:{row.id}", export_id=row.id
    )
    return row


async def run_export(ctx: dict[str, Any], *, export_id: int) -> dict[str, int]:
    services, job = services_of(ctx), job_of(ctx)
    db, settings = services.db, services.settings
    async with db.transaction() as session:
        row = await repo.started(session, export_id)
    if row is None:
        log.info("export %s is gone or finished; nothing to do", export_id)
        return {"rows": 0, "bytes": 0}
    spec = spec_from_json(row.spec)
    directory = settings.resolved_export_dir
    directory.mkdir(parents=True, exist_ok=True)
    name = f"teslasync-{spec.dataset.value}-{export_id}-{secrets.token_hex(6)}{spec.format.suffix}"
    last_report = 0.0

    async def progress(rows: int) -> None:
        nonlocal last_report
        if time.monotonic() - last_report >= PROGRESS_EVERY_S:
            last_report = time.monotonic()
            async with db.transaction() as session:
                await repo.progressed(session, export_id, rows)
            await job.update()  # the heartbeat

    try:
        result = await write_export(db, spec, directory / name, progress)
    except Exception as exc:
        async with db.transaction() as session:
            await repo.failed(
                session, export_id, f"{type(exc).__name__}: {exc}"[:2000], final=not job.retryable
            )
        raise
    expires_at = datetime.now(UTC) + timedelta(hours=settings.export_retention_h)
    async with db.transaction() as session:
        await repo.finished(
            session, export_id, rows=result.rows, size=result.bytes, file_name=name, expires_at=expires_at
        )
    log.info("export %s written: %s, %d rows, %d bytes", export_id, name, result.rows, result.bytes)
    return {"rows": result.rows, "bytes": result.bytes}


async def clean_up_exports(settings: Settings, db: Database, now: datetime | None = None) -> int:
    """Delete the files of exports past their retention (marking them expired), and debris: partial or
    orphaned files older than a day. The number of files removed."""
    now = now or datetime.now(UTC)
    directory = settings.resolved_export_dir
    removed = 0
    async with db.transaction() as session:
        expired = await repo.expired_before(session, now)
        for row in expired:
            if row.file_name and _remove(directory / row.file_name):
                removed += 1
        await repo.mark_expired(session, [row.id for row in expired])
        kept = await repo.file_names(session)
    if directory.is_dir():
        for path in directory.iterdir():
            if path.name in kept or not path.is_file():
                continue
            age = now - datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if age > DEBRIS_AGE and _remove(path):
                removed += 1
    return removed


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _signature(keys: Keyring, key_id: str, export_id: int, expires: int) -> bytes | None:
    key = keys.signing_key(key_id, LINK_PURPOSE)
    if key is None:
        return None
    return hmac.new(key, f"{export_id}:{expires}".encode(), hashlib.sha256).digest()


def download_link(settings: Settings, keys: Keyring, export_id: int, now: datetime | None = None) -> str:
    """A link to the export's file that works for `TESLASYNC_EXPORT_LINK_TTL_S` without other credentials
    (a browser download cannot send a bearer token); the link is the capability."""
    now = now or datetime.now(UTC)
    expires = int(now.timestamp()) + settings.export_link_ttl_s
    signature = _signature(keys, keys.current, export_id, expires)
    assert signature is not None
    query = urlencode({"expires": expires, "kid": keys.current, "sig": b64url(signature)})
    base = (settings.public_url or "").rstrip("/")
    return f"{base}/exports/{export_id}/download?{query}"


def link_valid(
    keys: Keyring, export_id: int, expires: str, key_id: str, signature: str, now: datetime
) -> bool:
    try:
        expiry = int(expires)
    except ValueError:
        return False
    if expiry < now.timestamp():
        return False
    expected = _signature(keys, key_id, export_id, expiry)
    given = b64url_decode(signature)
    return expected is not None and given is not None and hmac.compare_digest(expected, given)


def export_file(settings: Settings, row: ExportRow) -> Path | None:
    """The finished file of an export, if it is still there."""
    if row.status != "done" or not row.file_name:
        return None
    path = settings.resolved_export_dir / row.file_name
    return path if path.is_file() and not partial_path(path).exists() else None
