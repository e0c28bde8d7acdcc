"""Who is behind a request or WebSocket: a bearer token, or in demo mode an anonymous loopback caller."""

from __future__ import annotations

import ipaddress
import logging

from starlette.requests import HTTPConnection

from teslasync.auth.principal import Principal
from teslasync.auth.tokens import TokenError, authenticate
from teslasync.db.engine import Database
from teslasync.errors import Unauthenticated
from teslasync.observability.metrics import AUTH_FAILURES

log = logging.getLogger("teslasync.auth")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return value.strip()


async def principal_for(connection: HTTPConnection, db: Database, demo: bool) -> Principal:
    token = bearer_token(connection)
    if token is None:
        client = connection.client.host if connection.client else None
        if demo and is_loopback(client):
            return Principal.demo_anonymous()
        AUTH_FAILURES.labels(reason="missing").inc()
        raise Unauthenticated("authentication required: send 'Authorization: Bearer <token>'")
    try:
        async with db.transaction() as session:
            return await authenticate(session, token)
    except TokenError as exc:
        AUTH_FAILURES.labels(reason=str(exc).split()[0]).inc()
        log.info("refused token from %s: %s", connection.client.host if connection.client else "?", exc)
        raise Unauthenticated("invalid or expired token") from None
