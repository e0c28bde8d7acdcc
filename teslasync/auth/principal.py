from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    READ = "read"
    COMMAND = "command"
    ADMIN = "admin"


# A broader scope includes the narrower ones.
IMPLIED: dict[Scope, frozenset[Scope]] = {
    Scope.READ: frozenset({Scope.READ}),
    Scope.COMMAND: frozenset({Scope.READ, Scope.COMMAND}),
    Scope.ADMIN: frozenset({Scope.READ, Scope.COMMAND, Scope.ADMIN}),
}


@dataclass(frozen=True)
class Principal:
    """Who is asking. `anonymous` exists only in demo mode, for requests from loopback."""

    kind: str
    name: str
    scopes: frozenset[Scope]
    token_id: int | None = None

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    @classmethod
    def nobody(cls) -> Principal:
        return cls(kind="anonymous", name="nobody", scopes=frozenset())

    @classmethod
    def demo_anonymous(cls) -> Principal:
        return cls(kind="anonymous", name="demo (loopback)", scopes=IMPLIED[Scope.ADMIN])


def effective_scopes(granted: list[str] | tuple[str, ...]) -> frozenset[Scope]:
    scopes: set[Scope] = set()
    for name in granted:
        scopes |= IMPLIED[Scope(name)]
    return frozenset(scopes)
