"""One HTTP request to a provider, its failure mapped to `DeliveryFailed` the same way for every channel.

Timeouts, dropped connections, 5xx, 408 and 429 are retryable: the provider may take the message later. A
redirect is not followed (a webhook that moved must be reconfigured, and following it would resend the
credentials elsewhere); it and every other 4xx are permanent. An untrusted TLS certificate is permanent too:
waiting does not make it trusted. Each message keeps the provider's own words, scrubbed of secrets.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence

import httpx

from teslasync.fleet.oauth import parse_retry_after
from teslasync.notify.channels.base import DeliveryFailed, DestinationGone, scrub, shorten

MAX_ERROR_TEXT = 300
RETRYABLE_STATUSES = frozenset({408, 429})

ErrorText = Callable[[httpx.Response], str]
RetryAfter = Callable[[httpx.Response], float | None]


def json_body(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:  # also UnicodeDecodeError
        return None


def error_text(response: httpx.Response) -> str:
    """The provider's own words: a JSON body's usual error keys, else the start of the body."""
    body = json_body(response)
    if isinstance(body, dict):
        for key in ("message", "description", "error", "error_description"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return response.text[:MAX_ERROR_TEXT] or response.reason_phrase


def header_retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("retry-after"))


def seconds(value: object) -> float | None:
    """A non-negative number of seconds from a JSON value, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def failure(
    response: httpx.Response,
    *,
    provider: str,
    secrets: Sequence[str],
    text: ErrorText = error_text,
    retry_after: RetryAfter = header_retry_after,
    gone: frozenset[int] = frozenset(),
) -> DeliveryFailed:
    """`gone`: the statuses by which this provider says the destination itself no longer exists."""
    status = response.status_code
    said = shorten(scrub(text(response), secrets), MAX_ERROR_TEXT)
    if status in gone:
        return DestinationGone(f"{provider} says the destination no longer exists (HTTP {status}): {said}")
    if is_retryable_status(status):
        wait = retry_after(response) if status in (429, 503) else None
        return DeliveryFailed(
            f"{provider} could not take the message now (HTTP {status}): {said}",
            retryable=True,
            retry_after_s=wait,
        )
    if 300 <= status <= 399:
        return DeliveryFailed(
            f"{provider} answered with a redirect (HTTP {status}): check the configured URL", retryable=False
        )
    return DeliveryFailed(f"{provider} refused the message (HTTP {status}): {said}", retryable=False)


def _untrusted_certificate(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def deliver(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    provider: str,
    secrets: Sequence[str],
    text: ErrorText = error_text,
    retry_after: RetryAfter = header_retry_after,
    gone: frozenset[int] = frozenset(),
) -> httpx.Response:
    """Send `request`; the response if it is a 2xx, else `DeliveryFailed`. The cause is not chained: an
    httpx error holds the request, and with it any token in the URL or headers."""
    try:
        response = await http.send(request, follow_redirects=False)
    except httpx.TimeoutException:
        raise DeliveryFailed(f"{provider} did not answer in time", retryable=True) from None
    except httpx.RequestError as error:
        said = scrub(str(error) or type(error).__name__, secrets)
        if _untrusted_certificate(error):
            raise DeliveryFailed(
                f"{provider}'s TLS certificate is not trusted: {said}", retryable=False
            ) from None
        raise DeliveryFailed(f"could not reach {provider}: {said}", retryable=True) from None
    if response.is_success:
        return response
    raise failure(response, provider=provider, secrets=secrets, text=text, retry_after=retry_after, gone=gone)
