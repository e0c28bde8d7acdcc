"""API tokens: `tsk_<prefix>_<secret>`. Only a SHA-256 of the secret is stored; the prefix finds the row.

The secret has 256 bits of entropy, so a fast hash is right here (no dictionary to resist), and the
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.auth.principal import Principal, Role, Scope, effective_scopes, user_scopes
from teslasync.db.engine import Database
from teslasync.db.models import ApiToken, User
from teslasync.db.repositories import tokens as repo
from teslasync.db.repositories import users as users_repo

TOKEN_MARK = "tsk"  # noqa: S105 - the token format's marker, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(Exception):
    """The token is malformed, unknown, revoked or expired; the message says which, for logs only."""


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    token: str
    scopes: tuple[str, ...]
    expires_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(token: str) -> tuple[str, str]:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_MARK or not parts[1] or not parts[2]:
        raise TokenError("malformed token")
    return parts[1], parts[2]


async def create_token(
    session: AsyncSession,
    name: str,
    scopes: list[Scope],
    expires_in: timedelta | None = None,
    user_id: int | None = None,
) -> IssuedToken:
    """A new token acting for `user_id` (None: the built-in administrator, as the CLI does). Scopes the
    user could not hold (`admin` for a user who is not an administrator) are refused."""
    if not name.strip():
        raise ValueError("a token needs a name")
    if not scopes:
        raise ValueError("a token needs at least one scope")
    if user_id is None:
        user_id = (await users_repo.builtin_admin(session)).id
    user = await users_repo.by_id(session, user_id)
    if user is None:
        raise ValueError(f"no user {user_id}")
    beyond = {scope.value for scope in scopes} - {scope.value for scope in user_scopes(user.is_admin)}
    if beyond:
        raise ValueError(f"{user.username} cannot hold the scope {', '.join(sorted(beyond))}")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + expires_in if expires_in else None
    scope_names = tuple(sorted({scope.value for scope in scopes}))
    row = await repo.add_token(session, name.strip(), prefix, _hash(secret), scope_names, expires_at, user_id)
    return IssuedToken(row.id, row.name, f"{TOKEN_MARK}_{prefix}_{secret}", scope_names, expires_at)


async def authenticate(db: Database, token: str, now: datetime | None = None) -> Principal:
    """The principal a token acts for, checked outside a transaction; its last use is written (at most once
    a `LAST_USED_RESOLUTION`) in a short transaction of its own."""
    now = now or datetime.now(UTC)
    async with db.read_sessions() as session:
        principal, stale = await verify(session, token, now)
    if stale and principal.token_id is not None:
        async with db.transaction() as session:
            await repo.touch(session, principal.token_id, now)
    return principal


async def verify(session: AsyncSession, token: str, now: datetime) -> tuple[Principal, bool]:
    """The principal a token acts for, and whether its last use is to be recorded (at most once a
    `LAST_USED_RESOLUTION`); reads only, so that a request can check its token without a transaction."""
    prefix, secret = parse(token)
    found = await repo.with_holder(session, prefix)
    if found is None or not hmac.compare_digest(found[0].secret_hash, _hash(secret)):
        raise TokenError("unknown token")
    row, user, roles = found
    if row.revoked_at is not None:
        raise TokenError("revoked token")
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenError("expired token")
    if user.disabled_at is not None:
        raise TokenError("token of a disabled user")
    stale = row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION
    return principal_with(user, roles, kind="token", name=f"{user.username}/{row.name}", token=row), stale


async def principal_of(
    session: AsyncSession, user: User, *, kind: str, name: str, token: ApiToken | None = None
) -> Principal:
    """The principal of a user, through a token (within its scopes) or directly."""
    roles = {} if user.is_admin else await users_repo.roles_of(session, user.id)
    return principal_with(user, roles, kind=kind, name=name, token=token)


def principal_with(
    user: User, roles: dict[int, str], *, kind: str, name: str, token: ApiToken | None = None
) -> Principal:
    """The principal of a user holding `roles` (ignored for an administrator, who sees every vehicle)."""
    scopes = user_scopes(user.is_admin)
    if token is not None:
        scopes = scopes & effective_scopes(token.scopes)
    roles = {} if user.is_admin else roles
    return Principal(
        kind=kind,
        name=name,
        scopes=scopes,
        token_id=token.id if token is not None else None,
        user_id=user.id,
        is_admin=user.is_admin,
        roles={vehicle_id: Role(role) for vehicle_id, role in roles.items()},
    )
