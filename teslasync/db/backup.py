"""Backups that restore: `teslasync backup` and `teslasync restore`.

An archive is a tar file:

    manifest.json            format, TeslaSync version, schema revision, storage strategy, and per table
                             its columns, row count and the SHA-256 of its data
    tables/<table>.copy.gz   the table as PostgreSQL COPY text, gzip-compressed
    keys/secret.key          the data dir's secret, when there is one (not when it comes from the environment)
    keys/keyring.json        the key file, after a `teslasync keys rotate`

Consistency: every table is read in one REPEATABLE READ, READ ONLY transaction, so the archive is one
instant of the database while the service keeps writing. Portability: the data is COPY text of each table's
columns, restored through TeslaSync's own migrations, so an archive restores into either storage strategy
(plain PostgreSQL or TimescaleDB) and onto a newer PostgreSQL.

Restore: into an empty installation (or with `force`, over one), the schema brought to the archive's
revision, every table loaded in foreign-key order in one transaction and checked against the manifest
(row count and checksum as read back), identity sequences moved past the restored ids, then the schema
migrated to this version's head. A newer-format archive, or one from a newer schema, is refused.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from teslasync import __version__
from teslasync.config import Settings
from teslasync.db import migrate

FORMAT = 1
KEY_FILES = ("secret.key", "keyring.json")
# what describes this installation rather than its data: the schema revision, the storage strategy
SKIPPED_TABLES = frozenset({"alembic_version", "storage_settings"})
SKIPPED_PREFIXES = ("saq_",)  # the job queue's own tables: transient, and created by SAQ itself
CHUNK = 1 << 20

# Progress: (what, done, total) — a table name and rows, or "keys".
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class TableDump:
    name: str
    columns: list[str]
    rows: int
    sha256: str  # of the uncompressed COPY text


@dataclass
class Manifest:
    format: int
    created_at: str
    teslasync_version: str
    revision: str
    storage: str
    tables: list[TableDump] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    secret_from_environment: bool = False

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        document = json.loads(raw)
        if not isinstance(document, dict) or not isinstance(document.get("format"), int):
            raise BackupError("this is not a TeslaSync backup (no manifest format)")
        if document["format"] > FORMAT:
            raise BackupError(
                f"this archive has format {document['format']}, newer than this TeslaSync reads ({FORMAT}): "
                "restore it with the version that made it, or a newer one"
            )
        tables = [TableDump(**table) for table in document.pop("tables", [])]
        return cls(tables=tables, **document)


@dataclass(frozen=True)
class Summary:
    path: Path
    tables: int
    rows: int
    bytes: int


# -- reading the database ----------------------------------------------------------------------------------

_TABLES_SQL = """
SELECT c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname
"""
_COLUMNS_SQL = """
SELECT column_name FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER'
ORDER BY ordinal_position
"""
_FOREIGN_KEYS_SQL = """
SELECT c.conrelid::regclass::text, c.confrelid::regclass::text
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname = 'public'
"""
_IDENTITY_SQL = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = 'public' AND is_identity = 'YES'
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _raw(connection: AsyncConnection) -> Any:
    """The asyncpg connection under SQLAlchemy's, for COPY."""
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def _tables(driver: Any) -> list[str]:
    rows = await driver.fetch(_TABLES_SQL)
    return [
        row[0] for row in rows if row[0] not in SKIPPED_TABLES and not row[0].startswith(SKIPPED_PREFIXES)
    ]


async def _columns(driver: Any, table: str) -> list[str]:
    return [row[0] for row in await driver.fetch(_COLUMNS_SQL, table)]


