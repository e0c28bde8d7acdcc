"""One fake provider server for the folder's tests (reset before each), a shared HTTP client, and the raw
settings of a working channel of each kind pointed at the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from teslasync.notify.channels import Channel, ChannelKind, build_channel, parse_config
from teslasync.notify.channels.webpush import generate_vapid_keys
from teslasync.notify.events import Event, EventKind
from tests.notify.fakes import (
    DISCORD_TOKEN,
    MATRIX_ROOM,
    MATRIX_TOKEN,
    SLACK_SECRET,
    TELEGRAM_CHAT,
    TELEGRAM_TOKEN,
    TWILIO_NUMBER,
    TWILIO_SID,
    TWILIO_TOKEN,
    WEBHOOK_SECRET,
    FakeProviders,
    fake_providers,
)

VIN = "5YJ3E7EB7KF000001"
VAPID_PRIVATE, VAPID_PUBLIC = generate_vapid_keys()
HTTP_KINDS = [k for k in ChannelKind if k is not ChannelKind.EMAIL]
PROVIDER = {
    ChannelKind.SMS: "twilio",
    ChannelKind.SLACK: "slack",
    ChannelKind.DISCORD: "discord",
    ChannelKind.TELEGRAM: "telegram",
    ChannelKind.MATRIX: "matrix",
    ChannelKind.WEBPUSH: "push",
    ChannelKind.WEBHOOK: "webhook",
}
SECRET = {
    ChannelKind.SMS: TWILIO_TOKEN,
    ChannelKind.SLACK: SLACK_SECRET,
    ChannelKind.DISCORD: DISCORD_TOKEN,
    ChannelKind.TELEGRAM: TELEGRAM_TOKEN,
    ChannelKind.MATRIX: MATRIX_TOKEN,
    ChannelKind.WEBPUSH: VAPID_PRIVATE,
    ChannelKind.WEBHOOK: WEBHOOK_SECRET,
}


def make_event(**overrides: Any) -> Event:
    fields: dict[str, Any] = {
        "kind": EventKind.CHARGE_COMPLETE,
        "vin": VIN,
        "at": datetime(2025, 6, 1, 21, 30, tzinfo=UTC),
        "title": "Charging complete",
        "body": "Model 3 reached 80 % (402 km).",
        "dedup_key": f"charge_complete:{VIN}:2025-06-01T21:30",
        "data": {"batteryLevel": 80},
    }
    return Event(**{**fields, **overrides})


def raw_config(kind: ChannelKind, fake: FakeProviders) -> dict[str, Any]:
    """Working settings of a `kind` channel that delivers to the fake (web push: a new subscription)."""
    base = fake.base_url
    match kind:
        case ChannelKind.SMS:
            return {
                "account_sid": TWILIO_SID,
                "auth_token": TWILIO_TOKEN,
                "from_number": TWILIO_NUMBER,
                "to_number": "+4915123456789",
                "base_url": base,
            }
        case ChannelKind.SLACK:
            return {"webhook_url": fake.slack_url}
        case ChannelKind.DISCORD:
            return {"webhook_url": fake.discord_url}
        case ChannelKind.TELEGRAM:
            return {"bot_token": TELEGRAM_TOKEN, "chat_id": TELEGRAM_CHAT, "base_url": base}
        case ChannelKind.MATRIX:
            return {"homeserver_url": base, "access_token": MATRIX_TOKEN, "room_id": MATRIX_ROOM}
        case ChannelKind.WEBPUSH:
            subscription = fake.subscribe(VAPID_PUBLIC)
            return {
                "endpoint": subscription["endpoint"],
                **subscription["keys"],
                "vapid_private_key": VAPID_PRIVATE,
                "vapid_subject": "mailto:owner@example.org",
            }
        case ChannelKind.WEBHOOK:
            return {"url": fake.webhook_url, "secret": WEBHOOK_SECRET}
    raise AssertionError(kind)


def channel(kind: ChannelKind, fake: FakeProviders, http: httpx.AsyncClient, **overrides: Any) -> Channel:
    return build_channel(kind, parse_config(kind, {**raw_config(kind, fake), **overrides}), http)


@pytest.fixture(scope="session")
async def served_providers() -> AsyncIterator[FakeProviders]:
    async with fake_providers() as fake:
        yield fake


@pytest.fixture
def fake(served_providers: FakeProviders) -> FakeProviders:
    served_providers.reset()
    return served_providers


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client
