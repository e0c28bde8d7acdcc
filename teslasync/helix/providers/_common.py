"""What the adapters share: an HTTP status turned into a typed Helix error (without leaking a key), the
Retry-After of a 429, and the JSON a model gave as structured output or tool arguments."""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from teslasync.helix.errors import (
    BadOutput,
    HelixError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)

_KEYLIKE = re.compile(r"\b(?:sk|key)-[A-Za-z0-9_*.\-]{6,}")
_DETAIL_CHARS = 200


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the configured secrets nor anything shaped like an API key (providers echo a masked
    key in their 401 messages), cut to a line's length."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = " ".join(_KEYLIKE.sub("[redacted]", text).split())
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def error_detail(body: object, fallback: str = "") -> str:
    """The human part of a provider's error body: OpenAI's `{"error": {"message"}}` (or the SDK's
    unwrapped `{"message"}`), Anthropic's `{"type": "error", "error": {"message"}}`, Ollama's `{"error"}`."""
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            return error_detail(inner, fallback)
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str):
                return str(body[key])
    if isinstance(body, str) and body.strip():
        return body
    return fallback


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date; None when absent."""
    if not headers:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is None:
                continue
            seconds = email.utils.mktime_tz(parsed) - time.time()
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    return None


def status_error(
    provider: str,
    status: int,
    detail: str = "",
    *,
    retry_after_s: float | None = None,
    secrets: Iterable[str] = (),
) -> HelixError:
    """The typed error for an HTTP status: 429 rate limited, 408 timeout, 5xx (and Anthropic's 529)
    unavailable, any other 4xx rejected. A 401 says only that the key was refused: its body may quote it."""
    if status == 429:
        return ProviderRateLimited(f"{provider} is rate limiting requests (429)", retry_after_s)
    if status == 408:
        return ProviderTimeout(f"{provider} timed out (408)")
    if status >= 500:
        return ProviderUnavailable(f"{provider} is unavailable ({status})")
    if status == 401:
        return ProviderRejected(f"{provider} refused the API key (401)")
    text = redact(detail, secrets)
    return ProviderRejected(f"{provider} rejected the request ({status})" + (f": {text}" if text else ""))


def parse_json_output(provider: str, text: str) -> Any:
    """Structured output as JSON; BadOutput when the model did not give JSON (e.g. cut off by the token
    limit)."""
    try:
        return json.loads(text)
    except ValueError:
        raise BadOutput(f"{provider}'s answer is not the JSON that was asked for") from None


def parse_arguments(provider: str, name: str, text: str | None) -> dict[str, Any]:
    """A tool call's arguments as given in JSON text: an object, or BadOutput."""
    if not text or not text.strip():
        return {}
    try:
        arguments = json.loads(text)
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict):
        raise BadOutput(f"{provider} called '{name}' with arguments that are not a JSON object")
    return arguments