def _revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def backup(
    settings: Settings, engine: AsyncEngine, output: Path, progress: Progress | None = None
) -> Summary:
    """Write an archive of the database and the data dir's keys to `output` (a `.tar` file, or a directory
    to put `teslasync-backup-<time>.tar` in)."""
    progress = progress or (lambda *_: None)
    stamp = datetime.now(UTC)
    output = await asyncio.to_thread(_archive_path, output, stamp)
    work = Path(tempfile.mkdtemp(prefix=".teslasync-backup-", dir=output.parent))
    try:
        async with engine.connect() as connection:
            revision = await connection.run_sync(_revision)
            if revision is None:
                raise BackupError("the database has no TeslaSync schema: nothing to back up")
            storage = (
                await connection.execute(text("SELECT value FROM storage_settings WHERE key = 'strategy'"))
            ).scalar()
            await connection.commit()
            driver = await _raw(connection)
            manifest = Manifest(FORMAT, stamp.isoformat(), __version__, revision, str(storage or "plain"))
            async with driver.transaction(isolation="repeatable_read", readonly=True):
                for table in await _tables(driver):
                    manifest.tables.append(await _dump_table(driver, table, work, progress))
        manifest.keys, manifest.secret_from_environment = _keys(settings, work)
        progress("keys", 1, 1)
        size = await asyncio.to_thread(_assemble, output, work, manifest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = sum(table.rows for table in manifest.tables)
    return Summary(output, len(manifest.tables), rows, size)


def _archive_path(output: Path, stamp: datetime) -> Path:
    """A `.tar` path is the archive; anything else is a directory to put a dated archive in."""
    if output.is_dir() or output.suffix != ".tar":
        output.mkdir(parents=True, exist_ok=True)
        output = output / f"teslasync-backup-{stamp:%Y%m%dT%H%M%SZ}.tar"
    output.parent.mkdir(parents=True, exist_ok=True)
    return output


def _assemble(output: Path, work: Path, manifest: Manifest) -> int:
    """The tar, written beside the target and renamed into place: a crash never leaves half an archive."""
    temporary = output.with_name(output.name + ".partial")
    with tarfile.open(temporary, "w") as archive:
        _add_bytes(archive, "manifest.json", manifest.to_json())
        for path in sorted(work.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=str(path.relative_to(work)))
    os.chmod(temporary, 0o600)  # it holds the keys
    os.replace(temporary, output)
    return output.stat().st_size


async def _dump_table(driver: Any, table: str, work: Path, progress: Progress) -> TableDump:
    columns = await _columns(driver, table)
    estimate = int(
        await driver.fetchval("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = $1", table)
        or 0
    )
    target = work / "tables" / f"{table}.copy.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    rows = 0
    with gzip.open(target, "wb", compresslevel=6) as sink:

        async def write(chunk: bytes) -> None:
            nonlocal rows
            digest.update(chunk)
            await asyncio.to_thread(sink.write, chunk)  # compressing: off the event loop
            rows += chunk.count(b"\n")
            progress(table, rows, max(estimate, rows))

        query = f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(table)}"
        await driver.copy_from_query(query, output=write, format="text")
    progress(table, rows, rows)
    return TableDump(table, columns, rows, digest.hexdigest())


def _keys(settings: Settings, work: Path) -> tuple[list[str], bool]:
    found: list[str] = []
    for name in KEY_FILES:
        source = settings.resolved_data_dir / name
        if source.exists():
            target = work / "keys" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            found.append(name)
    return found, settings.secret_key is not None


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


# -- restoring ---------------------------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile("manifest.json")
            if member is None:
                raise BackupError(f"{path}: no manifest.json")
            return Manifest.from_json(member.read())
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise BackupError(f"{path} is not a readable TeslaSync backup ({exc})") from None


def _scripts() -> ScriptDirectory:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrate.migrations_dir()))
    return ScriptDirectory.from_config(config)


def _known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


