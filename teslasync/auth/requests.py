"""Who is behind a request or WebSocket upgrade: a bearer token, a user vouched for by a trusted forward-auth
proxy, or in demo mode an anonymous loopback caller."""

from __future__ import annotations

import ipaddress
import logging
from datetime import UTC, datetime, timedelta

from starlette.requests import HTTPConnection

from teslasync.auth.forward import ForwardAuth, ForwardAuthRefused, Identity, client_address
from teslasync.auth.principal import Principal
from teslasync.auth.tokens import TokenError, authenticate, principal_of
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.models import User
from teslasync.db.repositories import users as users_repo
from teslasync.errors import Unauthenticated
from teslasync.observability.metrics import AUTH_FAILURES

log = logging.getLogger("teslasync.auth")

SEEN_RESOLUTION = timedelta(minutes=1)  # last_seen_at is written at most this often per user


class UntrustedProxy(Unauthenticated):
    code = "UNTRUSTED_PROXY"


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


def _unchanged(user: User, identity: Identity, is_admin: bool | None, now: datetime) -> bool:
    return (
        user.email == identity.email
        and user.display_name == identity.display_name
        and tuple(user.groups) == identity.groups
        and (is_admin is None or user.is_admin == is_admin)
        and user.last_seen_at is not None
        and now - user.last_seen_at < SEEN_RESOLUTION
    )


class Authenticator:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.db = db
        self.demo = settings.demo
        self.forward = ForwardAuth.from_settings(settings)
        self.trusted = tuple(ipaddress.ip_network(c, strict=False) for c in settings.trusted_proxies)

    def address(self, connection: HTTPConnection) -> str | None:
        peer = connection.client.host if connection.client else None
        return client_address(peer, connection.headers.get("x-forwarded-for"), self.trusted)

    async def principal(self, connection: HTTPConnection) -> Principal:
        """Raises `Unauthenticated` (or `UntrustedProxy`) with a message fit for the client."""
        peer = connection.client.host if connection.client else None
        address = self.address(connection)
        forward = self.forward
        identity: Identity | None = None
        if forward is not None and forward.carries_identity(connection.headers):
            if not forward.trusts(peer):
                AUTH_FAILURES.labels(reason="untrusted_proxy").inc()
                log.warning("refused identity headers from %s, which is not a trusted proxy", peer)
                raise UntrustedProxy("identity headers are accepted only from a trusted proxy")
            try:
                identity = forward.identity(connection.headers)
            except ForwardAuthRefused as exc:
                AUTH_FAILURES.labels(reason="forward_auth").inc()
                log.warning("refused forward-auth user from %s: %s", address, exc)
                raise Unauthenticated("this user may not sign in to TeslaSync") from None
        token = bearer_token(connection)
        if token is not None:
            return (await self.token_principal(token, address)).with_address(address)
        if identity is not None and forward is not None:
            return (await self._user_principal(identity, forward.is_admin(identity))).with_address(address)
        if self.demo and is_loopback(peer):
            return Principal.demo_anonymous().with_address(address)
        AUTH_FAILURES.labels(reason="missing").inc()
        raise Unauthenticated("authentication required: send 'Authorization: Bearer <token>'")

    async def token_principal(self, token: str, address: str | None = None) -> Principal:
        try:
            return await authenticate(self.db, token)
        except TokenError as exc:
            AUTH_FAILURES.labels(reason=str(exc).split()[0]).inc()
            log.info("refused token from %s: %s", address or "?", exc)
            raise Unauthenticated("invalid or expired token") from None

    async def _user_principal(self, identity: Identity, is_admin: bool | None) -> Principal:
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            user = await users_repo.by_username(session, identity.username)
            if user is None or not _unchanged(user, identity, is_admin, now):
                user = await users_repo.upsert_seen(
                    session,
                    identity.username,
                    email=identity.email,
                    display_name=identity.display_name,
                    groups=identity.groups,
                    is_admin=is_admin,
                    seen_at=now,
                )
            if user.disabled_at is not None:
                AUTH_FAILURES.labels(reason="disabled").inc()
                raise Unauthenticated("this user is disabled")
            return await principal_of(session, user, kind="user", name=user.username)
