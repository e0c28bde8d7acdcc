"""Each HTTP channel against a fake of its provider: what arrives is what the provider checks, and every
failure is reported as retryable or not, with the provider's words and without the secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from teslasync.notify.channels import (
    ChannelKind,
    DeliveryFailed,
    DestinationGone,
    build_channel,
    parse_config,
)
from teslasync.notify.channels.webhook import verify_signature
from teslasync.notify.events import EventKind
from tests.fleet.fake_fleet import write_tls_files
from tests.live_server import serve
from tests.notify.conftest import HTTP_KINDS, PROVIDER, SECRET, VAPID_PUBLIC, channel, make_event
from tests.notify.fakes import (
    DISCORD_ID,
    MATRIX_ROOM,
    TELEGRAM_CHAT,
    TWILIO_NUMBER,
    WEBHOOK_SECRET,
    FakeProviders,
)
from tests.services import free_port

# --- deliveries ---------------------------------------------------------------------------------------


async def test_sms_posts_the_form_with_basic_auth(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    detail = await channel(ChannelKind.SMS, fake, http).send(make_event())
    assert detail.startswith("message SM")
    (sent,) = fake.delivered_to("twilio")
    assert sent.seen == {
        "To": "+4915123456789",
        "From": TWILIO_NUMBER,
        "Body": "Charging complete\nModel 3 reached 80 % (402 km).",
    }


async def test_a_long_sms_is_cut_to_twilios_limit(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    await channel(ChannelKind.SMS, fake, http).send(make_event(body="x" * 5000))
    (sent,) = fake.delivered_to("twilio")
    assert len(sent.seen["Body"]) == 1600 and sent.seen["Body"].endswith("…")


async def test_slack_gets_a_bold_title_and_escaped_text(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    await channel(ChannelKind.SLACK, fake, http).send(make_event(body="<!channel> doors & windows"))
    (sent,) = fake.delivered_to("slack")
    assert sent.seen["text"] == "*Charging complete*\n&lt;!channel&gt; doors &amp; windows"
    assert sent.seen["blocks"][0]["text"] == {"type": "mrkdwn", "text": sent.seen["text"]}


async def test_discord_gets_an_embed_and_mentions_nobody(
    fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    detail = await channel(ChannelKind.DISCORD, fake, http).send(make_event())
    (sent,) = fake.delivered_to("discord")
    assert detail.startswith("message 1")
    assert sent.seen["content"] == "Charging complete"
    assert sent.seen["embeds"] == [
        {
            "title": "Charging complete",
            "description": "Model 3 reached 80 % (402 km).",
            "timestamp": "2025-06-01T21:30:00+00:00",
        }
    ]
    assert sent.seen["allowed_mentions"] == {"parse": []}


async def test_telegram_html_parses_whatever_the_event_says(
    fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    event = make_event(title="Tyres <low>", body="front left < 2.5 bar & falling")
    detail = await channel(ChannelKind.TELEGRAM, fake, http).send(event)
    (sent,) = fake.delivered_to("telegram")
    assert detail.startswith("message ")
    assert sent.seen["chat_id"] == TELEGRAM_CHAT
    assert sent.seen["shown"] == "Tyres <low>\nfront left < 2.5 bar & falling"


async def test_matrix_sends_once_per_event_however_often_retried(
    fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    matrix = channel(ChannelKind.MATRIX, fake, http)
    first = await matrix.send(make_event())
    again = await matrix.send(make_event())
    other = await matrix.send(make_event(dedup_key="another"))
    assert first == again != other
    sent = fake.delivered_to("matrix")
    assert len(sent) == 2
    assert sent[0].seen["room"] == MATRIX_ROOM and sent[0].seen["event_type"] == "m.room.message"
    assert sent[0].seen["content"]["msgtype"] == "m.text"
    assert sent[0].seen["content"]["body"] == "Charging complete\nModel 3 reached 80 % (402 km)."


async def test_a_matrix_room_the_bot_left_is_refused(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    fake.matrix_rooms.clear()
    with pytest.raises(DeliveryFailed) as failed:
        await channel(ChannelKind.MATRIX, fake, http).send(make_event())
    assert not failed.value.retryable
    assert "HTTP 403" in failed.value.message and "M_FORBIDDEN" in failed.value.message


async def test_the_webhook_is_signed_over_timestamp_and_body(
    fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    event = make_event()
    detail = await channel(ChannelKind.WEBHOOK, fake, http).send(event)
    (sent,) = fake.delivered_to("webhook")
    delivery_id = sent.seen.pop("deliveryId")
    assert sent.seen == event.as_json()
    assert detail == f"HTTP 200, delivery {delivery_id}"
    assert sent.headers["x-teslasync-event"] == "charge_complete"
    assert sent.headers["x-teslasync-delivery"] == delivery_id
    timestamp, signature = sent.headers["x-teslasync-timestamp"], sent.headers["x-teslasync-signature"]
    assert verify_signature(WEBHOOK_SECRET, timestamp, sent.raw, signature)
    assert not verify_signature(WEBHOOK_SECRET, timestamp, sent.raw + b" ", signature)
    assert not verify_signature("another-secret-of-16+", timestamp, sent.raw, signature)
    assert not verify_signature(WEBHOOK_SECRET, timestamp, sent.raw, signature, now=int(timestamp) + 301)
    assert not verify_signature(WEBHOOK_SECRET, "soon", sent.raw, signature)


# --- failures -----------------------------------------------------------------------------------------

WRONG_CREDENTIALS: dict[ChannelKind, dict[str, Any]] = {
    ChannelKind.SMS: {"auth_token": "wrong-twilio-token-abcdef"},
    ChannelKind.TELEGRAM: {"bot_token": "123456789:AAwrongwrongwrongwrongwrongwrong"},
    ChannelKind.MATRIX: {"access_token": "syt_wrong_matrix_token_abcdef"},
    ChannelKind.WEBHOOK: {"secret": "wrong-webhook-secret-abcdef"},
}


@pytest.mark.parametrize("kind", HTTP_KINDS)
async def test_a_503_is_retryable(kind: ChannelKind, fake: FakeProviders, http: httpx.AsyncClient) -> None:
    sender = channel(kind, fake, http)
    fake.fail(PROVIDER[kind], 503, body="upstream overloaded")
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(make_event())
    assert failed.value.retryable
    assert "HTTP 503" in failed.value.message and "upstream overloaded" in failed.value.message
    assert fake.delivered == []


@pytest.mark.parametrize("kind", HTTP_KINDS)
async def test_a_400_is_permanent_and_never_shows_the_secret(
    kind: ChannelKind, fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    """The provider's error echoes the secret, as some echo the request URL: the message keeps the words."""
    sender = channel(kind, fake, http)
    secret = SECRET[kind]
    echo = f"malformed request to /bot{secret}/x?token={secret}"
    fake.fail(
        PROVIDER[kind],
        400,
        body={"message": echo, "description": echo, "errcode": "M_BAD_JSON", "error": echo},
    )
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(make_event())
    assert not failed.value.retryable
    assert "HTTP 400" in failed.value.message and "malformed request" in failed.value.message
    assert secret not in failed.value.message and secret not in str(failed.value)


