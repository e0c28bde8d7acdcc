"""What the API needs to keep people safe, built once per process from the settings: the keyring for secrets
at rest, the step-up policy, and the rate limiter with its limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from teslasync.auth.ratelimit import Limit, MemoryRateLimiter, RateLimiter, limiter_for
from teslasync.auth.secrets import Keyring, default_key_file
from teslasync.config import Settings, StepUpMode

# A burst of a sixth of the minute's budget (at least 3: two taps in a row are not abuse): a page that
# fires a dozen queries at once is fine, a loop is not.
BURST_SHARE = 6
MIN_BURST = 3


def _limit(per_minute: int) -> Limit:
    return Limit(per_minute=per_minute, burst=max(MIN_BURST, per_minute // BURST_SHARE))


@dataclass(frozen=True)
class RateLimits:
    query: Limit = field(default_factory=lambda: _limit(600))
    mutation: Limit = field(default_factory=lambda: _limit(60))
    command: Limit = field(default_factory=lambda: _limit(10))
    # TOTP and recovery codes: a 6-digit code must not be guessable by trying
    login: Limit = field(default_factory=lambda: Limit(per_minute=10, burst=5))

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(
            query=_limit(settings.rate_limit_queries_per_minute),
            mutation=_limit(settings.rate_limit_mutations_per_minute),
            command=_limit(settings.rate_limit_commands_per_minute),
            login=Limit(per_minute=settings.rate_limit_logins_per_minute, burst=5),
        )


@dataclass(frozen=True)
class StepUpPolicy:
    required: bool = True
    window: timedelta = timedelta(minutes=5)


class KeyringSource:
    """The keyring, read again whenever the key file changes: after `teslasync keys rotate` a running
    process decrypts envelopes under the new key without a restart."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = default_key_file(settings)
        self._stamp: tuple[int, int] | None = None
        self._keyring: Keyring | None = None

    def __call__(self) -> Keyring:
        stamp = self._file_stamp()
        if self._keyring is None or stamp != self._stamp:
            self._keyring = Keyring.from_settings(self.settings)
            self._stamp = stamp
        return self._keyring

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return None
        return status.st_mtime_ns, status.st_size


@dataclass
class Security:
    keys: Callable[[], Keyring]
    step_up: StepUpPolicy = field(default_factory=StepUpPolicy)
    limiter: RateLimiter = field(default_factory=MemoryRateLimiter)
    limits: RateLimits = field(default_factory=RateLimits)

    @classmethod
    def from_settings(cls, settings: Settings) -> Security:
        redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
        return cls(
            keys=KeyringSource(settings),
            step_up=StepUpPolicy(
                required=settings.step_up is StepUpMode.TOTP,
                window=timedelta(seconds=settings.step_up_window_s),
            ),
            limiter=limiter_for(redis_url),
            limits=RateLimits.from_settings(settings),
        )

    @property
    def keyring(self) -> Keyring:
        return self.keys()
