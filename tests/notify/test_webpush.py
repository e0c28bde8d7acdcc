"""Web Push: RFC 8291's own example, and pushes a fake push service accepts (VAPID verified) and the
subscribing browser decrypts (with http_ece, an independent implementation) to the expected JSON."""

from __future__ import annotations

import base64

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from teslasync.notify.channels import ChannelKind, DeliveryFailed, DestinationGone
from teslasync.notify.channels.webpush import encrypt, generate_vapid_keys, load_vapid_key, public_bytes
from tests.notify.conftest import VAPID_PRIVATE, VIN, channel, make_event
from tests.notify.fakes import FakeProviders, unb64url


def test_the_rfc_8291_example_encrypts_to_the_published_message() -> None:
    """RFC 8291 section 5 / appendix A: fixed sender key and salt give exactly the RFC's ciphertext."""
    sender = ec.derive_private_key(
        int.from_bytes(unb64url("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"), "big"), ec.SECP256R1()
    )
    message = encrypt(
        b"When I grow up, I want to be a watermelon",
        unb64url("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
        unb64url("BTBZMqHH6r4Tts7J_aSIgg"),
        salt=unb64url("DGv6ra1nlYgDCS1FRnbzlw"),
        sender_key=sender,
    )
    assert message == unb64url(
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK"
        "6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
    )


def test_generated_vapid_keys_are_a_p256_pair() -> None:
    private, public = generate_vapid_keys()
    assert len(unb64url(private)) == 32 and "=" not in private + public
    assert unb64url(public) == public_bytes(load_vapid_key(private).public_key())
    assert generate_vapid_keys()[0] != private


async def test_a_push_the_browser_decrypts(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    event = make_event()
    detail = await channel(ChannelKind.WEBPUSH, fake, http).send(event)
    assert detail == "HTTP 201"
    (sent,) = fake.delivered_to("push")
    assert sent.seen["payload"] == {
        "title": "Charging complete",
        "body": "Model 3 reached 80 % (402 km).",
        "kind": "charge_complete",
        "vin": VIN,
        "at": "2025-06-01T21:30:00+00:00",
        "tag": event.dedup_key,
        "data": {"batteryLevel": 80},
    }
    assert sent.headers["ttl"] == "86400" and sent.headers["urgency"] == "normal"
    assert sent.headers["content-encoding"] == "aes128gcm"
    assert len(sent.headers["topic"]) <= 32


async def test_two_pushes_of_one_event_share_a_topic_but_not_a_key(
    fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    pusher = channel(ChannelKind.WEBPUSH, fake, http)
    await pusher.send(make_event())
    await pusher.send(make_event())
    first, second = fake.delivered_to("push")
    assert first.headers["topic"] == second.headers["topic"]
    assert first.raw[:16] != second.raw[:16]  # a fresh salt (and sender key) for every message


async def test_a_big_event_is_cut_to_what_push_services_take(
    fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    event = make_event(body="é" * 5000, data={"trace": "x" * 5000})
    await channel(ChannelKind.WEBPUSH, fake, http).send(event)
    (sent,) = fake.delivered_to("push")
    assert sent.seen["size"] <= 4096
    assert "data" not in sent.seen["payload"]
    assert sent.seen["payload"]["body"].startswith("éé") and sent.seen["payload"]["body"].endswith("…")


async def test_a_pem_vapid_key_works_too(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    pem = (
        load_vapid_key(VAPID_PRIVATE)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    await channel(ChannelKind.WEBPUSH, fake, http, vapid_private_key=pem).send(make_event())
    assert len(fake.delivered_to("push")) == 1


async def test_an_unsubscribed_browser_is_gone(fake: FakeProviders, http: httpx.AsyncClient) -> None:
    pusher = channel(ChannelKind.WEBPUSH, fake, http)
    fake.subscriptions.clear()
    with pytest.raises(DestinationGone) as failed:
        await pusher.send(make_event())
    assert not failed.value.retryable
    assert "HTTP 410" in failed.value.message and "no longer exists" in failed.value.message


async def test_a_key_the_browser_did_not_subscribe_with_is_refused(
    fake: FakeProviders, http: httpx.AsyncClient
) -> None:
    other, _ = generate_vapid_keys()
    with pytest.raises(DeliveryFailed) as failed:
        await channel(ChannelKind.WEBPUSH, fake, http, vapid_private_key=other).send(make_event())
    assert not failed.value.retryable and "HTTP 403" in failed.value.message
    assert other not in failed.value.message
    assert fake.delivered == []


def test_subscription_keys_in_standard_base64_are_accepted() -> None:
    from teslasync.notify.channels.webpush import b64url_decode

    raw = bytes(range(200, 216))
    assert b64url_decode(base64.b64encode(raw).decode()) == raw
    assert b64url_decode(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
