from __future__ import annotations

import stat
from pathlib import Path

import pytest

from teslasync.config import SettingsError, StorageMode, load_settings


def test_defaults_are_embedded_and_safe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.embedded_database
    assert settings.redis_url is None and settings.mqtt_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.storage is StorageMode.AUTO
    assert not settings.demo and not settings.graphiql_enabled


def test_demo_turns_graphiql_on_unless_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESLASYNC_DEMO", "true")
    assert load_settings().graphiql_enabled
    monkeypatch.setenv("TESLASYNC_GRAPHIQL", "false")
    assert not load_settings().graphiql_enabled


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TESLASYNC_PORT", "eighty", "invalid setting TESLASYNC_PORT: Input should be a valid integer"),
        ("TESLASYNC_PORT", "70000", "invalid setting TESLASYNC_PORT: Input should be less than or equal"),
        ("TESLASYNC_DATABASE_URL", "mysql://db/x", "invalid setting TESLASYNC_DATABASE_URL: scheme must be"),
        ("TESLASYNC_REDIS_URL", "http://cache", "invalid setting TESLASYNC_REDIS_URL: scheme must be"),
        ("TESLASYNC_MQTT_URL", "tcp://broker", "invalid setting TESLASYNC_MQTT_URL: scheme must be"),
        ("TESLASYNC_SECRET_KEY", "short", "invalid setting TESLASYNC_SECRET_KEY: must be at least 32"),
        ("TESLASYNC_STORAGE", "mongo", "invalid setting TESLASYNC_STORAGE: Input should be"),
        ("TESLASYNC_HOST", "my host", "invalid setting TESLASYNC_HOST: must be an IP address"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_error_never_echoes_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESLASYNC_DATABASE_URL", "mysql://user:hunter2secret@db/x")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "hunter2secret" not in str(raised.value)


def test_secrets_are_masked_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESLASYNC_DATABASE_URL", "postgresql://u:topsecretpw@db:5432/ts")
    monkeypatch.setenv("TESLASYNC_SECRET_KEY", "k" * 40)
    settings = load_settings()
    assert "topsecretpw" not in repr(settings)
    assert "k" * 40 not in repr(settings)
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value().endswith("@db:5432/ts")


def test_postgres_scheme_is_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESLASYNC_DATABASE_URL", "postgres://u@db/ts")
    settings = load_settings()
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == "postgresql://u@db/ts"


def test_secret_key_is_generated_once_into_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    first = settings.resolved_secret_key()
    key_file = tmp_path / "data" / "secret.key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 48
    assert load_settings(data_dir=tmp_path / "data").resolved_secret_key() == first


def test_configured_secret_key_wins(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key="s" * 32)
    assert settings.resolved_secret_key() == "s" * 32
    assert not (tmp_path / "secret.key").exists()


def test_allowed_origins_from_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESLASYNC_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    assert load_settings().allowed_origins == ["https://a.example", "https://b.example"]


def test_every_setting_is_documented() -> None:
    from teslasync.config import ENV_PREFIX, Settings

    doc = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    missing = [
        ENV_PREFIX + name.upper()
        for name in Settings.model_fields
        if f"`{ENV_PREFIX}{name.upper()}`" not in doc
    ]
    assert missing == []
