"""A channel as stored: the settings that may be shown back in `config`, the secrets (tokens, passwords,
secret URLs) in one encrypted envelope bound to the owner, so a copied row does not decrypt as another's."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import httpx

from teslasync.auth.secrets import Keyring
from teslasync.db.models import NotificationChannelRow
from teslasync.notify.channels.base import Channel, ChannelConfig
from teslasync.notify.channels.registry import build_channel, dump_config, parse_config, secret_fields


def secret_context(user_id: int) -> str:
    return f"notification_channel:user:{user_id}"


def split_config(config: ChannelConfig, keys: Keyring, user_id: int) -> tuple[dict[str, object], str | None]:
    """(what may be shown, the encrypted secrets or None)."""
    values = dump_config(config)
    hidden = secret_fields(config.kind)
    shown = {name: value for name, value in values.items() if name not in hidden}
    secrets = {name: value for name, value in values.items() if name in hidden and value is not None}
    envelope = keys.encrypt(json.dumps(secrets), context=secret_context(user_id)) if secrets else None
    return shown, envelope


def stored_config(row: NotificationChannelRow, keys: Keyring) -> ChannelConfig:
    raw: dict[str, object] = dict(row.config)
    if row.secrets:
        raw.update(json.loads(keys.decrypt(row.secrets, context=secret_context(row.user_id))))
    return parse_config(row.kind, raw)


def merged(row: NotificationChannelRow, keys: Keyring, changes: Mapping[str, object]) -> ChannelConfig:
    """The stored config with `changes` applied: a secret left out of an edit keeps its value."""
    current = dump_config(stored_config(row, keys))
    return parse_config(row.kind, {**current, **changes})


def channel_of(row: NotificationChannelRow, keys: Callable[[], Keyring], http: httpx.AsyncClient) -> Channel:
    return build_channel(row.kind, stored_config(row, keys()), http)
