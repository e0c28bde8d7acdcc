"""Slack: a message through an incoming webhook. The webhook URL is the credential (anyone holding it can
post to the channel), so it is stored as a secret and masked in every error.

Slack answers a plain-text `ok`, or an error word: 400 `invalid_payload`, 403 `invalid_token` or
`action_prohibited`, 404 `no_service` (the webhook was removed), 410 `channel_is_archived`; 429 comes with
`Retry-After`.
"""

from __future__ import annotations

from typing import ClassVar

import httpx
from pydantic import SecretStr

from teslasync.notify.channels.base import Channel, ChannelConfig, ChannelKind, shorten, url_secret_parts
from teslasync.notify.channels.http import deliver
from teslasync.notify.events import Event

MAX_TEXT = 3000  # a section block's text limit; the top-level text has a larger one
GONE = frozenset({404, 410})


class SlackConfig(ChannelConfig):
    kind: ClassVar[ChannelKind] = ChannelKind.SLACK
    url_fields: ClassVar[tuple[str, ...]] = ("webhook_url",)

    webhook_url: SecretStr


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: `&`, `<` and `>` only, so an event cannot mention @channel or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(event: Event) -> dict[str, object]:
    text = shorten(f"*{escape(event.title)}*\n{escape(event.body)}", MAX_TEXT)
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


class SlackChannel(Channel):
    kind: ClassVar[ChannelKind] = ChannelKind.SLACK

    def __init__(self, config: SlackConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._url = config.webhook_url.get_secret_value()

    async def send(self, event: Event) -> str:
        request = self._http.build_request("POST", self._url, json=message(event))
        response = await deliver(
            self._http, request, provider="Slack", secrets=url_secret_parts(self._url), gone=GONE
        )
        return f"HTTP {response.status_code} {shorten(response.text, 40)}".strip()
