"""Logging set-up. Every known secret is registered with the redactor, which scrubs it from any record."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from teslasync.config import Settings


class SecretRedactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 6:
            self.secrets.add(secret)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


REDACTOR = SecretRedactor()


def register_secrets(settings: Settings) -> None:
    from urllib.parse import urlsplit

    REDACTOR.add(settings.resolved_secret_key() if settings.secret_key else None)
    for url in (settings.database_url, settings.redis_url, settings.mqtt_url):
        if url is not None:
            REDACTOR.add(urlsplit(url.get_secret_value()).password)
    for key in (settings.openai_api_key, settings.azure_openai_api_key, settings.anthropic_api_key):
        if key is not None:
            REDACTOR.add(key.get_secret_value())


class RequestIds(logging.Filter):
    """Puts the request id and the trace and span ids on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from teslasync.observability.tracing import request_id, trace_ids

        record.request_id = request_id.get()
        record.trace_id, record.span_id = trace_ids()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: what a log shipper (Loki, Elasticsearch) reads without parsing rules."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "trace_id", "span_id"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = REDACTOR.scrub(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request = getattr(record, "request_id", None)
        return f"{line} [{request}]" if request else line


def configure_logging(level: str, log_format: str = "auto") -> None:
    """`log_format`: "json", "text", or "auto" (text on a terminal, JSON otherwise)."""
    handler = logging.StreamHandler(sys.stderr)
    as_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    handler.setFormatter(JsonFormatter() if as_json else TextFormatter())
    handler.addFilter(REDACTOR)
    handler.addFilter(RequestIds())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # alembic narrates every start; teslasync.db.migrate logs the migrations it actually applies
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
    # SAQ narrates every job at INFO and warns at every stop that its idle loops were cancelled (they
    # never end by themselves); jobs/worker.py logs what matters: failures, and jobs that fail for good
    logging.getLogger("saq").setLevel(max(root.level, logging.ERROR))
