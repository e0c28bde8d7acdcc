"""Who is asking, and what they may do with which vehicle.

A principal is a user (from forward-auth), an API token acting for the user who made it, or in demo mode an
anonymous loopback caller. What it may do is the meet of two things: its credential's scopes (a token's
`read`/`command`/`admin`) and the user's standing (an administrator, or a role per shared vehicle).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType


class Scope(StrEnum):
    READ = "read"
    COMMAND = "command"
    ADMIN = "admin"


class Role(StrEnum):
    """A user's role for one shared vehicle. An owner also manages who else the vehicle is shared with."""

    OWNER = "owner"
    DRIVER = "driver"
    VIEWER = "viewer"


# A broader scope includes the narrower ones.
IMPLIED: dict[Scope, frozenset[Scope]] = {
    Scope.READ: frozenset({Scope.READ}),
    Scope.COMMAND: frozenset({Scope.READ, Scope.COMMAND}),
    Scope.ADMIN: frozenset({Scope.READ, Scope.COMMAND, Scope.ADMIN}),
}

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.OWNER: IMPLIED[Scope.COMMAND],
    Role.DRIVER: IMPLIED[Scope.COMMAND],
    Role.VIEWER: IMPLIED[Scope.READ],
}

USER_SCOPES = IMPLIED[Scope.COMMAND]  # what a signed-in user who is not an administrator can hold
_NO_ROLES: Mapping[int, Role] = MappingProxyType({})


@dataclass(frozen=True)
class Principal:
    kind: str  # "user", "token" or "anonymous"
    name: str
    scopes: frozenset[Scope]
    token_id: int | None = None
    user_id: int | None = None
    is_admin: bool = False
    # vehicle id -> role, for users who are not administrators (administrators see every vehicle)
    roles: Mapping[int, Role] = field(default_factory=lambda: _NO_ROLES, compare=False, hash=False)
    address: str | None = field(default=None, compare=False, hash=False)

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def credential(self) -> str:
        """What authenticated this request: step-up is remembered per user *and* credential, so a code
        entered in the browser does not also unlock a token."""
        if self.token_id is not None:
            return f"token:{self.token_id}"
        return self.kind

    @property
    def key(self) -> str:
        """Who this is for budgets and idempotency keys: the token, else the user, else the address."""
        if self.token_id is not None:
            return f"token:{self.token_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"address:{self.address or '?'}"

    def role_for(self, vehicle_id: int) -> Role | None:
        if self.is_admin:
            return Role.OWNER
        return self.roles.get(vehicle_id)

    def may(self, scope: Scope, vehicle_id: int) -> bool:
        """Whether this principal may act with `scope` on the vehicle: its credential allows it and its role
        for the vehicle does."""
        role = self.role_for(vehicle_id)
        return role is not None and self.can(scope) and scope in ROLE_SCOPES[role]

    def visible(self, vehicle_ids: Iterable[int]) -> list[int]:
        return [vid for vid in vehicle_ids if self.role_for(vid) is not None]

    @property
    def vehicle_filter(self) -> frozenset[int] | None:
        """The vehicle ids this principal may see, or None for every vehicle."""
        return None if self.is_admin else frozenset(self.roles)

    def with_address(self, address: str | None) -> Principal:
        return replace(self, address=address)

    @classmethod
    def nobody(cls) -> Principal:
        return cls(kind="anonymous", name="nobody", scopes=frozenset())

    @classmethod
    def demo_anonymous(cls) -> Principal:
        return cls(kind="anonymous", name="demo (loopback)", scopes=IMPLIED[Scope.ADMIN], is_admin=True)


def effective_scopes(granted: Iterable[str]) -> frozenset[Scope]:
    scopes: set[Scope] = set()
    for name in granted:
        scopes |= IMPLIED[Scope(name)]
    return frozenset(scopes)


def user_scopes(is_admin: bool) -> frozenset[Scope]:
    return IMPLIED[Scope.ADMIN] if is_admin else USER_SCOPES
