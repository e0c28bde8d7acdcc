"""Discord: a message through a channel webhook. The webhook URL holds its token, so it is a secret.

The title goes in `content` too, because a phone's notification shows only the content of a message whose
body is an embed. `allowed_mentions` is empty so an event's text can never ping @everyone. `?wait=true`
makes Discord answer with the message (and its id) instead of a bare 204.

Discord's errors are JSON `{"message", "code"}`; 404 `Unknown Webhook` means it was deleted; a 429 says
how long to wait in `retry_after` (seconds, fractional) as well as in `Retry-After`.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

from teslasync.notify.channels.base import Channel, ChannelConfig, ChannelKind, shorten, url_secret_parts
from teslasync.notify.channels.http import deliver, header_retry_after, json_body, seconds
from teslasync.notify.events import Event

MAX_CONTENT = 2000
MAX_EMBED_TITLE = 256
MAX_EMBED_DESCRIPTION = 4096
GONE = frozenset({404})


class DiscordConfig(ChannelConfig):
    kind: ClassVar[ChannelKind] = ChannelKind.DISCORD
    url_fields: ClassVar[tuple[str, ...]] = ("webhook_url",)

    webhook_url: SecretStr


def message(event: Event) -> dict[str, object]:
    embed = {
        "title": shorten(event.title, MAX_EMBED_TITLE),
        "description": shorten(event.body, MAX_EMBED_DESCRIPTION),
        "timestamp": event.at.isoformat(),
    }
    return {
        "content": shorten(event.title, MAX_CONTENT),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


def retry_after(response: httpx.Response) -> float | None:
    body = json_body(response)
    if isinstance(body, dict) and (wait := seconds(body.get("retry_after"))) is not None:
        return wait
    return header_retry_after(response)


def _waiting(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in (parts.query, "wait=true") if p)
    return urlunsplit(parts._replace(query=query))


class DiscordChannel(Channel):
    kind: ClassVar[ChannelKind] = ChannelKind.DISCORD

    def __init__(self, config: DiscordConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._url = config.webhook_url.get_secret_value()

    async def send(self, event: Event) -> str:
        request = self._http.build_request("POST", _waiting(self._url), json=message(event))
        response = await deliver(
            self._http,
            request,
            provider="Discord",
            secrets=url_secret_parts(self._url),
            retry_after=retry_after,
            gone=GONE,
        )
        body = json_body(response)
        if isinstance(body, dict) and body.get("id"):
            return f"message {body['id']}"
        return f"HTTP {response.status_code}"
