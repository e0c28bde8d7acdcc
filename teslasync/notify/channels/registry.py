"""The channels by kind: a user's raw settings checked into a config, a config made into a channel.

The caller keeps the raw settings of each channel, with the `secret_fields` stored encrypted and never shown
back; `describe` is what a listing shows instead. `parse_config` reports every bad field by name and never
repeats a value, as the value may be a secret.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, get_args

import httpx
from pydantic import SecretStr, ValidationError

from teslasync.notify.channels.base import (
    MASK,
    Channel,
    ChannelConfig,
    ChannelConfigError,
    ChannelKind,
    FieldProblem,
    origin,
)
from teslasync.notify.channels.discord import DiscordChannel, DiscordConfig
from teslasync.notify.channels.email import EmailChannel, EmailConfig
from teslasync.notify.channels.matrix import MatrixChannel, MatrixConfig
from teslasync.notify.channels.slack import SlackChannel, SlackConfig
from teslasync.notify.channels.sms import SmsChannel, SmsConfig
from teslasync.notify.channels.telegram import TelegramChannel, TelegramConfig
from teslasync.notify.channels.webhook import WebhookChannel, WebhookConfig
from teslasync.notify.channels.webpush import WebPushChannel, WebPushConfig

ChannelFactory = Callable[[Any, httpx.AsyncClient], Channel]

KINDS: dict[ChannelKind, tuple[type[ChannelConfig], ChannelFactory]] = {
    ChannelKind.EMAIL: (EmailConfig, EmailChannel),
    ChannelKind.SMS: (SmsConfig, SmsChannel),
    ChannelKind.WEBPUSH: (WebPushConfig, WebPushChannel),
    ChannelKind.WEBHOOK: (WebhookConfig, WebhookChannel),
    ChannelKind.SLACK: (SlackConfig, SlackChannel),
    ChannelKind.DISCORD: (DiscordConfig, DiscordChannel),
    ChannelKind.TELEGRAM: (TelegramConfig, TelegramChannel),
    ChannelKind.MATRIX: (MatrixConfig, MatrixChannel),
}
_PLAIN_WORDS = {"missing": "is required", "extra_forbidden": "is not a setting of this channel"}


def _kind(kind: ChannelKind | str) -> ChannelKind:
    try:
        return ChannelKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in ChannelKind)
        raise ChannelConfigError(f"kind: unknown channel kind (one of {known})", "kind") from None


def config_type(kind: ChannelKind | str) -> type[ChannelConfig]:
    return KINDS[_kind(kind)][0]


def _field(loc: tuple[int | str, ...]) -> str:
    """`to_addresses[2]` from ('to_addresses', 2); a union member's tag after the field is not a field."""
    if not loc:
        return ""
    path = str(loc[0])
    for part in loc[1:]:
        if not isinstance(part, int):
            break
        path += f"[{part}]"
    return path


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for item in error.errors(include_url=False, include_input=False):
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, FieldProblem):
            field, text = cause.field, str(cause)
        elif isinstance(cause, ValueError):
            field, text = _field(item["loc"]), str(cause)
        else:
            field, text = _field(item["loc"]), _PLAIN_WORDS.get(item["type"], item["msg"])
        if (field, text) not in found:
            found.append((field, text))
    return found


def parse_config(kind: ChannelKind | str, raw: Mapping[str, object]) -> ChannelConfig:
    """`raw` checked as the settings of a `kind` channel, or `ChannelConfigError` naming each bad field."""
    model = config_type(kind)
    if not isinstance(raw, Mapping):
        raise ChannelConfigError("the settings must be an object of fields")
    try:
        return model.model_validate(dict(raw))
    except ValidationError as error:
        problems = _problems(error)
        message = "; ".join(f"{field}: {text}" if field else text for field, text in problems)
        raise ChannelConfigError(message, problems[0][0] if problems else "") from None


def build_channel(kind: ChannelKind | str, config: ChannelConfig, http: httpx.AsyncClient) -> Channel:
    """The channel for a config from `parse_config`; `http` is shared by every channel (email does not use it)."""
    model, factory = KINDS[_kind(kind)]
    if not isinstance(config, model):
        raise TypeError(f"a {kind} channel needs a {model.__name__}, not a {type(config).__name__}")
    return factory(config, http)


def secret_fields(kind: ChannelKind | str) -> set[str]:
    """The fields to store encrypted and never show back."""
    return {
        name
        for name, info in config_type(kind).model_fields.items()
        if SecretStr in (info.annotation, *get_args(info.annotation))
    }


def dump_config(config: ChannelConfig) -> dict[str, object]:
    """Every field with secrets revealed: what `parse_config` takes back (for storing, encrypted)."""
    return {
        name: value.get_secret_value() if isinstance(value, SecretStr) else value
        for name, value in ((name, getattr(config, name)) for name in type(config).model_fields)
    }


def describe(config: ChannelConfig) -> str:
    """One line for a listing: the fields that are set, secrets masked (a secret URL keeps its origin)."""
    parts: list[str] = []
    for name, info in type(config).model_fields.items():
        value = getattr(config, name)
        if value is None or (not info.is_required() and value == info.default):
            continue
        if isinstance(value, SecretStr):
            shown = f"{origin(value.get_secret_value())}/{MASK}" if name in config.url_fields else MASK
        elif isinstance(value, list):
            shown = ", ".join(str(item) for item in value)
        else:
            shown = str(value)
        parts.append(f"{name}={shown}")
    return f"{config.kind.value}: {'; '.join(parts)}"
