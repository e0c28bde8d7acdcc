from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESLASYNC = [sys.executable, "-m", "teslasync"]


def clean_env(**variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TESLASYNC_")}
    env.update(variables)
    return env


def run_cli(
    *args: str, cwd: Path, timeout: float = 120, **variables: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TESLASYNC, *args],
        cwd=cwd,
        env=clean_env(**variables),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
