"""What every channel shares: its kind, its strict configuration, how a failed delivery is reported.

A delivery either returns a short detail (a provider's message id, an HTTP status) or raises `DeliveryFailed`,
whose `retryable` tells the sender whether trying again later can help: a timeout, a dropped connection, a
5xx, 408 or 429 can; a refused credential, a bad address or any other 4xx cannot until the user changes the
configuration. Messages never carry a secret: providers echo URLs, and some tokens live in URLs.
"""

from __future__ import annotations

import ipaddress
from abc import ABC, abstractmethod
from collections.abc import Iterable
from enum import StrEnum
from typing import ClassVar, Self
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from teslasync.notify.events import Event

MASK = "********"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})
_MIN_SECRET_PART = 6  # shorter URL path segments (e.g. "api", "services") are not what makes a URL secret


class ChannelKind(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBPUSH = "webpush"
    WEBHOOK = "webhook"
    SLACK = "slack"
    DISCORD = "discord"
    TELEGRAM = "telegram"
    MATRIX = "matrix"


class ChannelConfigError(ValueError):
    """A channel configuration the user must fix; `field` names the first bad field ("" for the whole)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class DeliveryFailed(Exception):
    """A delivery that did not happen. `retry_after_s` is the provider's own hint (a 429's Retry-After)."""

    def __init__(self, message: str, *, retryable: bool, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class DestinationGone(DeliveryFailed):
    """The destination no longer exists (a Web Push subscription the browser dropped, a deleted webhook):
    sending again cannot work, so the caller may disable the channel."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class FieldProblem(ValueError):
    """A validation error of a whole-config check that still belongs to one field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ChannelConfig(BaseModel):
    """One channel's settings. Strict: a port is an integer, not "587"; an unknown field is an error, so a
    typo is reported instead of silently ignored. Secrets are `SecretStr`, masked in every repr.

    `url_fields` are checked by `check_url`, with the config's own `allow_insecure` where it has one."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, str_strip_whitespace=True)

    kind: ClassVar[ChannelKind]
    url_fields: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _check_urls(self) -> Self:
        allow_insecure = bool(getattr(self, "allow_insecure", False))
        for name in self.url_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            try:
                check_url(value, allow_insecure=allow_insecure)
            except ValueError as error:
                raise FieldProblem(name, str(error)) from None
        return self


class Channel(ABC):
    """Delivers events to one configured destination, over a shared `httpx.AsyncClient` where it uses HTTP."""

    kind: ClassVar[ChannelKind]

    @abstractmethod
    async def send(self, event: Event) -> str:
        """Deliver `event`; return a short detail of the delivery or raise `DeliveryFailed`."""


def is_loopback_host(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: str, *, allow_insecure: bool = False) -> str:
    """`value` if it is an absolute http(s) URL a channel may send to, else a ValueError saying why.

    https is required, as the request carries a token or a personal message; plain http only to a loopback
    host (a local relay, the tests) or when the configuration says `allow_insecure` (a LAN-only server)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises ValueError for a malformed port
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http(s) URL")
    if not parts.hostname:
        raise ValueError("must be an absolute URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials")
    if parts.fragment:
        raise ValueError("must not have a fragment")
    if parts.scheme == "http" and not (allow_insecure or is_loopback_host(parts.hostname)):
        raise ValueError("must use https (plain http only to a loopback host, or with allow_insecure)")
    return value


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def url_secret_parts(url: str) -> list[str]:
    """The pieces of a secret URL that may show up on their own in an error text: the URL, its path and
    every longer path segment (a webhook's id and token)."""
    path = urlsplit(url).path
    segments = [part for part in path.split("/") if len(part) >= _MIN_SECRET_PART]
    return [url, path, *segments] if path.strip("/") else [url]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (as is and URL-quoted) masked, on one line."""
    variants = {form for value in secrets if value for form in (value, quote(value, safe=""))}
    for secret in sorted(variants, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
