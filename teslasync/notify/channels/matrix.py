"""Matrix: an `m.text` message to a room, sent with a bot account's access token (client-server API v3).

The transaction id is derived from the room and the event's `dedup_key`: the homeserver answers a repeated
transaction with the event it already sent, so a retry after a lost response does not post twice.

Errors are JSON `{"errcode", "error"}`: 401 `M_UNKNOWN_TOKEN` for a revoked token, 403 `M_FORBIDDEN` when
the account is not in the room; 429 `M_LIMIT_EXCEEDED` says how long to wait in `retry_after_ms` (and, since
v1.10, in `Retry-After`).
"""

from __future__ import annotations

import hashlib
import html
from typing import ClassVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr, field_validator

from teslasync.notify.channels.base import Channel, ChannelConfig, ChannelKind
from teslasync.notify.channels.http import deliver, header_retry_after, json_body, seconds
from teslasync.notify.events import Event


class MatrixConfig(ChannelConfig):
    kind: ClassVar[ChannelKind] = ChannelKind.MATRIX
    url_fields: ClassVar[tuple[str, ...]] = ("homeserver_url",)

    homeserver_url: str
    access_token: SecretStr
    room_id: str
    allow_insecure: bool = False  # a homeserver on the LAN without TLS

    @field_validator("homeserver_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("room_id")
    @classmethod
    def _room_id(cls, value: str) -> str:
        if not value.startswith("!") or len(value) < 2:
            raise ValueError(
                "must be a room id such as !abcdef:example.org (an alias #room:server will not do)"
            )
        return value


def transaction_id(room_id: str, dedup_key: str) -> str:
    return "teslasync-" + hashlib.sha256(f"{room_id}\0{dedup_key}".encode()).hexdigest()[:40]


def content(event: Event) -> dict[str, object]:
    lines = html.escape(event.body).replace("\n", "<br>")
    return {
        "msgtype": "m.text",
        "body": f"{event.title}\n{event.body}",
        "format": "org.matrix.custom.html",
        "formatted_body": f"<b>{html.escape(event.title)}</b><br>{lines}",
    }


def error_text(response: httpx.Response) -> str:
    body = json_body(response)
    if isinstance(body, dict) and isinstance(body.get("errcode"), str):
        return f"{body['errcode']}: {body.get('error', '')}"
    return response.text or response.reason_phrase


def retry_after(response: httpx.Response) -> float | None:
    body = json_body(response)
    if isinstance(body, dict) and (wait_ms := seconds(body.get("retry_after_ms"))) is not None:
        return wait_ms / 1000
    return header_retry_after(response)


class MatrixChannel(Channel):
    kind: ClassVar[ChannelKind] = ChannelKind.MATRIX

    def __init__(self, config: MatrixConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._token = config.access_token.get_secret_value()

    async def send(self, event: Event) -> str:
        room = quote(self.config.room_id, safe="")
        txn = transaction_id(self.config.room_id, event.dedup_key)
        url = f"{self.config.homeserver_url}/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}"
        headers = {"Authorization": f"Bearer {self._token}"}
        request = self._http.build_request("PUT", url, json=content(event), headers=headers)
        response = await deliver(
            self._http,
            request,
            provider="the Matrix homeserver",
            secrets=[self._token],
            text=error_text,
            retry_after=retry_after,
        )
        body = json_body(response)
        if isinstance(body, dict) and isinstance(body.get("event_id"), str):
            return f"event {body['event_id']}"
        return f"HTTP {response.status_code}"
