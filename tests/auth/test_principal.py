"""What a principal may do: the meet of its credential's scopes and the user's role for the vehicle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from teslasync.auth.principal import Principal, Role, Scope, effective_scopes, user_scopes
from teslasync.auth.tokens import authenticate, create_token
from teslasync.db.engine import Database
from teslasync.db.repositories import users as users_repo
from teslasync.db.repositories.vehicles import ensure_vehicle

VIN_A = "5YJ3E7EB1KF000001"
VIN_B = "5YJ3E7EB1KF000002"


def _user(roles: dict[int, Role], scopes: frozenset[Scope] = user_scopes(False)) -> Principal:
    return Principal(kind="user", name="u", scopes=scopes, user_id=7, roles=roles)


def test_a_viewer_cannot_command_a_driver_and_an_owner_can() -> None:
    principal = _user({1: Role.VIEWER, 2: Role.DRIVER, 3: Role.OWNER})
    assert principal.may(Scope.READ, 1) and not principal.may(Scope.COMMAND, 1)
    assert principal.may(Scope.COMMAND, 2) and principal.may(Scope.COMMAND, 3)
    assert not principal.may(Scope.READ, 4)  # not shared
    assert principal.visible([1, 2, 3, 4]) == [1, 2, 3]


def test_a_token_without_command_scope_cannot_command_even_the_owners_car() -> None:
    principal = _user({3: Role.OWNER}, effective_scopes(["read"]))
    assert principal.may(Scope.READ, 3) and not principal.may(Scope.COMMAND, 3)


def test_an_administrator_sees_every_vehicle_but_acts_within_the_credential() -> None:
    admin = Principal(kind="token", name="a", scopes=effective_scopes(["read"]), user_id=1, is_admin=True)
    assert admin.role_for(99) is Role.OWNER and admin.vehicle_filter is None
    assert admin.may(Scope.READ, 99) and not admin.may(Scope.COMMAND, 99)


async def test_a_token_acts_for_its_user_within_both_scopes_and_roles(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as session:
        car_a = await ensure_vehicle(session, VIN_A)
        car_b = await ensure_vehicle(session, VIN_B)
        user = await users_repo.upsert_seen(
            session, "kim", email=None, display_name=None, groups=[], is_admin=None, seen_at=now
        )
        await users_repo.grant(session, user.id, car_a.id, "viewer")
        issued = await create_token(session, "kim's", [Scope.COMMAND], user_id=user.id)
    principal = await authenticate(db, issued.token)
    assert principal.user_id == user.id and principal.name == "kim/kim's" and not principal.is_admin
    assert principal.can(Scope.COMMAND) and not principal.can(Scope.ADMIN)
    assert not principal.may(Scope.COMMAND, car_a.id)  # a viewer, whatever the token says
    assert principal.may(Scope.READ, car_a.id) and principal.role_for(car_b.id) is None


async def test_a_user_who_is_no_administrator_cannot_hold_an_admin_token(db: Database) -> None:
    async with db.transaction() as session:
        user = await users_repo.upsert_seen(
            session, "lee", email=None, display_name=None, groups=[], is_admin=None, seen_at=datetime.now(UTC)
        )
        with pytest.raises(ValueError, match="lee cannot hold the scope admin"):
            await create_token(session, "x", [Scope.ADMIN], user_id=user.id)


async def test_cli_tokens_act_for_the_builtin_administrator(db: Database) -> None:
    async with db.transaction() as session:
        issued = await create_token(session, "ops", [Scope.ADMIN])
    principal = await authenticate(db, issued.token)
    assert principal.is_admin and principal.name == "admin/ops" and principal.can(Scope.ADMIN)
