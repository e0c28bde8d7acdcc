"""One `Settings` object, read from `TESLASYNC_*` environment variables and `.env`.

Every variable is documented in docs/configuration.md; keep the two in step.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "TESLASYNC_"


class StorageMode(StrEnum):
    AUTO = "auto"
    TIMESCALE = "timescale"
    PLAIN = "plain"


class ForwardAuthPreset(StrEnum):
    NONE = "none"
    AUTHENTIK = "authentik"
    AUTHELIA = "authelia"
    OAUTH2_PROXY = "oauth2-proxy"
    CUSTOM = "custom"


class LogFormat(StrEnum):
    AUTO = "auto"  # text on a terminal, JSON otherwise
    JSON = "json"
    TEXT = "text"


class StepUpMode(StrEnum):
    TOTP = "totp"
    OFF = "off"


class WorkersMode(StrEnum):
    INLINE = "inline"  # the job workers run inside the API process
    EXTERNAL = "external"  # `teslasync worker ...` processes run them


class HelixProviderKind(StrEnum):
    OLLAMA = "ollama"
    OPENAI = "openai"
    AZURE = "azure"
    ANTHROPIC = "anthropic"
    MOCK = "mock"  # deterministic, for development and tests; refused outside demo mode


class SettingsError(Exception):
    """A configuration value is wrong; the message names the variable in one line."""


def _check_url(value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(f"scheme must be one of {', '.join(schemes)}")
    if parts.scheme not in ("unix",) and not (parts.hostname or "host=" in (parts.query or "")):
        raise ValueError("a host is required")
    return value


TILE_PLACEHOLDERS = frozenset({"z", "x", "y", "-y", "s", "r"})  # {-y}: rows counted from the south (TMS)


def check_tile_template(value: str) -> str:
    """An XYZ tile URL template, as the web app reads it: an http(s) URL, or a path on this server starting
    with `/`, with {z}, {x} and {y} (or {-y}) and no other placeholder; ValueError says what is wrong."""
    if any(c.isspace() for c in value):
        raise ValueError("the template may not contain spaces")
    names = re.findall(r"\{([^{}]*)\}", value)
    unknown = sorted({name for name in names if name not in TILE_PLACEHOLDERS})
    if unknown or re.search(r"[{}]", re.sub(r"\{[^{}]*\}", "", value)):
        shown = ", ".join("{" + name + "}" for name in unknown) or "unbalanced braces"
        raise ValueError(f"unknown placeholder ({shown}): use {{z}}, {{x}}, {{y}} or {{-y}}, {{s}}, {{r}}")
    missing = [name for name in ("z", "x") if name not in names] + (
        [] if "y" in names or "-y" in names else ["y"]
    )
    if missing:
        example = "https://tiles.example/{z}/{x}/{y}.png"
        parts = ", ".join("{" + name + "}" for name in missing)
        raise ValueError(f"the template lacks {parts}, e.g. {example}")
    if value.startswith("/") and not value.startswith("//"):
        return value  # tiles served beside the app
    return _check_url(value, ("https", "http")) or value


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    demo: bool = False
    demo_vehicles: int = Field(default=1, ge=1, le=100)
    demo_speedup: float = Field(default=1.0, gt=0, le=1000)
    graphiql: bool | None = None
    log_level: str = "info"
    log_format: LogFormat = LogFormat.AUTO

    database_url: SecretStr | None = None
    database_pool_size: int = Field(default=10, ge=1, le=500)
    database_connect_timeout_s: float = Field(default=10.0, gt=0)
    storage: StorageMode = StorageMode.AUTO

    redis_url: SecretStr | None = None
    mqtt_url: SecretStr | None = None

    secret_key: SecretStr | None = None
    key_file: Path | None = None

    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    forward_auth: ForwardAuthPreset = ForwardAuthPreset.NONE
    forward_auth_user_header: str | None = None
    forward_auth_email_header: str | None = None
    forward_auth_name_header: str | None = None
    forward_auth_groups_header: str | None = None
    forward_auth_allowed_groups: Annotated[list[str], NoDecode] = Field(default_factory=list)
    forward_auth_admin_groups: Annotated[list[str], NoDecode] = Field(default_factory=list)
    step_up: StepUpMode = StepUpMode.TOTP
    step_up_window_s: int = Field(default=300, ge=30, le=3600)
    rate_limit_queries_per_minute: int = Field(default=600, ge=1)
    rate_limit_mutations_per_minute: int = Field(default=60, ge=1)
    rate_limit_commands_per_minute: int = Field(default=10, ge=1)
    rate_limit_logins_per_minute: int = Field(default=10, ge=1)

    tesla_authorize_url: str = "https://auth.tesla.com/oauth2/v3/authorize"
    tesla_token_url: str = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token"  # noqa: S105
    # one Fleet API host for every region (a proxy, or a test server); unset: Tesla's regional hosts
    tesla_fleet_api_url: str | None = None
    tesla_refresh_margin_s: int = Field(default=900, ge=60)
    # the vehicle-command proxy (tesla-http-proxy): signs commands end to end; TLS with its own CA
    command_proxy_url: str | None = None
    command_proxy_ca_file: Path | None = None
    fleet_timeout_s: float = Field(default=15.0, gt=0, le=120)
    fleet_retry_max_wait_s: float = Field(default=10.0, ge=0, le=300)
    wake_attempts: int = Field(default=2, ge=0, le=10)
    wake_timeout_s: float = Field(default=60.0, gt=0, le=600)
    wake_poll_s: float = Field(default=2.0, gt=0, le=60)
    command_daily_budget: int = Field(default=50, ge=1, le=10_000)
    breaker_failure_threshold: int = Field(default=5, ge=1, le=100)
    breaker_reset_s: float = Field(default=30.0, gt=0, le=3600)

    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    introspection: bool | None = None
    graphql_max_depth: int = Field(default=12, ge=1, le=100)
    graphql_max_aliases: int = Field(default=30, ge=1, le=1000)
    graphql_max_tokens: int = Field(default=4000, ge=100, le=100_000)
    graphql_max_subscriptions_per_connection: int = Field(default=50, ge=1, le=10_000)
    graphql_keep_alive_s: float = Field(default=15.0, gt=0)
    ws_compression: bool = False
    graphql_max_cost: int = Field(default=250_000, ge=100, le=100_000_000)
    persisted_queries: Path | None = None
    persisted_queries_only: bool = False

    allowed_vins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    stale_after_s: float = Field(default=300.0, gt=0)
    mqtt_topic_base: str = "telemetry"
    mqtt_shared_group: str | None = None
    mqtt_client_id: str = "teslasync"
    mqtt_burst_window_s: float = Field(default=10.0, ge=0)
    records_namespace: str | None = None
    ingest_max_batch: int = Field(default=5000, ge=1)
    # interim, until the Fleet API client with OAuth lands: a base URL and a bearer token for polling
    fleet_api_url: str | None = None
    fleet_api_token: SecretStr | None = None
    shutdown_grace_s: int = Field(default=10, ge=0)
    backup_dir: Path | None = None
    backup_every_h: float = Field(default=24.0, ge=0, le=24 * 31)
    backup_keep: int = Field(default=7, ge=1, le=1000)
    workers: WorkersMode = WorkersMode.INLINE
    worker_concurrency: int = Field(default=4, ge=1, le=100)
    job_pool_size: int = Field(default=8, ge=2, le=100)
    scheduler: bool = True
    export_dir: Path | None = None
    export_retention_h: float = Field(default=72.0, gt=0, le=24 * 90)
    export_link_ttl_s: int = Field(default=900, ge=30, le=7 * 24 * 3600)
    public_url: str | None = None
    notification_retries: int = Field(default=6, ge=1, le=20)
    notification_log_days: int = Field(default=90, ge=1, le=3650)
    signal_retention_days: int = Field(default=0, ge=0, le=36500)
    client_dir: Path | None = None
    # the web app's map background: an XYZ tile URL template; unset: maps draw on a plain background
    map_tile_url: str | None = None
    map_tile_attribution: str | None = None
    map_max_zoom: int = Field(default=19, ge=1, le=22)
    helix_enabled: bool = False
    helix_provider: HelixProviderKind = HelixProviderKind.OLLAMA
    helix_model: str = "llama3.1:8b"
    helix_embedding_model: str | None = "nomic-embed-text"
    helix_timeout_s: float = Field(default=60.0, gt=0, le=600)
    helix_monthly_budget: float = Field(default=10.0, ge=0)
    helix_location_decimals: int = Field(default=2, ge=0, le=6)
    helix_requests_per_minute: int = Field(default=10, ge=1, le=10_000)
    ollama_url: str = "http://127.0.0.1:11434"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    azure_openai_endpoint: str | None = None
    azure_openai_api_key: SecretStr | None = None
    azure_openai_api_version: str = "2024-10-21"
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        raw = value.get_secret_value()
        if raw.startswith("postgres://"):
            raw = "postgresql://" + raw.removeprefix("postgres://")
        _check_url(raw, ("postgresql", "postgresql+asyncpg"))
        return SecretStr(raw)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        _check_url(value.get_secret_value(), ("redis", "rediss", "unix"))
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        _check_url(value.get_secret_value(), ("mqtt", "mqtts"))
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("signal_retention_days")
    @classmethod
    def _signal_retention(cls, value: int) -> int:
        if 0 < value < 30:
            raise ValueError("must be 0 (keep every signal) or at least 30 days")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.lower()
        if level not in ("critical", "error", "warning", "info", "debug"):
            raise ValueError("must be one of critical, error, warning, info, debug")
        return level

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if value in ("localhost", ""):
            return value or "127.0.0.1"
        try:
            ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError("must be an IP address or localhost") from exc
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("forward_auth_allowed_groups", "forward_auth_admin_groups", mode="before")
    @classmethod
    def _groups(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        networks = _split_csv(value)
        if isinstance(networks, list):
            for network in networks:
                try:
                    ipaddress.ip_network(str(network), strict=False)
                except ValueError:
                    raise ValueError(f"not an address or CIDR: {network}") from None
        return networks

    @field_validator("command_proxy_url")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("https",))  # the proxy speaks TLS only

    @field_validator("tesla_authorize_url", "tesla_token_url", "tesla_fleet_api_url")
    @classmethod
    def _tesla_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("https", "http"))

    @field_validator("map_tile_url")
    @classmethod
    def _tile_url(cls, value: str | None) -> str | None:
        return check_tile_template(value) if value else None

    @field_validator("allowed_vins", mode="before")
    @classmethod
    def _vins(cls, value: object) -> object:
        vins = _split_csv(value)
        if isinstance(vins, list):
            vins = [str(vin).upper() for vin in vins]
            bad = [vin for vin in vins if len(vin) != 17]
            if bad:
                raise ValueError(f"not 17-character VINs: {', '.join(bad)}")
        return vins

    @field_validator("mqtt_topic_base")
    @classmethod
    def _topic_base(cls, value: str) -> str:
        if not value.strip("/") or any(char in value for char in "#+"):
            raise ValueError("must be a topic prefix without wildcards")
        return value.strip("/")

    @model_validator(mode="after")
    def _persisted_only_needs_a_list(self) -> Settings:
        if self.persisted_queries_only and self.persisted_queries is None:
            raise ValueError("TESLASYNC_PERSISTED_QUERIES_ONLY needs TESLASYNC_PERSISTED_QUERIES (the list)")
        return self

    @model_validator(mode="after")
    def _forward_auth_needs_proxies(self) -> Settings:
        if self.forward_auth is not ForwardAuthPreset.NONE and not self.trusted_proxies:
            raise ValueError("TESLASYNC_FORWARD_AUTH needs TESLASYNC_TRUSTED_PROXIES (the proxies' CIDRs)")
        if self.forward_auth is ForwardAuthPreset.CUSTOM and not self.forward_auth_user_header:
            raise ValueError("TESLASYNC_FORWARD_AUTH=custom needs TESLASYNC_FORWARD_AUTH_USER_HEADER")
        return self

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def introspection_enabled(self) -> bool:
        return self.demo if self.introspection is None else self.introspection

    @property
    def graphiql_enabled(self) -> bool:
        return self.demo if self.graphiql is None else self.graphiql

    @cached_property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def resolved_export_dir(self) -> Path:
        return (self.export_dir or self.resolved_data_dir / "exports").expanduser().resolve()

    def resolved_secret_key(self) -> str:
        """The secret key: from the environment, else from the data dir, generated there on first use."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.resolved_data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key


def describe_validation_error(error: ValidationError) -> str:
    """One line naming the first offending variable, its problem, and never its value."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    variable = ENV_PREFIX + field.upper()
    message = first["msg"].removeprefix("Value error, ")
    return f"invalid setting {variable}: {message}"


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None
