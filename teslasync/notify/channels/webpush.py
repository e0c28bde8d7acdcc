"""Web Push: a notification to a browser or installed PWA through its vendor's push service.

The payload is encrypted for the subscription (RFC 8291: ECDH with the browser's `p256dh` key, HKDF with
its `auth` secret, one AES-128-GCM record, `Content-Encoding: aes128gcm`), so the push service cannot read
it, and the request is signed with our VAPID key (RFC 8292: an ES256 JWT for the push service's origin), so
the service only accepts pushes from the key the browser subscribed with.

Both are done here with `cryptography` rather than with `http-ece` and `py-vapid`: each is a few lines over
primitives the project already depends on, the code is typed, and RFC 8291's own example is a test vector.

The service worker receives JSON `{"title", "body", "kind", "vin", "at", "tag", "data"}` (`tag` is the
dedup key, for `showNotification`'s coalescing); `data` is dropped and then the body shortened when the
whole would pass the 4 KiB that push services accept. 404 and 410 mean the subscription is gone
(`DestinationGone`): the browser unsubscribed or it expired, and it will not come back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import struct
import time
from typing import ClassVar

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import Field, SecretStr, field_validator

from teslasync.notify.channels.base import (
    Channel,
    ChannelConfig,
    ChannelKind,
    origin,
    shorten,
    url_secret_parts,
)
from teslasync.notify.channels.http import deliver
from teslasync.notify.events import Event, EventKind

RECORD_SIZE = 4096
MAX_PAYLOAD = 4096  # what push services accept: the header (86 bytes), the record and its 16-byte tag
MAX_PLAINTEXT = MAX_PAYLOAD - 86 - 16 - 1  # 1: the last-record delimiter
MAX_TITLE = 256
ELLIPSIS = "…".encode()
JWT_LIFETIME_S = 12 * 3600  # RFC 8292 allows up to 24 hours
MAX_TTL_S = 28 * 24 * 3600
GONE = frozenset({404, 410})
HIGH_URGENCY = frozenset(
    {
        EventKind.SENTRY_ALERT,
        EventKind.LEFT_UNLOCKED,
        EventKind.DOOR_OPEN_PARKED,
        EventKind.WINDOW_OPEN_PARKED,
        EventKind.VEHICLE_ALERT,
        EventKind.CHARGE_STOPPED_UNEXPECTEDLY,
    }
)
_MAILTO = re.compile(r"mailto:[^@\s]+@[^@\s]+")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; standard base64 too, as some subscription JSON has it."""
    normal = text.strip().translate(str.maketrans("-_", "+/"))
    try:
        return base64.b64decode(normal + "=" * (-len(normal) % 4), validate=True)
    except binascii.Error:
        raise ValueError("is not base64url") from None


def load_vapid_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM, from base64url of the raw 32-byte scalar (what `generate_vapid_keys` and
    most web-push tools print) or from base64url DER (py-vapid's form)."""
    try:
        if text.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError):
        raise ValueError("is not a P-256 private key (PEM, or base64url of the 32-byte key)") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("must be a P-256 (prime256v1) EC key")
    return key


def public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def generate_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair, (private, public), both base64url: the private one goes in each Web Push
    channel's `vapid_private_key`, the public one is the browser's `applicationServerKey`."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big")), b64url(
        public_bytes(key.public_key())
    )


