"""What can go wrong with Helix, each with a stable code a client can branch on. A feature degrades to
"unavailable" on any of these, never to an internal error."""

from __future__ import annotations

from teslasync.errors import TeslaSyncError


class HelixError(TeslaSyncError):
    code = "HELIX_UNAVAILABLE"


class HelixDisabled(HelixError):
    """Helix, or this feature, is off."""

    code = "HELIX_DISABLED"


class ProviderUnavailable(HelixError):
    """The provider could not be reached, or answered 5xx."""

    code = "HELIX_UNAVAILABLE"


class ProviderTimeout(HelixError):
    code = "HELIX_TIMEOUT"


class ProviderRateLimited(HelixError):
    """The provider said 429; `retry_after_s` when it said how long."""

    code = "HELIX_RATE_LIMITED"

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message, **({"retryAfter": retry_after_s} if retry_after_s is not None else {}))
        self.retry_after_s = retry_after_s


class ProviderRejected(HelixError):
    """The provider refused the request: a bad key, an unknown model, a request it cannot take."""

    code = "HELIX_PROVIDER_REJECTED"


class BadOutput(HelixError):
    """The model's answer is not what was asked for (structured output that does not parse or validate)."""

    code = "HELIX_BAD_OUTPUT"


class BudgetExceeded(HelixError):
    code = "HELIX_BUDGET_EXCEEDED"


class HelixRateLimited(HelixError):
    """Our own per-user, per-feature limit (not the provider's)."""

    code = "RATE_LIMITED"
