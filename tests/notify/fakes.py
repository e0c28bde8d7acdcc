"""Fake notification providers, served over real HTTP on a loopback port; and a fake SMTP server.

    async with fake_providers() as fake:
        fake.base_url                                   # http://127.0.0.1:<port>
        fake.slack_url, fake.discord_url, fake.webhook_url
        subscription = fake.subscribe(application_server_key)   # a browser's PushSubscription JSON
        fake.delivered                                  # what each provider accepted, as it understood it

One server answers for every provider, each checking what the real one checks and answering its errors
in the provider's own shape:

- **Twilio** `POST /2010-04-01/Accounts/{sid}/Messages.json`: HTTP basic auth (account SID, auth token) or
  401 code 20003; form-encoded `To` (E.164, else 400 code 21211), `From` (the account's number, else 400
  code 21606), `Body` (at most 1600 characters, else 400 code 21617); 201 with the message `sid`.
- **Slack** `POST /services/T0TESLA/B0SYNC/{secret}`: 404 `no_service` for another path, 403 `invalid_token`
  for a wrong secret; a JSON body with `text` or `blocks` (400 `invalid_payload`, `no_text`); 200 `ok`.
- **Discord** `POST /api/webhooks/{id}/{token}[?wait=true]`: 404 `Unknown Webhook` (code 10015), 401
  `Invalid Webhook Token` (code 50027); content up to 2000 characters, embeds' title 256, description 4096,
  an ISO 8601 timestamp (400 code 50035); 200 with the message and its `id` when waited for, else 204.
- **Telegram** `POST /bot{token}/sendMessage`: 401 `Unauthorized`; JSON `chat_id` of a known chat (400
  `chat not found`); with `parse_mode: HTML` the text must parse with Telegram's tags only (400 `can't parse
  entities`); at most 4096 characters after parsing; `{"ok": true, "result": {"message_id", "text"}}`.
- **Matrix** `PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}`: `Authorization: Bearer` (401
  `M_MISSING_TOKEN`/`M_UNKNOWN_TOKEN`), a joined room (403 `M_FORBIDDEN`), `msgtype` and `body` strings (400
  `M_BAD_JSON`); a repeated transaction id answers the first event's id and posts nothing.
- **Web Push** `POST /push/{id}`: 410 for an unknown subscription; `TTL` (400), `Content-Encoding: aes128gcm`
  (415), at most 4096 bytes (413), a VAPID `Authorization` whose ES256 JWT verifies with its `k`, `k` the
  subscription's `applicationServerKey`, `aud` this origin, `exp` within 24 h, `sub` mailto:/https: (401 or
  403). The body is then decrypted as the browser would (with `http_ece`, an independent implementation)
  and must be JSON (400 otherwise); 201 with a `Location`.
- **Webhook receiver** `POST /hooks/receiver`: `X-TeslaSync-Signature` must be the HMAC-SHA256 of
  `timestamp.body` with `WEBHOOK_SECRET` and the timestamp within 5 minutes (401 otherwise); 200.

**Failure injection**: `fake.fail(provider, status, body=..., headers=..., count=1, delay_s=0)`: the next
`count` requests to that provider answer that (after `delay_s`), before anything is checked.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.live_server import serve

TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-auth-token-0f1e2d3c4b5a6978"
TWILIO_NUMBER = "+15005550006"
SLACK_SECRET = "XsLaCkSeCrEtToKeN0123456"
DISCORD_ID = "112233445566778899"
DISCORD_TOKEN = "dIsCoRdToKeN-abcdefghijklmnopqrstuvwxyz0123456789"
TELEGRAM_TOKEN = "123456789:AAHtElEgRaMsEcReTtOkEn_abcdefghijk"
TELEGRAM_CHAT = -1001234567890
MATRIX_TOKEN = "syt_Ym90_MaTrIxSeCrEtAcCeSsToKeN_0a1b2c"
MATRIX_USER = "@teslasync:localhost"
MATRIX_ROOM = "!TeslaRoom:localhost"
WEBHOOK_SECRET = "whsec-0123456789abcdefghij"
WEBHOOK_TOLERANCE_S = 300
TELEGRAM_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"})
PROVIDERS = ("twilio", "slack", "discord", "telegram", "matrix", "push", "webhook")


@dataclass
class Delivered:
    provider: str
    seen: dict[str, Any]  # what the provider understood: form fields, JSON, the decrypted push payload
    headers: dict[str, str]
    raw: bytes


@dataclass
class Failure:
    provider: str
    remaining: int
    status: int
    body: bytes
    headers: dict[str, str]
    delay_s: float


@dataclass
class PushSubscription:
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: bytes


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json(status: int, document: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(document, status_code=status, headers=headers)


class _TelegramHtml(HTMLParser):
    """Telegram's HTML mode: only its tags, balanced; the text is what the user sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text = ""
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.error = self.error or f'unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.error = self.error or f'can\'t find end tag corresponding to start tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text += data


