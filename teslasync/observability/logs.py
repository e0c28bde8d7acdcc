"""Logging set-up. Every known secret is registered with the redactor, which scrubs it from any record."""

from __future__ import annotations

import logging
import sys

from teslasync.config import Settings


class SecretRedactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 6:
            self.secrets.add(secret)

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


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # alembic narrates every start; teslasync.db.migrate logs the migrations it actually applies
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
