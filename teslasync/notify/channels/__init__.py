"""Delivery channels: one module per provider, the shared contract in `base`, the lookup by kind in `registry`."""

from teslasync.notify.channels.base import (
    Channel,
    ChannelConfig,
    ChannelConfigError,
    ChannelKind,
    DeliveryFailed,
    DestinationGone,
)
from teslasync.notify.channels.registry import (
    build_channel,
    config_type,
    describe,
    dump_config,
    parse_config,
    secret_fields,
)

__all__ = [
    "Channel",
    "ChannelConfig",
    "ChannelConfigError",
    "ChannelKind",
    "DeliveryFailed",
    "DestinationGone",
    "build_channel",
    "config_type",
    "describe",
    "dump_config",
    "parse_config",
    "secret_fields",
]