@dataclass
class FakeProviders:
    base_url: str = ""
    delivered: list[Delivered] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (provider, path) of every request
    failures: list[Failure] = field(default_factory=list)
    subscriptions: dict[str, PushSubscription] = field(default_factory=dict)
    matrix_rooms: set[str] = field(default_factory=lambda: {MATRIX_ROOM})
    matrix_transactions: dict[str, str] = field(default_factory=dict)  # txn id -> event id
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- test controls ---------------------------------------------------------------------------------

    @property
    def slack_url(self) -> str:
        return f"{self.base_url}/services/T0TESLA/B0SYNC/{SLACK_SECRET}"

    @property
    def discord_url(self) -> str:
        return f"{self.base_url}/api/webhooks/{DISCORD_ID}/{DISCORD_TOKEN}"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/hooks/receiver"

    def subscribe(self, application_server_key: str) -> dict[str, Any]:
        """What a browser's `pushManager.subscribe({applicationServerKey})` gives, as `toJSON()`."""
        number = next(self._ids)
        key = ec.generate_private_key(ec.SECP256R1())
        auth = hashlib.sha256(f"auth-{number}".encode()).digest()[:16]
        endpoint = f"{self.base_url}/push/sub{number:04d}"
        self.subscriptions[endpoint.rsplit("/", 1)[1]] = PushSubscription(
            endpoint, key, auth, unb64url(application_server_key)
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}

    def fail(
        self,
        provider: str,
        status: int,
        *,
        body: bytes | str | dict[str, Any] = b"",
        headers: dict[str, str] | None = None,
        count: int = 1,
        delay_s: float = 0.0,
    ) -> None:
        assert provider in PROVIDERS, provider
        raw = (
            json.dumps(body).encode()
            if isinstance(body, dict)
            else body.encode()
            if isinstance(body, str)
            else body
        )
        content_type = {"content-type": "application/json"} if isinstance(body, dict) else {}
        self.failures.append(
            Failure(provider, count, status, raw, {**content_type, **(headers or {})}, delay_s)
        )

    def reset(self) -> None:
        self.delivered.clear()
        self.requests.clear()
        self.failures.clear()
        self.subscriptions.clear()
        self.matrix_rooms = {MATRIX_ROOM}
        self.matrix_transactions.clear()

    def delivered_to(self, provider: str) -> list[Delivered]:
        return [d for d in self.delivered if d.provider == provider]

    # --- serving ---------------------------------------------------------------------------------------

    def asgi(self) -> Starlette:
        def route(
            path: str, provider: str, handler: Callable[[Request], Awaitable[Response]], method: str
        ) -> Route:
            async def endpoint(request: Request) -> Response:
                self.requests.append((provider, request.url.path))
                injected = await self._injected(provider)
                return injected if injected is not None else await handler(request)

            return Route(path, endpoint, methods=[method])

        return Starlette(
            routes=[
                route("/2010-04-01/Accounts/{sid}/Messages.json", "twilio", self._twilio, "POST"),
                route("/services/{team}/{bot}/{secret}", "slack", self._slack, "POST"),
                route("/api/webhooks/{id}/{token}", "discord", self._discord, "POST"),
                route("/bot{token:str}/sendMessage", "telegram", self._telegram, "POST"),
                route(
                    "/_matrix/client/v3/rooms/{room}/send/{event_type}/{txn}", "matrix", self._matrix, "PUT"
                ),
                route("/push/{id}", "push", self._push, "POST"),
                route("/hooks/receiver", "webhook", self._webhook, "POST"),
            ]
        )

    async def _injected(self, provider: str) -> Response | None:
        for failure in self.failures:
            if failure.provider == provider and failure.remaining > 0:
                failure.remaining -= 1
                if failure.delay_s:
                    await asyncio.sleep(failure.delay_s)
                return Response(failure.body, status_code=failure.status, headers=failure.headers)
        return None

    async def _record(self, provider: str, seen: dict[str, Any], request: Request) -> None:
        self.delivered.append(Delivered(provider, seen, dict(request.headers), await request.body()))

    # --- Twilio ----------------------------------------------------------------------------------------

    async def _twilio(self, request: Request) -> Response:
        def error(status: int, code: int, message: str) -> Response:
            more = f"https://www.twilio.com/docs/errors/{code}"
            return _json(status, {"code": code, "message": message, "more_info": more, "status": status})

        expected = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if (
            request.headers.get("authorization") != f"Basic {expected}"
            or request.path_params["sid"] != TWILIO_SID
        ):
            return error(401, 20003, "Authenticate")
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return error(400, 21000, "Content-Type must be application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode(), keep_blank_values=True).items()}
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to.startswith("+") or not to[1:].isdigit():
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender != TWILIO_NUMBER:
            return error(
                400,
                21606,
                f"The From phone number {sender} is not a valid, SMS-capable inbound phone number or short code "
                "for your account.",
            )
        if not body or len(body) > 1600:
            return error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sid = "SM" + hashlib.md5(f"{next(self._ids)}".encode(), usedforsecurity=False).hexdigest()
        await self._record("twilio", form, request)
        return _json(201, {"sid": sid, "status": "queued", "to": to, "from": sender, "body": body})

    # --- Slack -----------------------------------------------------------------------------------------

    async def _slack(self, request: Request) -> Response:
        params = request.path_params
        if (params["team"], params["bot"]) != ("T0TESLA", "B0SYNC"):
            return PlainTextResponse("no_service", status_code=404)
        if params["secret"] != SLACK_SECRET:
            return PlainTextResponse("invalid_token", status_code=403)
        try:
            document = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("invalid_payload", status_code=400)
        if not isinstance(document, dict) or not (document.get("text") or document.get("blocks")):
            return PlainTextResponse("no_text", status_code=400)
        await self._record("slack", document, request)
        return PlainTextResponse("ok")

    # --- Discord ---------------------------------------------------------------------------------------

    async def _discord(self, request: Request) -> Response:
        if request.path_params["id"] != DISCORD_ID:
            return _json(404, {"message": "Unknown Webhook", "code": 10015})
        if request.path_params["token"] != DISCORD_TOKEN:
            return _json(401, {"message": "Invalid Webhook Token", "code": 50027})
        document = json.loads(await request.body())
        content, embeds = document.get("content") or "", document.get("embeds") or []
        if not content and not embeds:
            return _json(400, {"message": "Cannot send an empty message", "code": 50006})
        problems = len(content) > 2000 or len(embeds) > 10
        for embed in embeds:
            problems |= len(embed.get("title", "")) > 256 or len(embed.get("description", "")) > 4096
            try:
                datetime.fromisoformat(embed.get("timestamp", "1970-01-01T00:00:00+00:00"))
            except ValueError:
                problems = True
        if problems:
            return _json(400, {"message": "Invalid Form Body", "code": 50035})
        message_id = str(1_000_000_000_000_000_000 + next(self._ids))
        await self._record("discord", document, request)
        if request.query_params.get("wait") == "true":
            return _json(200, {"id": message_id, "content": content, "embeds": embeds})
        return Response(status_code=204)

    # --- Telegram --------------------------------------------------------------------------------------

    async def _telegram(self, request: Request) -> Response:
        def error(status: int, description: str) -> Response:
            return _json(status, {"ok": False, "error_code": status, "description": description})

        if request.path_params["token"] != TELEGRAM_TOKEN:
            return error(401, "Unauthorized")
        document = json.loads(await request.body())
        if document.get("chat_id") not in (TELEGRAM_CHAT, str(TELEGRAM_CHAT)):
            return error(400, "Bad Request: chat not found")
        text = str(document.get("text", ""))
        if document.get("parse_mode") == "HTML":
            parser = _TelegramHtml()
            parser.feed(text)
            parser.close()
            if parser.error or parser.open:
                return error(400, f"Bad Request: can't parse entities: {parser.error or 'unclosed tag'}")
            text = parser.text
        if not text.strip():
            return error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return error(400, "Bad Request: message is too long")
        message_id = next(self._ids)
        await self._record("telegram", {**document, "shown": text}, request)
        result = {
            "message_id": message_id,
            "chat": {"id": TELEGRAM_CHAT},
            "date": int(time.time()),
            "text": text,
        }
        return _json(200, {"ok": True, "result": result})

    # --- Matrix ----------------------------------------------------------------------------------------

    async def _matrix(self, request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        if not authorization.startswith("Bearer "):
            return _json(401, {"errcode": "M_MISSING_TOKEN", "error": "Missing access token"})
        if authorization.removeprefix("Bearer ") != MATRIX_TOKEN:
            return _json(401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token passed."})
        room, txn = request.path_params["room"], request.path_params["txn"]
        if room not in self.matrix_rooms:
            return _json(403, {"errcode": "M_FORBIDDEN", "error": f"User {MATRIX_USER} not in room {room}"})
        if txn in self.matrix_transactions:
            return _json(200, {"event_id": self.matrix_transactions[txn]})
        try:
            content = json.loads(await request.body())
        except ValueError:
            return _json(400, {"errcode": "M_NOT_JSON", "error": "Content not JSON."})
        if not isinstance(content.get("msgtype"), str) or not isinstance(content.get("body"), str):
            return _json(400, {"errcode": "M_BAD_JSON", "error": "msgtype and body must be strings"})
        event_id = f"$event{next(self._ids)}:localhost"
        self.matrix_transactions[txn] = event_id
        await self._record(
            "matrix",
            {"room": room, "txn": txn, "event_type": request.path_params["event_type"], "content": content},
            request,
        )
        return _json(200, {"event_id": event_id})

    # --- Web Push --------------------------------------------------------------------------------------

    async def _push(self, request: Request) -> Response:
        def error(status: int, errno: int, message: str) -> Response:
            return _json(status, {"code": status, "errno": errno, "error": "", "message": message})

        subscription = self.subscriptions.get(request.path_params["id"])
        if subscription is None:
            return error(410, 106, "Request did not validate: subscription expired or unsubscribed")
        if not request.headers.get("ttl", "").isdigit():
            return error(400, 111, "Missing TTL header")
        if request.headers.get("content-encoding") != "aes128gcm":
            return error(415, 110, "Unknown Content-Encoding")
        problem = self._vapid_problem(request.headers.get("authorization", ""), subscription)
        if problem is not None:
            return error(401 if problem != "key mismatch" else 403, 109, f"Invalid VAPID: {problem}")
        body = await request.body()
        if len(body) > 4096:
            return error(413, 104, "Payload too large")
        try:
            plaintext = http_ece.decrypt(
                body, private_key=subscription.private_key, auth_secret=subscription.auth, version="aes128gcm"
            )
            payload = json.loads(plaintext)
        except Exception as failure:  # the browser drops what it cannot decrypt
            return error(400, 999, f"undecryptable payload: {type(failure).__name__}")
        await self._record("push", {"payload": payload, "size": len(body)}, request)
        return Response(status_code=201, headers={"location": f"{self.base_url}/m/{next(self._ids)}"})

    def _vapid_problem(self, authorization: str, subscription: PushSubscription) -> str | None:
        if not authorization.startswith("vapid "):
            return "not a vapid authorization"
        fields = dict(part.strip().split("=", 1) for part in authorization[6:].split(","))
        token, key = fields.get("t", ""), fields.get("k", "")
        if unb64url(key) != subscription.application_server_key:
            return "key mismatch"
        try:
            header, claims, signature = token.split(".")
            raw = unb64url(signature)
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature):
            return "bad signature"
        if json.loads(unb64url(header)) != {"typ": "JWT", "alg": "ES256"}:
            return "bad header"
        decoded = json.loads(unb64url(claims))
        if decoded.get("aud") != self.base_url:
            return f"aud {decoded.get('aud')!r}"
        if not time.time() < decoded.get("exp", 0) <= time.time() + 24 * 3600:
            return "exp"
        if not str(decoded.get("sub", "")).startswith(("mailto:", "https:")):
            return "sub"
        return None

    # --- webhook receiver ------------------------------------------------------------------------------

    async def _webhook(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("x-teslasync-timestamp", "")
        signature = request.headers.get("x-teslasync-signature", "")
        expected = hmac.new(
            WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(signature, f"sha256={expected}"):
            return PlainTextResponse("bad signature", status_code=401)
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE_S:
            return PlainTextResponse("stale timestamp", status_code=401)
        await self._record("webhook", json.loads(body), request)
        return _json(200, {"received": True})


@asynccontextmanager
async def fake_providers() -> AsyncIterator[FakeProviders]:
    """A `FakeProviders` served over plain HTTP on a free loopback port until the block ends."""
    fake = FakeProviders()
    async with serve(fake.asgi()) as port:
        fake.base_url = f"http://127.0.0.1:{port}"
        yield fake