async def restore(
    settings: Settings,
    engine: AsyncEngine,
    archive_path: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> Manifest:
    progress = progress or (lambda *_: None)
    manifest = read_manifest(archive_path)
    if manifest.revision not in _known_revisions():
        raise BackupError(
            f"the archive's schema revision {manifest.revision} is newer than this TeslaSync knows: "
            "upgrade TeslaSync, then restore"
        )
    async with engine.connect() as connection:
        current = await connection.run_sync(_revision)
        if current is not None and not force and not await _is_empty(connection):
            raise BackupError(
                "the target installation holds data: restore into an empty one, or pass --force"
            )
        await connection.commit()
        await _schema_at(connection, settings, manifest.revision, current)
        driver = await _raw(connection)
        order = await _load_order(driver, [table.name for table in manifest.tables])
        by_name = {table.name: table for table in manifest.tables}
        with tarfile.open(archive_path, "r") as archive:
            async with driver.transaction():
                present = await _tables(driver)
                if present:
                    await driver.execute(f"TRUNCATE {', '.join(_quote(t) for t in present)} CASCADE")
                for name in order:
                    await _load_table(driver, archive, by_name[name], progress)
                await _move_identities(driver)
        await connection.commit()
        await migrate.upgrade_connection(connection, settings.storage)
        await _refresh_aggregates(connection)
        await connection.commit()
    _restore_keys(settings, archive_path, manifest)
    progress("keys", 1, 1)
    return manifest


async def _is_empty(connection: AsyncConnection) -> bool:
    """No vehicle, no signal, no token, no Tesla account, and no user but the built-in administrator."""
    checks = (
        "SELECT NOT EXISTS (SELECT 1 FROM vehicles)",
        "SELECT NOT EXISTS (SELECT 1 FROM signals)",
        "SELECT NOT EXISTS (SELECT 1 FROM api_tokens)",
        "SELECT to_regclass('tesla_accounts') IS NULL OR NOT EXISTS (SELECT 1 FROM tesla_accounts)",
        "SELECT to_regclass('users') IS NULL OR NOT EXISTS (SELECT 1 FROM users WHERE username <> 'admin')",
    )
    for check in checks:
        if not (await connection.execute(text(check))).scalar():
            return False
    return True


async def _schema_at(
    connection: AsyncConnection, settings: Settings, revision: str, current: str | None
) -> None:
    """Bring the (empty) schema to the archive's revision, down or up."""
    if current == revision:
        return

    def move(sync: Connection) -> None:
        from alembic import command

        config = migrate.alembic_config(sync, settings.storage)
        if current is not None and revision not in _ancestors_of(current):
            command.upgrade(config, revision)
        elif current is not None:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    await connection.run_sync(move)
    await connection.commit()


def _ancestors_of(revision: str) -> set[str]:
    return {rev.revision for rev in _scripts().iterate_revisions(revision, "base")}


async def _load_order(driver: Any, tables: list[str]) -> list[str]:
    """Parents before children (foreign keys), otherwise by name."""
    edges = [(child, parent) for child, parent in await driver.fetch(_FOREIGN_KEYS_SQL)]
    wanted = set(tables)
    parents: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in edges:
        if child in wanted and parent in wanted and child != parent:
            parents[child].add(parent)
    order: list[str] = []
    while parents:
        ready = sorted(table for table, needs in parents.items() if not needs - set(order))
        if not ready:
            raise BackupError(f"foreign keys form a cycle among {sorted(parents)}")
        for table in ready:
            order.append(table)
            del parents[table]
    return order


async def _load_table(driver: Any, archive: tarfile.TarFile, dump: TableDump, progress: Progress) -> None:
    member = archive.extractfile(f"tables/{dump.name}.copy.gz")
    if member is None:
        raise BackupError(f"the archive lacks the data of {dump.name}")
    digest = hashlib.sha256()
    rows = 0

    async def chunks() -> Any:
        nonlocal rows
        with gzip.open(member, "rb") as source:
            while block := source.read(CHUNK):
                digest.update(block)
                rows += block.count(b"\n")
                progress(dump.name, rows, dump.rows)
                yield block

    await driver.copy_to_table(dump.name, source=chunks(), columns=dump.columns, format="text")
    if rows != dump.rows or digest.hexdigest() != dump.sha256:
        raise BackupError(f"{dump.name}: the archive's data does not match its manifest (damaged archive?)")
    progress(dump.name, rows, dump.rows)


async def _move_identities(driver: Any) -> None:
    for table, column in await driver.fetch(_IDENTITY_SQL):
        await driver.execute(
            f"SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max({_quote(column)}), 0) + 1, false) "
            f"FROM {_quote(table)}",
            _quote(table),
            column,
        )


async def _refresh_aggregates(connection: AsyncConnection) -> None:
    """TimescaleDB's continuous aggregate is derived: computed again from the restored signals."""
    view = await connection.execute(
        text(
            "SELECT 1 FROM pg_matviews WHERE schemaname = 'public' AND matviewname = 'signal_rollups_hourly'"
        )
    )
    if view.scalar():
        await connection.commit()
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(
            text("CALL refresh_continuous_aggregate('signal_rollups_hourly', NULL, NULL)")
        )


def _restore_keys(settings: Settings, archive_path: Path, manifest: Manifest) -> None:
    """The archive's keys replace the data dir's (kept beside as `<name>.replaced-<time>`)."""
    data_dir = settings.resolved_data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with tarfile.open(archive_path, "r") as archive:
        for name in manifest.keys:
            member = archive.extractfile(f"keys/{name}")
            if member is None:
                raise BackupError(f"the archive lacks keys/{name}")
            data = member.read()
            target = data_dir / name
            if target.exists() and target.read_bytes() != data:
                target.rename(data_dir / f"{name}.replaced-{stamp}")
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
