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


def test_json_lines_carry_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from teslasync.observability.tracing import request_id

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("info", "json")
    token = request_id.set("req-1234abcd")
    try:
        logging.getLogger("teslasync.test").warning("charging at %d kW", 11)
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("teslasync.test").exception("failed")
    finally:
        request_id.reset(token)
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "charging at 11 kW" and lines[0]["level"] == "warning"
    assert lines[0]["request_id"] == "req-1234abcd" and lines[0]["logger"] == "teslasync.test"
    assert "ValueError: boom" in lines[1]["exception"]


def test_text_lines_end_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    from teslasync.observability.tracing import request_id

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("info", "text")
    token = request_id.set("req-5678efgh")
    try:
        logging.getLogger("teslasync.test").warning("hello")
    finally:
        request_id.reset(token)
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    assert capsys.readouterr().err.rstrip().endswith("teslasync.test: hello [req-5678efgh]")