class WebPushConfig(ChannelConfig):
    kind: ClassVar[ChannelKind] = ChannelKind.WEBPUSH
    url_fields: ClassVar[tuple[str, ...]] = ("endpoint",)

    endpoint: str
    p256dh: str
    auth: SecretStr  # the subscription's encryption secret: stored encrypted, never shown back
    vapid_private_key: SecretStr
    vapid_subject: str
    ttl_s: int = Field(default=24 * 3600, ge=0, le=MAX_TTL_S)

    @field_validator("p256dh")
    @classmethod
    def _p256dh(cls, value: str) -> str:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(value))
        except ValueError:
            raise ValueError("is not a P-256 public key (the subscription's keys.p256dh)") from None
        return value

    @field_validator("auth")
    @classmethod
    def _auth(cls, value: SecretStr) -> SecretStr:
        if len(b64url_decode(value.get_secret_value())) != 16:
            raise ValueError("must be the subscription's 16-byte keys.auth, base64url")
        return value

    @field_validator("vapid_private_key")
    @classmethod
    def _vapid_key(cls, value: SecretStr) -> SecretStr:
        load_vapid_key(value.get_secret_value())
        return value

    @field_validator("vapid_subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if not (_MAILTO.fullmatch(value) or value.startswith("https://")):
            raise ValueError(
                "must be a mailto: address or an https: URL where the push service can reach you"
            )
        return value


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def encrypt(
    plaintext: bytes,
    ua_public: bytes,
    auth_secret: bytes,
    *,
    salt: bytes | None = None,
    sender_key: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """RFC 8291 aes128gcm: one record, for the user agent's public key and auth secret. `salt` and
    `sender_key` are fresh for every message unless given (the RFC's example fixes them)."""
    salt = salt if salt is not None else os.urandom(16)
    sender_key = sender_key or ec.generate_private_key(ec.SECP256R1())
    sender_public = public_bytes(sender_key.public_key())
    ua_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public)
    shared = sender_key.exchange(ec.ECDH(), ua_key)
    ikm = _hkdf(auth_secret, shared, b"WebPush: info\0" + ua_public + sender_public, 32)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\0", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\0", 12)
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    return salt + struct.pack("!IB", RECORD_SIZE, len(sender_public)) + sender_public + record


def vapid_authorization(key: ec.EllipticCurvePrivateKey, endpoint: str, subject: str, now: float) -> str:
    """The RFC 8292 `Authorization` header: an ES256 JWT for the endpoint's origin, and our public key."""
    header = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}, separators=(",", ":")).encode())
    claims = {"aud": origin(endpoint), "exp": int(now) + JWT_LIFETIME_S, "sub": subject}
    signing_input = f"{header}.{b64url(json.dumps(claims, separators=(',', ':')).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    token = f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
    return f"vapid t={token}, k={b64url(public_bytes(key.public_key()))}"


def payload(event: Event) -> bytes:
    """The notification JSON, made to fit: without `data` if need be, then with a shorter body."""
    document: dict[str, object] = {
        "title": shorten(event.title, MAX_TITLE),
        "body": event.body,
        "kind": event.kind.value,
        "vin": event.vin,
        "at": event.at.isoformat(),
        "tag": event.dedup_key,
        "data": dict(event.data),
    }
    encoded = _encode(document)
    if len(encoded) > MAX_PLAINTEXT:
        document.pop("data")
        encoded = _encode(document)
    body = event.body.encode()
    while len(encoded) > MAX_PLAINTEXT and body:
        body = body[: max(len(body) - (len(encoded) - MAX_PLAINTEXT) - len(ELLIPSIS), 0)]
        document["body"] = body.decode(errors="ignore") + "…"
        encoded = _encode(document)
    return encoded


def _encode(document: dict[str, object]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def topic(dedup_key: str) -> str:
    """The `Topic` header: a pending message with the same topic is replaced, not delivered twice."""
    return b64url(hashlib.sha256(dedup_key.encode()).digest())[:32]


class WebPushChannel(Channel):
    kind: ClassVar[ChannelKind] = ChannelKind.WEBPUSH

    def __init__(self, config: WebPushConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._key = load_vapid_key(config.vapid_private_key.get_secret_value())
        self._ua_public = b64url_decode(config.p256dh)
        self._auth = b64url_decode(config.auth.get_secret_value())
        self._secrets = [config.vapid_private_key.get_secret_value(), *url_secret_parts(config.endpoint)]

    async def send(self, event: Event) -> str:
        config = self.config
        headers = {
            "Authorization": vapid_authorization(
                self._key, config.endpoint, config.vapid_subject, time.time()
            ),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(config.ttl_s),
            "Urgency": "high" if event.kind in HIGH_URGENCY else "normal",
            "Topic": topic(event.dedup_key),
        }
        body = encrypt(payload(event), self._ua_public, self._auth)
        request = self._http.build_request("POST", config.endpoint, content=body, headers=headers)
        response = await deliver(
            self._http, request, provider="the push service", secrets=self._secrets, gone=GONE
        )
        return f"HTTP {response.status_code}"
