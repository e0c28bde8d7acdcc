"""The provider the settings ask for (`TESLASYNC_HELIX_PROVIDER`), checked for what it needs before any call:
a missing key is a settings error at start, not a failure on a user's first question."""

from __future__ import annotations

from pydantic import SecretStr

from teslasync.config import HelixProviderKind, Settings, SettingsError
from teslasync.helix.providers.anthropic import AnthropicProvider
from teslasync.helix.providers.base import Provider
from teslasync.helix.providers.mock import MockProvider
from teslasync.helix.providers.ollama import OllamaProvider
from teslasync.helix.providers.openai import AzureOpenAIProvider, OpenAIProvider

_NO_KEY = "no-key"  # an OpenAI-compatible server of one's own may want none, but the SDK insists on one


class ProviderSettingsError(SettingsError, ValueError):
    """The settings do not make a usable provider; the message names the variable to set."""


def build_provider(settings: Settings, *, allow_mock: bool = False) -> Provider:
    """The configured provider. The mock is refused unless `TESLASYNC_DEMO` is on or a test passes
    `allow_mock=True`: its answers are made up, which must never pass for a real model's."""
    timeout_s = settings.helix_timeout_s
    match settings.helix_provider:
        case HelixProviderKind.OLLAMA:
            return OllamaProvider(base_url=settings.ollama_url, timeout_s=timeout_s)
        case HelixProviderKind.OPENAI:
            key = _secret(settings.openai_api_key)
            if not key and not settings.openai_base_url:
                raise ProviderSettingsError("TESLASYNC_HELIX_PROVIDER=openai needs TESLASYNC_OPENAI_API_KEY")
            return OpenAIProvider(
                api_key=key or _NO_KEY, base_url=settings.openai_base_url, timeout_s=timeout_s
            )
        case HelixProviderKind.AZURE:
            key = _secret(settings.azure_openai_api_key)
            if not settings.azure_openai_endpoint or not key:
                raise ProviderSettingsError(
                    "TESLASYNC_HELIX_PROVIDER=azure needs TESLASYNC_AZURE_OPENAI_ENDPOINT and "
                    "TESLASYNC_AZURE_OPENAI_API_KEY"
                )
            return AzureOpenAIProvider(
                endpoint=settings.azure_openai_endpoint,
                api_key=key,
                api_version=settings.azure_openai_api_version,
                timeout_s=timeout_s,
            )
        case HelixProviderKind.ANTHROPIC:
            key = _secret(settings.anthropic_api_key)
            if not key:
                raise ProviderSettingsError(
                    "TESLASYNC_HELIX_PROVIDER=anthropic needs TESLASYNC_ANTHROPIC_API_KEY"
                )
            return AnthropicProvider(api_key=key, base_url=settings.anthropic_base_url, timeout_s=timeout_s)
        case HelixProviderKind.MOCK:
            if not (settings.demo or allow_mock):
                raise ProviderSettingsError(
                    "TESLASYNC_HELIX_PROVIDER=mock: the mock provider is for development and tests only "
                    "(its answers are made up); it is allowed with TESLASYNC_DEMO=true"
                )
            return MockProvider()
    raise ProviderSettingsError(f"TESLASYNC_HELIX_PROVIDER: unknown provider {settings.helix_provider!r}")


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value is not None else ""
