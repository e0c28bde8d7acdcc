"""Errors a user can cause. Each carries a stable `code`, exposed in GraphQL `extensions`; everything else is
masked and logged with a request id."""

from __future__ import annotations

from teslasync.auth.principal import Principal, Scope


class TeslaSyncError(Exception):
    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(TeslaSyncError):
    code = "UNAUTHENTICATED"


class Forbidden(TeslaSyncError):
    code = "FORBIDDEN"


class NotFound(TeslaSyncError):
    code = "NOT_FOUND"


class InternalError(TeslaSyncError):
    """Something on our side failed; the details are in the log under the request id in the message."""

    code = "INTERNAL"


def require_scope(principal: Principal, scope: Scope) -> None:
    if not principal.can(scope):
        raise Forbidden(f"this needs the '{scope.value}' scope")