@pytest.mark.parametrize("kind", sorted(WRONG_CREDENTIALS))
async def test_a_refused_credential_is_permanent(
    kind: ChannelKind, fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    wrong = WRONG_CREDENTIALS[kind]
    with pytest.raises(DeliveryFailed) as failed:
        await channel(kind, fake, http, **wrong).send(make_event())
    assert not failed.value.retryable
    assert "HTTP 401" in failed.value.message
    assert next(iter(wrong.values())) not in failed.value.message


async def test_a_wrong_slack_secret_is_refused_and_masked(
    fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    url = fake.slack_url.replace(SECRET[ChannelKind.SLACK], "WrongSlackSecret987654")
    with pytest.raises(DeliveryFailed) as failed:
        await channel(ChannelKind.SLACK, fake, http, webhook_url=url).send(make_event())
    assert not failed.value.retryable and "HTTP 403" in failed.value.message
    assert "invalid_token" in failed.value.message and "WrongSlackSecret987654" not in failed.value.message


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        (ChannelKind.SLACK, "/services/T0OTHER/B0SYNC/XsLaCkSeCrEtToKeN0123456"),
        (ChannelKind.DISCORD, "/api/webhooks/999/dIsCoRdToKeN-abcdefghijklmnopqrstuvwxyz0123456789"),
    ],
)
async def test_a_deleted_webhook_is_gone(
    kind: ChannelKind, url: str, fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    with pytest.raises(DestinationGone) as failed:
        await channel(kind, fake, http, webhook_url=fake.base_url + url).send(make_event())
    assert not failed.value.retryable and "HTTP 404" in failed.value.message
    assert (
        "XsLaCkSeCrEtToKeN0123456" not in failed.value.message and "dIsCoRdToKeN" not in failed.value.message
    )


RATE_LIMITED: dict[ChannelKind, dict[str, Any]] = {
    ChannelKind.SMS: {
        "body": {"code": 20429, "message": "Too Many Requests", "status": 429},
        "headers": {"Retry-After": "7"},
    },
    ChannelKind.SLACK: {"body": "rate_limited", "headers": {"Retry-After": "7"}},
    ChannelKind.DISCORD: {
        "body": {"message": "You are being rate limited.", "retry_after": 7.0, "global": False},
        "headers": {"Retry-After": "8"},  # rounded up; the body's figure is the precise one
    },
    ChannelKind.TELEGRAM: {
        "body": {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    },
    ChannelKind.MATRIX: {
        "body": {"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 7000}
    },
    ChannelKind.WEBPUSH: {
        "body": {"code": 429, "errno": 999, "message": "slow down"},
        "headers": {"Retry-After": "7"},
    },
    ChannelKind.WEBHOOK: {"body": "slow down", "headers": {"Retry-After": "7"}},
}


@pytest.mark.parametrize("kind", HTTP_KINDS)
async def test_a_429_is_retryable_after_the_providers_wait(
    kind: ChannelKind, fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    sender = channel(kind, fake, http)
    fake.fail(PROVIDER[kind], 429, **RATE_LIMITED[kind])
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(make_event())
    assert failed.value.retryable and failed.value.retry_after_s == 7.0
    assert "HTTP 429" in failed.value.message


async def test_a_slow_provider_is_retryable(fake: FakeProviders) -> None:
    fake.fail("webhook", 200, delay_s=1.0)
    async with httpx.AsyncClient(timeout=0.2) as impatient:
        with pytest.raises(DeliveryFailed) as failed:
            await channel(ChannelKind.WEBHOOK, fake, impatient).send(make_event())
    assert failed.value.retryable and "did not answer in time" in failed.value.message


async def test_an_unreachable_provider_is_retryable(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(DeliveryFailed) as failed:
        await channel(ChannelKind.TELEGRAM, fake, http, base_url=nowhere).send(make_event())
    assert failed.value.retryable and "could not reach Telegram" in failed.value.message


async def test_an_untrusted_certificate_is_permanent(tmp_path: Path, http: httpx.AsyncClient) -> None:
    tls = write_tls_files(tmp_path / "tls")
    app = Starlette(routes=[Route("/hook", PlainTextResponse, methods=["POST"])])
    async with serve(app, tls=(tls.cert_file, tls.key_file)) as port:
        config = parse_config("webhook", {"url": f"https://127.0.0.1:{port}/hook", "secret": WEBHOOK_SECRET})
        with pytest.raises(DeliveryFailed) as failed:
            await build_channel("webhook", config, http).send(make_event())
    assert not failed.value.retryable and "certificate is not trusted" in failed.value.message


async def test_a_redirect_is_not_followed(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    fake.fail("webhook", 301, headers={"Location": f"{fake.base_url}/hooks/elsewhere"})
    with pytest.raises(DeliveryFailed) as failed:
        await channel(ChannelKind.WEBHOOK, fake, http).send(make_event())
    assert not failed.value.retryable and "redirect" in failed.value.message
    assert fake.requests == [("webhook", "/hooks/receiver")]


async def test_discord_unknown_webhook_id_differs_from_a_wrong_token(
    fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    url = fake.discord_url.replace("dIsCoRdToKeN", "NotTheToken")
    with pytest.raises(DeliveryFailed) as failed:
        await channel(ChannelKind.DISCORD, fake, http, webhook_url=url).send(make_event())
    assert not isinstance(failed.value, DestinationGone)
    assert "HTTP 401" in failed.value.message and "Invalid Webhook Token" in failed.value.message
    assert DISCORD_ID not in failed.value.message


async def test_a_sentry_alert_is_an_urgent_push(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    await channel(ChannelKind.WEBPUSH, fake, http).send(make_event(kind=EventKind.SENTRY_ALERT))
    (sent,) = fake.delivered_to("push")
    assert sent.headers["urgency"] == "high"
    assert VAPID_PUBLIC in sent.headers["authorization"]
