"""Traces as an operator sees them: `teslasync serve` with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP
collector (a real HTTP server on loopback) exports the request, its GraphQL operation and its SQL as one
trace, continuing the caller's `traceparent`; the request id a client sees is that trace id."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.services import free_port
from tests.test_server import _stop, serving

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@contextmanager
def collector() -> Iterator[tuple[str, list[Span]]]:
    spans: list[Span] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource in request.resource_spans:
                for scope in resource.scope_spans:
                    spans.extend(scope.spans)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", spans
    finally:
        server.shutdown()


def test_a_request_is_one_trace_from_http_to_sql(tmp_path: Path) -> None:
    port = free_port()
    with collector() as (endpoint, spans):
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        with serving(tmp_path / "data", port, "--demo", **env) as process:
            response = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": "query Cars { vehicles { vin } }", "operationName": "Cars"},
                headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
                timeout=10,
            )
            assert response.status_code == 200 and response.headers["x-request-id"] == TRACE_ID
            code, _, stderr = _stop(process, signal.SIGTERM)  # shutdown flushes what is buffered
        assert code == 0, stderr
    ours = [span for span in spans if span.trace_id.hex() == TRACE_ID]
    by_id = {span.span_id: span for span in ours}
    names = {span.name for span in ours}
    assert {"POST /graphql", "graphql query Cars", "resolve Query.vehicles"} <= names, names
    server = next(span for span in ours if span.name == "POST /graphql")
    operation = next(span for span in ours if span.name == "graphql query Cars")
    assert server.kind == Span.SPAN_KIND_SERVER and server.parent_span_id.hex() == "00f067aa0ba902b7"
    assert operation.parent_span_id == server.span_id
    sql = [span for span in ours if span.name.startswith("db ")]
    assert sql, names

    def ancestors(span: Span) -> list[bytes]:
        chain = []
        while span.parent_span_id in by_id:
            span = by_id[span.parent_span_id]
            chain.append(span.span_id)
        return chain

    assert any(operation.span_id in ancestors(span) for span in sql)
    resolver = next(span for span in ours if span.name == "resolve Query.vehicles")
    assert operation.span_id in ancestors(resolver)
    assert any(resolver.span_id in ancestors(span) for span in sql)  # the field's SQL hangs off its span
