"""Errors a user can cause. Each carries a stable `code`, exposed in GraphQL `extensions`; everything else is
masked and logged with a request id."""

from __future__ import annotations

from teslasync.auth.principal import Principal, Scope


class TeslaSyncError(Exception):
    code = "BAD_REQUEST"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions  # more for the client beside the code, e.g. retryAfter


class Unauthenticated(TeslaSyncError):
    code = "UNAUTHENTICATED"


class Forbidden(TeslaSyncError):
    code = "FORBIDDEN"


class NotFound(TeslaSyncError):
    code = "NOT_FOUND"


class StepUpRequired(TeslaSyncError):
    """A sensitive operation needs a TOTP code verified in the last few minutes."""

    code = "STEP_UP_REQUIRED"


class TotpEnrolmentRequired(TeslaSyncError):
    """A sensitive operation needs step-up, and the user has no TOTP to step up with."""

    code = "TOTP_ENROLMENT_REQUIRED"


class RateLimited(TeslaSyncError):
    code = "RATE_LIMITED"


class InternalError(TeslaSyncError):
    """Something on our side failed; the details are in the log under the request id in the message."""

    code = "INTERNAL"


def require_scope(principal: Principal, scope: Scope) -> None:
    if not principal.can(scope):
        raise Forbidden(f"this needs the '{scope.value}' scope")
