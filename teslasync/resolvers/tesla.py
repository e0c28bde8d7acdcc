"""Tesla accounts through the API: connect one (the owner's own developer app), list them, disconnect."""

from __future__ import annotations

from collections.abc import Sequence

from teslasync.auth import audit
from teslasync.auth.principal import Scope
from teslasync.auth.secrets import Secret
from teslasync.context import Context
from teslasync.db.models import TeslaAccount
from teslasync.db.repositories import tesla_accounts as repo
from teslasync.errors import Forbidden, TeslaSyncError, require_scope
from teslasync.fleet.accounts import Connecting, TeslaAccounts
from teslasync.fleet.oauth import DEFAULT_SCOPES, TeslaApp
from teslasync.resolvers.users import Refusal


class TeslaUnconfigured(TeslaSyncError):
    code = "TESLA_UNAVAILABLE"


def _service(context: Context) -> TeslaAccounts:
    if context.fleet is None:
        raise TeslaUnconfigured("Tesla accounts are not available in this process")
    return context.fleet.accounts


def _user_id(context: Context) -> int:
    if context.principal.user_id is None:
        raise Forbidden("a Tesla account belongs to a user; sign in as one")
    return context.principal.user_id


async def accounts(context: Context) -> Sequence[TeslaAccount]:
    require_scope(context.principal, Scope.READ)
    principal = context.principal
    every = principal.is_admin and principal.can(Scope.ADMIN)
    return await repo.of_user(context.session, None if every else _user_id(context))


async def connect(
    context: Context,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    scopes: Sequence[str] | None,
    china: bool,
) -> Connecting | Refusal:
    require_scope(context.principal, Scope.COMMAND)
    user_id = _user_id(context)
    try:
        app = TeslaApp(
            client_id=client_id.strip(),
            client_secret=Secret(client_secret.strip()),
            redirect_uri=redirect_uri.strip(),
            scopes=tuple(scopes) if scopes else DEFAULT_SCOPES,
        )
    except ValueError as exc:
        field = next((f for f in ("client_id", "redirect_uri", "scopes") if f in str(exc)), "clientId")
        camel = {"client_id": "clientId", "redirect_uri": "redirectUri"}.get(field, field)
        return Refusal(camel, f"{camel}: {exc}")
    if not app.client_id:
        return Refusal("clientId", "clientId: required")
    connecting = await _service(context).connect(context.session, user_id, app, china)
    await audit.record(
        context.session, context.principal, "tesla.connect", target=f"tesla_account:{connecting.account.id}"
    )
    return connecting


async def disconnect(context: Context, account_id: int) -> bool:
    require_scope(context.principal, Scope.COMMAND)
    account = await repo.by_id(context.session, account_id)
    principal = context.principal
    if account is None or not (account.user_id == principal.user_id or principal.can(Scope.ADMIN)):
        return False
    await _service(context).revoke(account_id)
    await audit.record(context.session, principal, "tesla.disconnect", target=f"tesla_account:{account_id}")
    return True
