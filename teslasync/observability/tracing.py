"""Request ids and OpenTelemetry traces.

Every HTTP request and WebSocket gets a request id: the client's `X-Request-ID` when it is a sane token,
else a new one. With tracing on, the request id *is* the trace id (32 hex digits), so the id a client sees
in an error (`extensions.requestId`) finds the log lines and the trace alike.

Tracing is on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (OTLP over HTTP, the standard `OTEL_*` variables
apply), and off, costing nothing, otherwise. Spans: the HTTP request (W3C `traceparent` from the caller is
honoured), the GraphQL operation, each SQL statement, and work carried on in the background (a command's
run is a child of the request that sent it).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

SERVICE_NAME = "teslasync"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

request_id: ContextVar[str | None] = ContextVar("teslasync_request_id", default=None)
tracer = trace.get_tracer("teslasync")
_configured = [False]


def tracing_enabled() -> bool:
    return _configured[0]


def configure_tracing(service_version: str) -> bool:
    """Install the OTLP exporter when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; whether tracing is on."""
    if _configured[0] or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _configured[0]
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": SERVICE_NAME, "service.version": service_version})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured[0] = True
    return True


def shutdown_tracing() -> None:
    """Flush what is buffered (at shutdown)."""
    provider: Any = trace.get_tracer_provider()
    if _configured[0] and hasattr(provider, "shutdown"):
        provider.shutdown()


def new_request_id(given: str | None) -> str:
    """The id of this request: the current trace's when tracing, else the client's when sane, else new."""
    span = trace.get_current_span()
    context = span.get_span_context()
    if context.is_valid:
        return f"{context.trace_id:032x}"
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def current_request_id() -> str:
    """For an error the client sees: the request's id, or a fresh one outside a request."""
    return request_id.get() or uuid.uuid4().hex[:12]


def trace_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) of the current span, for log lines."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


@contextmanager
def server_span(name: str, headers: dict[str, str], attributes: dict[str, Any]) -> Iterator[Span]:
    """A SERVER span continuing the caller's trace (`traceparent`), current for the block."""
    parent = propagate.extract(headers)
    with tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.SERVER, attributes=attributes
    ) as span:
        yield span


def mark_error(span: Span, description: str) -> None:
    span.set_status(Status(StatusCode.ERROR, description))


def capture() -> otel_context.Context:
    """The current trace context, to carry into background work."""
    return otel_context.get_current()


def inject_context() -> dict[str, str]:
    """The current trace context as W3C headers (`traceparent`), for work that runs in another process."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_context(carrier: dict[str, str] | None) -> otel_context.Context | None:
    return propagate.extract(carrier) if carrier else None


@contextmanager
def resumed(carried: otel_context.Context | None, name: str, **attributes: Any) -> Iterator[Span]:
    """A span for background work, a child of the span that was current when `carried` was captured."""
    with tracer.start_as_current_span(name, context=carried, attributes=attributes) as span:
        yield span


def instrument_engine(engine: Any) -> None:
    """A CLIENT span per SQL statement on this engine (an `AsyncEngine` or a sync `Engine`)."""
    from sqlalchemy import event

    sync_engine = getattr(engine, "sync_engine", engine)

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(
            f"db {verb}",
            kind=SpanKind.CLIENT,
            attributes={"db.system": "postgresql", "db.statement": statement[:2000]},
        )
        if context is not None:
            context._teslasync_span = span

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _end(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        span = getattr(context, "_teslasync_span", None)
        if span is not None:
            span.end()

    @event.listens_for(sync_engine, "handle_error")
    def _failed(exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, "_teslasync_span", None)
        if span is not None:
            mark_error(span, type(exception_context.original_exception).__name__)
            span.end()
