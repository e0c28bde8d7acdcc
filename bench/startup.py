"""Start-up time and idle memory of `make run` (the service with its embedded database).

    .venv/bin/python bench/startup.py [--starts 3] [--idle-s 10]

Starts `make run` on a fresh data dir (the first start includes initdb and migrations), then again on the
same data (what an owner sees every day), each time until /healthz answers and `{ vehicles { vin } }`
returns the demo car. After the last start it waits, then sums the memory of the TeslaSync process and
every PostgreSQL process of its data dir: RSS, and USS/PSS (which do not count shared pages twice).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TESLASYNC_")}
    env.update(TESLASYNC_DATA_DIR=str(data_dir), TESLASYNC_PORT=str(port))
    started = time.perf_counter()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while True:
        if process.poll() is not None:
            raise RuntimeError("make run exited early")
        try:
            response = httpx.post(
                f"http://127.0.0.1:{port}/graphql", json={"query": "{ vehicles { vin } }"}, timeout=1
            )
            if response.status_code == 200 and response.json()["data"]["vehicles"]:
                return process, time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)


def memory(process: subprocess.Popen[bytes], data_dir: Path) -> dict[str, float]:
    tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    service = [proc for proc in tree if "teslasync" in " ".join(proc.cmdline())]
    postmaster = psutil.Process(int((data_dir / "pg" / "postmaster.pid").read_text().split()[0]))
    postgres = [postmaster, *postmaster.children(recursive=True)]
    totals: dict[str, float] = {}
    for label, group in (("service", service), ("postgres", postgres)):
        infos = [proc.memory_full_info() for proc in group]
        totals[f"{label}_rss_mib"] = sum(info.rss for info in infos) / 2**20
        totals[f"{label}_pss_mib"] = sum(info.pss for info in infos) / 2**20
        totals[f"{label}_processes"] = len(group)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=3, help="warm starts to time after the first")
    parser.add_argument("--idle-s", type=float, default=10.0, help="seconds idle before measuring memory")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="teslasync-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        port = free_port()
        process, first = start(data_dir, port)
        stop(process)
        warm: list[float] = []
        for _ in range(args.starts):
            process, elapsed = start(data_dir, port)
            warm.append(elapsed)
            if len(warm) < args.starts:
                stop(process)
        time.sleep(args.idle_s)
        figures = memory(process, data_dir)
        stop(process)

    print(f"make run, first start (initdb + migrations): {first:.2f} s")
    print(
        f"make run, second and later starts ({len(warm)}): median {statistics.median(warm):.2f} s, "
        f"min {min(warm):.2f} s, max {max(warm):.2f} s"
    )
    print(f"idle memory after {args.idle_s:.0f} s:")
    print(
        f"  TeslaSync process:   RSS {figures['service_rss_mib']:.1f} MiB, "
        f"PSS {figures['service_pss_mib']:.1f} MiB"
    )
    print(
        f"  embedded PostgreSQL: RSS {figures['postgres_rss_mib']:.1f} MiB, "
        f"PSS {figures['postgres_pss_mib']:.1f} MiB ({figures['postgres_processes']:.0f} processes)"
    )
    total_pss = figures["service_pss_mib"] + figures["postgres_pss_mib"]
    print(f"  total PSS: {total_pss:.1f} MiB")


if __name__ == "__main__":
    main()
