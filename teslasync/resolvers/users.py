"""Users and sharing: who the caller is, the users an administrator manages, and who each vehicle is shared
with. An owner of a vehicle shares it; an administrator shares every vehicle and manages users."""

from __future__ import annotations

from dataclasses import dataclass

from teslasync.auth import audit
from teslasync.auth.principal import Principal, Role, Scope
from teslasync.context import Context
from teslasync.db.models import User, Vehicle
from teslasync.db.repositories import users as repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.errors import Forbidden, NotFound, require_scope
from teslasync.resolvers.derived import BadPage

MAX_PAGE = 100


@dataclass(frozen=True)
class Refusal:
    """Why a change was not made, naming the argument (`not_found`: it names nothing)."""

    field: str
    message: str
    not_found: bool = False


@dataclass(frozen=True)
class Share:
    vehicle: Vehicle
    user: User
    role: Role


def require_admin(principal: Principal) -> None:
    if not (principal.is_admin and principal.can(Scope.ADMIN)):
        raise Forbidden("only an administrator (with the 'admin' scope) may do this")


async def me(context: Context) -> User | None:
    principal = context.principal
    if principal.user_id is None:
        return None
    return await repo.by_id(context.session, principal.user_id)


async def users_page(context: Context, first: int, after: int | None) -> list[User]:
    require_admin(context.principal)
    if not 1 <= first <= MAX_PAGE:
        raise BadPage(f"first must be between 1 and {MAX_PAGE}")
    return list(await repo.list_page(context.session, after, first + 1))


async def granted(context: Context) -> list[tuple[str, Role]]:
    """(VIN, role) of each vehicle shared with the caller."""
    roles = context.principal.roles
    vehicles = await vehicles_repo.list_vehicles(context.session, frozenset(roles)) if roles else []
    return [(vehicle.vin, roles[vehicle.id]) for vehicle in vehicles]


async def shares(context: Context, vin: str) -> list[tuple[Vehicle, User, str]]:
    """Who the vehicle is shared with; the caller must own it (or be an administrator)."""
    vehicle = await _vehicle_to_manage(context, vin)
    if isinstance(vehicle, Refusal):
        raise (NotFound if vehicle.not_found else Forbidden)(vehicle.message.removeprefix("vin: "))
    rows = await repo.shares_of(context.session, [vehicle.id])
    return [(vehicle, user, role) for _, user, role in rows]


async def _vehicle_to_manage(context: Context, vin: str) -> Vehicle | Refusal:
    require_scope(context.principal, Scope.COMMAND)
    vehicle = (await vehicles_repo.by_vins(context.session, [vin.strip().upper()])).get(vin.strip().upper())
    role = context.principal.role_for(vehicle.id) if vehicle is not None else None
    if vehicle is None or role is None:
        return Refusal("vin", f"vin: no vehicle {vin}", not_found=True)
    if role is not Role.OWNER:
        return Refusal("vin", "vin: only the vehicle's owner or an administrator may share it")
    return vehicle


async def share_vehicle(context: Context, vin: str, username: str, role: Role) -> Share | Refusal:
    vehicle = await _vehicle_to_manage(context, vin)
    if isinstance(vehicle, Refusal):
        return vehicle
    user = await repo.by_username(context.session, username.strip())
    if user is None:
        return Refusal("username", f"username: no user {username} (users appear once they sign in)", True)
    await repo.grant(context.session, user.id, vehicle.id, role.value)
    await audit.record(
        context.session,
        context.principal,
        "vehicle.share",
        target=vehicle.vin,
        detail={"user": user.username, "role": role.value},
    )
    return Share(vehicle, user, role)


async def unshare_vehicle(context: Context, vin: str, username: str) -> Vehicle | Refusal:
    vehicle = await _vehicle_to_manage(context, vin)
    if isinstance(vehicle, Refusal):
        return vehicle
    user = await repo.by_username(context.session, username.strip())
    if user is None or not await repo.revoke(context.session, user.id, vehicle.id):
        return Refusal("username", f"username: {vehicle.vin} is not shared with {username}", True)
    await audit.record(
        context.session,
        context.principal,
        "vehicle.unshare",
        target=vehicle.vin,
        detail={"user": user.username},
    )
    return vehicle


async def set_admin(context: Context, username: str, admin: bool) -> User | Refusal:
    require_admin(context.principal)
    user = await repo.by_username(context.session, username.strip())
    if user is None:
        return Refusal("username", f"username: no user {username}", not_found=True)
    if not admin and user.is_admin and await _last_admin(context, user):
        return Refusal("admin", "admin: this is the last administrator")
    await repo.set_admin(context.session, user.id, admin)
    await audit.record(
        context.session, context.principal, "user.admin", target=user.username, detail={"admin": admin}
    )
    await context.session.refresh(user)
    return user


async def set_disabled(context: Context, username: str, disabled: bool) -> User | Refusal:
    require_admin(context.principal)
    user = await repo.by_username(context.session, username.strip())
    if user is None:
        return Refusal("username", f"username: no user {username}", not_found=True)
    if disabled and user.id == context.principal.user_id:
        return Refusal("username", "username: an administrator cannot disable themselves")
    await repo.set_disabled(context.session, user.id, context.now if disabled else None)
    await audit.record(
        context.session,
        context.principal,
        "user.disable" if disabled else "user.enable",
        target=user.username,
    )
    await context.session.refresh(user)
    return user


async def _last_admin(context: Context, user: User) -> bool:
    return await repo.active_admin_ids(context.session) == [user.id]
