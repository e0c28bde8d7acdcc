"""Tesla accounts: the owner's own developer app, connected through Tesla's sign-in."""

from __future__ import annotations

from datetime import datetime

import strawberry

from teslasync.db import models
from teslasync.resolvers import tesla as resolvers
from teslasync.resolvers.users import Refusal
from teslasync.schema.context import Info
from teslasync.schema.costs import InvalidInput, MutationProblem, _id


@strawberry.type(
    name="TeslaAccount", description="A Tesla account, reached through the owner's developer app."
)
class TeslaAccountType:
    id: strawberry.ID = strawberry.field(description="The account's id.")
    client_id: str = strawberry.field(
        description="The developer app's client id (its secret is never shown)."
    )
    redirect_uri: str = strawberry.field(
        description="Where Tesla sends the owner back: /auth/tesla/callback."
    )
    scopes: list[str] = strawberry.field(description="The OAuth scopes asked for.")
    status: str = strawberry.field(
        description="'pending' (waiting for the sign-in), 'connected', 'reauth_required' or 'revoked'."
    )
    region: str | None = strawberry.field(description="The Fleet API region: 'na', 'eu' or 'cn'.")
    access_expires_at: datetime | None = strawberry.field(description="When the access token expires.")
    last_error: str | None = strawberry.field(description="Why the account needs attention, if it does.")

    @classmethod
    def from_row(cls, row: models.TeslaAccount) -> TeslaAccountType:
        return cls(
            id=strawberry.ID(str(row.id)),
            client_id=row.client_id,
            redirect_uri=row.redirect_uri,
            scopes=list(row.scopes),
            status=row.status,
            region=row.region,
            access_expires_at=row.access_expires_at,
            last_error=row.last_error,
        )


@strawberry.input(description="The owner's Tesla developer app (developer.tesla.com).")
class TeslaAppInput:
    client_id: str = strawberry.field(description="The app's client id.")
    client_secret: str = strawberry.field(description="The app's client secret; stored encrypted.")
    redirect_uri: str = strawberry.field(
        description="The app's allowed redirect URI: this server's /auth/tesla/callback, over https."
    )
    scopes: list[str] | None = strawberry.field(default=None, description="OAuth scopes; null: the defaults.")
    china: bool = strawberry.field(default=False, description="An app registered with Tesla China.")


@strawberry.type(description="A pending Tesla account: send the owner to `authorizeUrl` to sign in.")
class ConnectTeslaAccountPayload:
    account: TeslaAccountType | None = strawberry.field(description="The pending account; null if refused.")
    authorize_url: str | None = strawberry.field(
        description="Tesla's sign-in page for this app (15 minutes)."
    )
    errors: list[MutationProblem] = strawberry.field(description="Empty when the account was created.")


@strawberry.type
class TeslaQueries:
    @strawberry.field(description="Your Tesla accounts (every user's, for an administrator).")
    async def tesla_accounts(self, info: Info) -> list[TeslaAccountType]:
        return [TeslaAccountType.from_row(row) for row in await resolvers.accounts(info.context)]


@strawberry.type
class TeslaMutations:
    @strawberry.mutation(description="Start connecting a Tesla account through your own developer app.")
    async def connect_tesla_account(self, info: Info, input: TeslaAppInput) -> ConnectTeslaAccountPayload:
        result = await resolvers.connect(
            info.context, input.client_id, input.client_secret, input.redirect_uri, input.scopes, input.china
        )
        if isinstance(result, Refusal):
            problem = InvalidInput(field=result.field, message=result.message)
            return ConnectTeslaAccountPayload(account=None, authorize_url=None, errors=[problem])
        return ConnectTeslaAccountPayload(
            account=TeslaAccountType.from_row(result.account), authorize_url=result.authorize_url, errors=[]
        )

    @strawberry.mutation(
        description="Forget a Tesla account's tokens (remove the app at accounts.tesla.com too)."
    )
    async def disconnect_tesla_account(self, info: Info, id: strawberry.ID) -> bool:
        account_id = _id(id)
        return account_id is not None and await resolvers.disconnect(info.context, account_id)
