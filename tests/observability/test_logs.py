from __future__ import annotations

import logging
from pathlib import Path

import pytest

from teslasync.config import load_settings
from teslasync.observability.logs import REDACTOR, configure_logging, register_secrets


def test_registered_secrets_never_reach_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TESLASYNC_DATABASE_URL", "postgresql://ts:db-password-123@db:5432/ts")
    monkeypatch.setenv("TESLASYNC_REDIS_URL", "redis://:redis-password-456@cache:6379/0")
    monkeypatch.setenv("TESLASYNC_SECRET_KEY", "x" * 12 + "secret-key-material-789")
    settings = load_settings(data_dir=tmp_path)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("info")
    register_secrets(settings)
    try:
        log = logging.getLogger("teslasync.test")
        log.warning("connecting with %s", settings.database_url.get_secret_value())  # type: ignore[union-attr]
        log.info(
            "redis at redis://:redis-password-456@cache:6379/0 and key %s", settings.resolved_secret_key()
        )
        captured = capsys.readouterr().err
    finally:
        REDACTOR.secrets.clear()
        root.handlers[:], root.level = saved[0], saved[1]
    assert "db-password-123" not in captured
    assert "redis-password-456" not in captured
    assert "secret-key-material-789" not in captured
    assert "postgresql://ts:***@db:5432/ts" in captured
    assert captured.count("***") == 3
