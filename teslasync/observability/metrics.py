"""Prometheus metrics. One module, so every metric's name is defined once."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from teslasync import __version__

BUILD_INFO = Gauge("teslasync_build_info", "TeslaSync version", ["version"])
BUILD_INFO.labels(version=__version__).set(1)

HTTP_REQUESTS = Counter("teslasync_http_requests_total", "HTTP requests served", ["route", "status"])
HTTP_LATENCY = Histogram("teslasync_http_request_seconds", "HTTP request latency", ["route"])
GRAPHQL_OPERATIONS = Counter(
    "teslasync_graphql_operations_total", "GraphQL operations executed", ["type", "outcome"]
)
AUTH_FAILURES = Counter("teslasync_auth_failures_total", "Refused authentications", ["reason"])


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
