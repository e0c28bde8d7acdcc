"""`build_provider`: the configured adapter, what each needs checked up front, and the mock kept to demos and
tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from teslasync.config import Settings, SettingsError
from teslasync.helix.providers.anthropic import AnthropicProvider
from teslasync.helix.providers.base import Provider
from teslasync.helix.providers.factory import ProviderSettingsError, build_provider
from teslasync.helix.providers.mock import MockProvider
from teslasync.helix.providers.ollama import OllamaProvider
from teslasync.helix.providers.openai import AzureOpenAIProvider, OpenAIProvider
from tests.conftest import make_settings


def settings(tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(tmp_path, helix_enabled=True, **overrides)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"helix_provider": "ollama"}, OllamaProvider),
        ({"helix_provider": "openai", "openai_api_key": "sk-test-0123456789"}, OpenAIProvider),
        ({"helix_provider": "openai", "openai_base_url": "http://127.0.0.1:8000/v1"}, OpenAIProvider),
        (
            {
                "helix_provider": "azure",
                "azure_openai_endpoint": "https://example.openai.azure.com",
                "azure_openai_api_key": "0123456789abcdef",
            },
            AzureOpenAIProvider,
        ),
        ({"helix_provider": "anthropic", "anthropic_api_key": "sk-ant-test-0123456789"}, AnthropicProvider),
        ({"helix_provider": "mock", "demo": True}, MockProvider),
    ],
)
async def test_each_kind_builds_its_adapter(
    tmp_path: Path, overrides: dict[str, object], expected: type
) -> None:
    provider: Provider = build_provider(settings(tmp_path, **overrides))
    try:
        assert type(provider) is expected
        assert provider.name == str(overrides["helix_provider"])
    finally:
        await provider.aclose()


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"helix_provider": "openai"}, "TESLASYNC_OPENAI_API_KEY"),
        ({"helix_provider": "azure", "azure_openai_api_key": "k" * 16}, "TESLASYNC_AZURE_OPENAI_ENDPOINT"),
        (
            {"helix_provider": "azure", "azure_openai_endpoint": "https://x.openai.azure.com"},
            "AZURE_OPENAI_API_KEY",
        ),
        ({"helix_provider": "anthropic", "anthropic_api_key": "  "}, "TESLASYNC_ANTHROPIC_API_KEY"),
    ],
)
def test_a_missing_key_or_endpoint_is_a_settings_error_naming_it(
    tmp_path: Path, overrides: dict[str, object], variable: str
) -> None:
    with pytest.raises(SettingsError, match=variable):
        build_provider(settings(tmp_path, **overrides))


def test_the_mock_is_refused_outside_demo_mode(tmp_path: Path) -> None:
    with pytest.raises(ProviderSettingsError, match="development and tests only") as raised:
        build_provider(settings(tmp_path, helix_provider="mock"))
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, SettingsError)
    assert "TESLASYNC_DEMO" in str(raised.value)


def test_tests_may_ask_for_the_mock_explicitly(tmp_path: Path) -> None:
    assert isinstance(
        build_provider(settings(tmp_path, helix_provider="mock"), allow_mock=True), MockProvider
    )


async def test_the_adapters_get_the_configured_endpoint_and_timeout(tmp_path: Path) -> None:
    configured = settings(
        tmp_path,
        helix_provider="azure",
        helix_timeout_s=12.5,
        azure_openai_endpoint="https://example.openai.azure.com",
        azure_openai_api_key="0123456789abcdef",
        azure_openai_api_version="2025-01-01",
    )
    provider = build_provider(configured)
    try:
        client = provider._client  # type: ignore[attr-defined]
        assert str(client.base_url) == "https://example.openai.azure.com/openai/"
        assert client.timeout == 12.5 and client.max_retries == 0
        assert client._custom_query == {"api-version": "2025-01-01"}
    finally:
        await provider.aclose()
