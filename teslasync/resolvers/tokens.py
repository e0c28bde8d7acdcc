"""API tokens made in the API: each acts for the user who made it, within scopes that user (and the
credential making it) holds. Making one is a sensitive operation: it needs step-up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from teslasync.auth import audit
from teslasync.auth.principal import Scope
from teslasync.auth.stepup import require_step_up
from teslasync.auth.tokens import IssuedToken, create_token
from teslasync.context import Context
from teslasync.db.models import ApiToken
from teslasync.db.repositories import tokens as repo
from teslasync.errors import Forbidden, TeslaSyncError
from teslasync.resolvers.users import Refusal

MAX_EXPIRY_DAYS = 3650


async def tokens(context: Context, every_user: bool) -> Sequence[ApiToken]:
    principal = context.principal
    if every_user:
        if not (principal.is_admin and principal.can(Scope.ADMIN)):
            raise Forbidden("only an administrator may list every user's tokens")
        return await repo.list_tokens(context.session)
    if principal.user_id is None:
        return []
    return await repo.list_tokens(context.session, principal.user_id)


async def create(
    context: Context, name: str, scopes: Sequence[Scope], expires_in_days: int | None
) -> IssuedToken | Refusal:
    principal = context.principal
    if principal.user_id is None:
        raise Forbidden("tokens belong to users; sign in as one (the CLI makes tokens for the administrator)")
    if not name.strip():
        return Refusal("name", "name: a token needs a name")
    if not scopes:
        return Refusal("scopes", "scopes: a token needs at least one scope")
    beyond = sorted(scope.value for scope in scopes if not principal.can(scope))
    if beyond:
        return Refusal("scopes", f"scopes: you cannot grant what you do not hold: {', '.join(beyond)}")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        return Refusal("expiresInDays", f"expiresInDays: between 1 and {MAX_EXPIRY_DAYS}")
    try:
        await require_step_up(context.session, context.security, principal, "creating a token", context.now)
    except TeslaSyncError as exc:
        await audit.record_apart(
            context.db, principal, "token.create", target=name, detail={"error": exc.code}
        )
        raise
    expires = timedelta(days=expires_in_days) if expires_in_days else None
    issued = await create_token(context.session, name, list(scopes), expires, principal.user_id)
    await audit.record(
        context.session,
        principal,
        "token.create",
        target=f"token:{issued.id}",
        detail={"name": issued.name, "scopes": list(issued.scopes)},
    )
    return issued


async def revoke(context: Context, token_id: int) -> bool:
    principal = context.principal
    owner = None if principal.is_admin and principal.can(Scope.ADMIN) else principal.user_id
    if owner is None and not principal.is_admin:
        return False
    revoked = await repo.revoke(context.session, token_id, owner)
    if revoked:
        await audit.record(context.session, principal, "token.revoke", target=f"token:{token_id}")
    return revoked
