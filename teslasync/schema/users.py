"""Users, sharing, API tokens, two-factor step-up and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from teslasync.auth.principal import Role, Scope
from teslasync.db import models
from teslasync.resolvers import audit as audit_resolvers
from teslasync.resolvers import tokens as token_resolvers
from teslasync.resolvers import totp as totp_resolvers
from teslasync.resolvers import users as resolvers
from teslasync.resolvers.derived import encode_cursor
from teslasync.resolvers.preferences import Preferences
from teslasync.schema.context import Info
from teslasync.schema.costs import MutationProblem, _id, refusal_problem
from teslasync.schema.derived import PageInfo, page_info
from teslasync.schema.preferences import PreferencesType


@strawberry.enum(description="What a user may do with a vehicle shared with them.")
class VehicleRole(Enum):
    OWNER = "owner"
    DRIVER = "driver"
    VIEWER = "viewer"


@strawberry.enum(description="What an API token may do; a broader scope includes the narrower ones.")
class TokenScope(Enum):
    READ = "read"
    COMMAND = "command"
    ADMIN = "admin"


@strawberry.type(description="A vehicle shared with a user, and the user's role for it.")
class VehicleGrant:
    vin: str = strawberry.field(description="The vehicle's VIN.")
    role: VehicleRole = strawberry.field(description="The user's role for it.")


@strawberry.type(
    name="User", description="A person who signs in (through forward-auth) or the administrator."
)
class UserType:
    id: strawberry.ID = strawberry.field(description="The user's id.")
    username: str = strawberry.field(description="The name the identity provider gives (unique).")
    email: str | None = strawberry.field(description="E-mail address, from the identity provider.")
    display_name: str | None = strawberry.field(description="Full name, from the identity provider.")
    source: str = strawberry.field(description="'forward-auth', or 'local' for the built-in administrator.")
    is_admin: bool = strawberry.field(description="Administrators see every vehicle and manage users.")
    groups: list[str] = strawberry.field(description="Groups, from the identity provider.")
    created_at: datetime = strawberry.field(description="First seen.")
    last_seen_at: datetime | None = strawberry.field(description="Last seen (to the minute).")
    disabled: bool = strawberry.field(description="A disabled user and their tokens are refused.")
    totp_enabled: bool = strawberry.field(description="Whether TOTP two-factor step-up is on.")

    @classmethod
    def from_row(cls, row: models.User) -> UserType:
        return cls(
            id=strawberry.ID(str(row.id)),
            username=row.username,
            email=row.email,
            display_name=row.display_name,
            source=row.source,
            is_admin=row.is_admin,
            groups=list(row.groups),
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            disabled=row.disabled_at is not None,
            totp_enabled=row.totp_enabled_at is not None,
        )


@strawberry.type(description="Who is asking: the signed-in user, through which credential, with what rights.")
class Me:
    user: UserType | None = strawberry.field(description="The user; null for demo mode's anonymous caller.")
    credential: str = strawberry.field(description="'user' (forward-auth), 'token:<id>' or 'anonymous'.")
    scopes: list[TokenScope] = strawberry.field(description="What this credential may do.")
    vehicles: list[VehicleGrant] = strawberry.field(
        description="Vehicles shared with the user (administrators see every vehicle besides)."
    )
    preferences: PreferencesType | None = strawberry.field(
        description="The user's display preferences; null for demo mode's anonymous caller."
    )


@strawberry.type(description="A user and their cursor.")
class UserEdge:
    cursor: str = strawberry.field(description="Opaque position of this user.")
    node: UserType = strawberry.field(description="The user.")


@strawberry.type(description="A page of users, oldest first.")
class UserConnection:
    edges: list[UserEdge] = strawberry.field(description="The users of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


@strawberry.type(description="Someone a vehicle is shared with.")
class VehicleShare:
    vin: str = strawberry.field(description="The vehicle's VIN.")
    username: str = strawberry.field(description="Who it is shared with.")
    role: VehicleRole = strawberry.field(description="Their role.")


@strawberry.type(name="ApiToken", description="An API token (its secret is shown once, when it is made).")
class ApiTokenType:
    id: strawberry.ID = strawberry.field(description="The token's id.")
    name: str = strawberry.field(description="What it is for, e.g. 'Home Assistant'.")
    scopes: list[TokenScope] = strawberry.field(description="What it may do.")
    created_at: datetime = strawberry.field(description="When it was made.")
    expires_at: datetime | None = strawberry.field(description="When it stops working; null: never.")
    last_used_at: datetime | None = strawberry.field(description="Last used (to the minute).")
    revoked: bool = strawberry.field(description="Revoked tokens are refused.")

    @classmethod
    def from_row(cls, row: models.ApiToken) -> ApiTokenType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            scopes=[TokenScope(scope) for scope in row.scopes],
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked=row.revoked_at is not None,
        )


@strawberry.type(description="One sensitive action: who, what, when, from where, and how it ended.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    at: datetime = strawberry.field(description="When.")
    principal: str = strawberry.field(description="Who: a username, or 'username/token name'.")
    address: str | None = strawberry.field(description="From where: the client's IP address.")
    action: str = strawberry.field(description="What, e.g. 'token.create', 'vehicle.share', 'totp.verify'.")
    target: str | None = strawberry.field(description="What it acted on, e.g. a VIN or 'token:12'.")
    outcome: str = strawberry.field(description="'ok', 'refused' or 'failed'.")
    detail: JSON | None = strawberry.field(description="More, by action; never a secret.")


@strawberry.type(description="An audit entry and its cursor.")
class AuditEdge:
    cursor: str = strawberry.field(description="Opaque position of this entry.")
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the audit log, newest first.")
class AuditConnection:
    edges: list[AuditEdge] = strawberry.field(description="The entries of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


@strawberry.type(description="The result of sharing a vehicle or ending a share.")
class SharePayload:
    share: VehicleShare | None = strawberry.field(description="The share as made; null if refused or ended.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when the change was made.")


@strawberry.type(description="The result of changing a user.")
class UserPayload:
    user: UserType | None = strawberry.field(description="The user as stored; null if refused.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when the change was made.")


@strawberry.type(description="A new API token. Keep `token`: it is shown this once and stored only hashed.")
class CreateApiTokenPayload:
    token: str | None = strawberry.field(description="The secret, 'tsk_…'; null if refused.")
    api_token: ApiTokenType | None = strawberry.field(description="The token's record.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when the token was made.")


@strawberry.type(description="The result of revoking a token.")
class RevokeApiTokenPayload:
    revoked: bool = strawberry.field(description="Whether a token of yours (any, for an admin) was revoked.")


@strawberry.type(
    description="A TOTP enrolment under way: add it to an authenticator app, then confirm a code."
)
class TotpEnrolment:
    otpauth_uri: str = strawberry.field(description="The otpauth:// URI (holds the secret).")
    qr_svg: str = strawberry.field(description="The URI as a QR code, an SVG document.")
    secret: str = strawberry.field(description="The base32 secret, for typing in by hand.")


@strawberry.type(description="TOTP is on. Keep the recovery codes: they are shown this once.")
class TotpConfirmation:
    recovery_codes: list[str] = strawberry.field(description="One-time codes for when the device is lost.")
    step_up_until: datetime = strawberry.field(description="Sensitive operations are allowed until then.")


@strawberry.type(description="A verified code: sensitive operations are allowed for a few minutes.")
class StepUp:
    until: datetime = strawberry.field(description="When the step-up lapses.")


def _user_connection(rows: Sequence[models.User], first: int) -> UserConnection:
    edges = [UserEdge(cursor=str(row.id), node=UserType.from_row(row)) for row in rows[:first]]
    return UserConnection(edges=edges, page_info=page_info(len(rows) > first, edges))


def _user_payload(result: models.User | resolvers.Refusal) -> UserPayload:
    if isinstance(result, resolvers.Refusal):
        return UserPayload(user=None, errors=[refusal_problem(result)])
    return UserPayload(user=UserType.from_row(result), errors=[])


@strawberry.type
class UserQueries:
    @strawberry.field(description="Who is asking.")
    async def me(self, info: Info) -> Me:
        context = info.context
        principal = context.principal
        user = await resolvers.me(context)
        return Me(
            user=UserType.from_row(user) if user is not None else None,
            credential=principal.credential,
            scopes=[TokenScope(scope.value) for scope in Scope if principal.can(scope)],
            vehicles=[
                VehicleGrant(vin=vin, role=VehicleRole(role.value))
                for vin, role in await resolvers.granted(context)
            ],
            preferences=PreferencesType.of(Preferences.from_doc(user.preferences))
            if user is not None
            else None,
        )

    @strawberry.field(description="Who a vehicle is shared with (its owner, or an administrator).")
    async def vehicle_shares(self, info: Info, vin: str) -> list[VehicleShare]:
        return [
            VehicleShare(vin=vehicle.vin, username=user.username, role=VehicleRole(role))
            for vehicle, user, role in await resolvers.shares(info.context, vin)
        ]

    @strawberry.field(description="Every user, oldest first (administrators).")
    async def users(self, info: Info, first: int = 50, after: str | None = None) -> UserConnection:
        after_id = _id(strawberry.ID(after)) if after else None
        rows = await resolvers.users_page(info.context, first, after_id)
        return _user_connection(rows, first)

    @strawberry.field(description="Your API tokens; `everyUser` lists every user's (administrators).")
    async def api_tokens(self, info: Info, every_user: bool = False) -> list[ApiTokenType]:
        return [ApiTokenType.from_row(row) for row in await token_resolvers.tokens(info.context, every_user)]

    @strawberry.field(description="The audit log, newest first (administrators).")
    async def audit_log(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        action: str | None = None,
        username: str | None = None,
    ) -> AuditConnection:
        rows = await audit_resolvers.entries(info.context, first, after, action, username)
        edges = [
            AuditEdge(
                cursor=encode_cursor(row.at, row.id),
                node=AuditEntry(
                    id=strawberry.ID(str(row.id)),
                    at=row.at,
                    principal=row.principal,
                    address=row.address,
                    action=row.action,
                    target=row.target,
                    outcome=row.outcome,
                    detail=cast(Any, row.detail),
                ),
            )
            for row in rows[:first]
        ]
        return AuditConnection(edges=edges, page_info=page_info(len(rows) > first, edges))


@strawberry.type
class UserMutations:
    @strawberry.mutation(
        description="Share a vehicle with a user in a role (its owner, or an administrator)."
    )
    async def share_vehicle(self, info: Info, vin: str, username: str, role: VehicleRole) -> SharePayload:
        result = await resolvers.share_vehicle(info.context, vin, username, Role(role.value))
        if isinstance(result, resolvers.Refusal):
            return SharePayload(share=None, errors=[refusal_problem(result)])
        share = VehicleShare(vin=result.vehicle.vin, username=result.user.username, role=role)
        return SharePayload(share=share, errors=[])

    @strawberry.mutation(description="Stop sharing a vehicle with a user (its owner, or an administrator).")
    async def unshare_vehicle(self, info: Info, vin: str, username: str) -> SharePayload:
        result = await resolvers.unshare_vehicle(info.context, vin, username)
        errors = [refusal_problem(result)] if isinstance(result, resolvers.Refusal) else []
        return SharePayload(share=None, errors=errors)

    @strawberry.mutation(description="Make a user an administrator or not (administrators).")
    async def set_user_admin(self, info: Info, username: str, admin: bool) -> UserPayload:
        return _user_payload(await resolvers.set_admin(info.context, username, admin))

    @strawberry.mutation(description="Disable or re-enable a user and their tokens (administrators).")
    async def set_user_disabled(self, info: Info, username: str, disabled: bool) -> UserPayload:
        return _user_payload(await resolvers.set_disabled(info.context, username, disabled))

    @strawberry.mutation(description="Make an API token acting for you (needs step-up).")
    async def create_api_token(
        self, info: Info, name: str, scopes: list[TokenScope], expires_in_days: int | None = None
    ) -> CreateApiTokenPayload:
        wanted = [Scope(scope.value) for scope in scopes]
        result = await token_resolvers.create(info.context, name, wanted, expires_in_days)
        if isinstance(result, resolvers.Refusal):
            return CreateApiTokenPayload(token=None, api_token=None, errors=[refusal_problem(result)])
        record = ApiTokenType(
            id=strawberry.ID(str(result.id)),
            name=result.name,
            scopes=[TokenScope(scope) for scope in result.scopes],
            created_at=info.context.now,
            expires_at=result.expires_at,
            last_used_at=None,
            revoked=False,
        )
        return CreateApiTokenPayload(token=result.token, api_token=record, errors=[])

    @strawberry.mutation(description="Revoke one of your API tokens (any, for an administrator).")
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> RevokeApiTokenPayload:
        token_id = _id(id)
        revoked = token_id is not None and await token_resolvers.revoke(info.context, token_id)
        return RevokeApiTokenPayload(revoked=revoked)

    @strawberry.mutation(description="Start enrolling an authenticator app for TOTP two-factor step-up.")
    async def start_totp_enrolment(self, info: Info) -> TotpEnrolment:
        enrolment = await totp_resolvers.start(info.context)
        return TotpEnrolment(
            otpauth_uri=enrolment.uri, qr_svg=enrolment.qr_svg, secret=enrolment.secret.reveal()
        )

    @strawberry.mutation(description="Turn TOTP on with the first code from the app; returns recovery codes.")
    async def confirm_totp_enrolment(self, info: Info, code: str) -> TotpConfirmation:
        enrolled = await totp_resolvers.confirm(info.context, code)
        return TotpConfirmation(recovery_codes=enrolled.recovery_codes, step_up_until=enrolled.step_up_until)

    @strawberry.mutation(
        description="Step up with a TOTP code (or a recovery code, used up by it) before a sensitive operation."
    )
    async def verify_totp(self, info: Info, code: str) -> StepUp:
        return StepUp(until=await totp_resolvers.verify(info.context, code))

    @strawberry.mutation(description="Turn TOTP off (needs step-up).")
    async def disable_totp(self, info: Info) -> bool:
        await totp_resolvers.disable(info.context)
        return True

    @strawberry.mutation(description="Replace your recovery codes (needs step-up); returns the new ones.")
    async def regenerate_recovery_codes(self, info: Info) -> list[str]:
        return await totp_resolvers.regenerate(info.context)
