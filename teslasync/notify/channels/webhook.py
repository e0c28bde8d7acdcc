"""Webhook: the event as JSON, POSTed to the user's own URL and signed, so the receiver can tell it is ours.

The body is `Event.as_json()` plus `"deliveryId"`, a fresh UUID per attempt (for logs on both sides; a
retried event keeps its `"dedupKey"`, which is what a receiver should drop repeats by). Headers:

- `X-TeslaSync-Timestamp`: Unix seconds when the request was signed;
- `X-TeslaSync-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with the channel's secret (UTF-8), of
  the timestamp, a `.` and the raw body: `HMAC(secret, f"{timestamp}.".encode() + body)`;
- `X-TeslaSync-Event`: the event kind; `X-TeslaSync-Delivery`: the delivery id.

A receiver recomputes the HMAC over the raw body bytes (before parsing the JSON), compares in constant time,
and refuses an old timestamp, which stops a captured request being replayed; `verify_signature` does all
three. Signing the timestamp with the body is what makes the freshness check worth anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

import httpx
from pydantic import SecretStr, field_validator

from teslasync import __version__
from teslasync.notify.channels.base import Channel, ChannelConfig, ChannelKind
from teslasync.notify.channels.http import deliver
from teslasync.notify.events import Event

SIGNATURE_HEADER = "X-TeslaSync-Signature"
TIMESTAMP_HEADER = "X-TeslaSync-Timestamp"
EVENT_HEADER = "X-TeslaSync-Event"
DELIVERY_HEADER = "X-TeslaSync-Delivery"
USER_AGENT = f"TeslaSync/{__version__} (notifications)"
DEFAULT_TOLERANCE_S = 300.0
MIN_SECRET_LENGTH = 16


class WebhookConfig(ChannelConfig):
    kind: ClassVar[ChannelKind] = ChannelKind.WEBHOOK
    url_fields: ClassVar[tuple[str, ...]] = ("url",)

    url: str
    secret: SecretStr
    allow_insecure: bool = False

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (a long random string)")
        return value


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-TeslaSync-Signature` value for a request signed at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    *,
    now: float | None = None,
) -> bool:
    """Whether a received request is genuine and fresh: `header` is its `X-TeslaSync-Signature`, `timestamp`
    its `X-TeslaSync-Timestamp`, `body` the raw bytes. False for a timestamp further than `tolerance_s` from
    now (either way: clocks drift)."""
    try:
        signed_at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - signed_at) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), header.strip().encode())


class WebhookChannel(Channel):
    kind: ClassVar[ChannelKind] = ChannelKind.WEBHOOK

    def __init__(self, config: WebhookConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        secret = config.secret.get_secret_value()
        # a receiver's URL may carry its own token in the query; keep it out of error messages too
        self._secrets = [secret, *(value for _, value in parse_qsl(urlsplit(config.url).query) if value)]

    async def send(self, event: Event) -> str:
        delivery_id = str(uuid.uuid4())
        document = {**event.as_json(), "deliveryId": delivery_id}
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.config.secret.get_secret_value(), timestamp, body),
            EVENT_HEADER: event.kind.value,
            DELIVERY_HEADER: delivery_id,
        }
        request = self._http.build_request("POST", self.config.url, content=body, headers=headers)
        response = await deliver(self._http, request, provider="the webhook receiver", secrets=self._secrets)
        return f"HTTP {response.status_code}, delivery {delivery_id}"
