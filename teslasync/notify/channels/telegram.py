"""Telegram: a message from the user's own bot (made with @BotFather) to a chat, group or channel.

The bot token sits in the request path (`/bot<token>/sendMessage`), so it is masked in every error. The text
is sent as HTML with the title in bold; Telegram's HTML mode needs only `<`, `>` and `&` escaped.

Telegram answers `{"ok": false, "error_code", "description"}`: 401 for a revoked token, 400 `chat not found`,
403 when the bot was blocked or removed; a 429 says how long to wait in `parameters.retry_after`.
"""

from __future__ import annotations

import html
import re
from typing import ClassVar

import httpx
from pydantic import Field, SecretStr, field_validator

from teslasync.notify.channels.base import Channel, ChannelConfig, ChannelKind, shorten
from teslasync.notify.channels.http import deliver, header_retry_after, json_body, seconds
from teslasync.notify.events import Event

DEFAULT_BASE_URL = "https://api.telegram.org"
MAX_TEXT = 4096
MAX_TITLE = 256
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
_CHAT_ID = re.compile(r"-?\d+|@[A-Za-z][A-Za-z0-9_]{3,}")


class TelegramConfig(ChannelConfig):
    kind: ClassVar[ChannelKind] = ChannelKind.TELEGRAM
    url_fields: ClassVar[tuple[str, ...]] = ("base_url",)

    bot_token: SecretStr
    chat_id: str = Field(description="a numeric chat id, or @name of a public channel")
    base_url: str = DEFAULT_BASE_URL
    allow_insecure: bool = False  # a self-hosted Bot API server on the LAN

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("is not a bot token (it looks like 123456789:AAH..., as BotFather gives it)")
        return value

    @field_validator("chat_id", mode="before")
    @classmethod
    def _chat_id(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and not _CHAT_ID.fullmatch(value.strip()):
            raise ValueError("must be a numeric chat id (e.g. -1001234567890) or @channelname")
        return value

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


def text(event: Event) -> str:
    """Title and body within Telegram's limit, which counts the text after the HTML is parsed."""
    title = shorten(event.title, MAX_TITLE)
    body = shorten(event.body, MAX_TEXT - len(title) - 1)
    return f"<b>{html.escape(title, quote=False)}</b>\n{html.escape(body, quote=False)}"


def error_text(response: httpx.Response) -> str:
    body = json_body(response)
    if isinstance(body, dict) and isinstance(body.get("description"), str):
        return str(body["description"])
    return response.text or response.reason_phrase


def retry_after(response: httpx.Response) -> float | None:
    body = json_body(response)
    parameters = body.get("parameters") if isinstance(body, dict) else None
    if isinstance(parameters, dict) and (wait := seconds(parameters.get("retry_after"))) is not None:
        return wait
    return header_retry_after(response)


class TelegramChannel(Channel):
    kind: ClassVar[ChannelKind] = ChannelKind.TELEGRAM

    def __init__(self, config: TelegramConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._token = config.bot_token.get_secret_value()

    async def send(self, event: Event) -> str:
        chat_id: int | str = (
            int(self.config.chat_id) if self.config.chat_id[0] != "@" else self.config.chat_id
        )
        payload = {"chat_id": chat_id, "text": text(event), "parse_mode": "HTML"}
        url = f"{self.config.base_url}/bot{self._token}/sendMessage"
        request = self._http.build_request("POST", url, json=payload)
        response = await deliver(
            self._http,
            request,
            provider="Telegram",
            secrets=[self._token],
            text=error_text,
            retry_after=retry_after,
        )
        body = json_body(response)
        result = body.get("result") if isinstance(body, dict) else None
        if isinstance(result, dict) and "message_id" in result:
            return f"message {result['message_id']}"
        return f"HTTP {response.status_code}"
