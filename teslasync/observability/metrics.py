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
RATE_LIMITED = Counter("teslasync_rate_limited_total", "Requests refused by a rate limit", ["kind"])
RATE_LIMIT_BACKEND_ERRORS = Counter(
    "teslasync_rate_limit_backend_errors_total",
    "Rate-limit checks answered in-process because Redis failed",
)


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


MESSAGES_IN = Counter("teslasync_telemetry_messages_total", "Telemetry messages received", ["source"])
SIGNALS_STORED = Counter("teslasync_telemetry_signals_stored_total", "Telemetry values made durable")
DEAD_LETTERS = Counter(
    "teslasync_telemetry_dead_letters_total", "Telemetry messages dead-lettered", ["reason"]
)
UNKNOWN_FIELDS = Counter(
    "teslasync_telemetry_unknown_fields_total", "Values of fields the catalogue lacks (kept raw)"
)
INGEST_QUEUE_DEPTH = Gauge("teslasync_telemetry_queue_batches", "Batches waiting for the writer")
INGEST_LAG = Histogram(
    "teslasync_telemetry_lag_seconds",
    "Time from a batch's arrival to its acknowledgement",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
INGEST_BATCH_SECONDS = Histogram(
    "teslasync_telemetry_write_seconds", "Time to store and fan out one writer batch"
)
INGEST_WRITE_RETRIES = Counter("teslasync_telemetry_write_retries_total", "Database writes retried")
STALE_VEHICLES = Gauge("teslasync_telemetry_stale_vehicles", "Vehicles whose stream is stale")
FANOUT_PUBLISH_FAILURES = Counter("teslasync_fanout_publish_failures_total", "Fan-out publishes that failed")
L2_FAILURES = Counter("teslasync_l2_write_failures_total", "Latest-value cache (Redis) writes that failed")

# derivations (drives, charging sessions, states)
DERIVATION_REBUILDS = Counter(
    "teslasync_derivation_rebuilds_total",
    "Vehicle derivations rebuilt from stored signals (start-up, late or out-of-order samples)",
)
DERIVATION_FAILURES = Counter(
    "teslasync_derivation_failures_total", "Derivation steps that failed (the vehicle is rebuilt)"
)

# circuit breakers in front of Tesla's upstreams (fleet/breaker.py)
CIRCUIT_BREAKER_STATE = Gauge(
    "teslasync_circuit_breaker_state",
    "Circuit breaker state per upstream: 0 closed (calling), 1 open (not calling), 2 half-open (trial calls)",
    ["upstream"],
)
CIRCUIT_BREAKER_TRANSITIONS = Counter(
    "teslasync_circuit_breaker_transitions_total",
    "Circuit breaker state changes, by the state entered",
    ["upstream", "to"],
)
CIRCUIT_BREAKER_REJECTIONS = Counter(
    "teslasync_circuit_breaker_rejections_total",
    "Calls refused without calling the upstream because its circuit breaker was open",
    ["upstream"],
)
COMMANDS = Counter(
    "teslasync_vehicle_commands_total",
    "Vehicle commands that ended, by outcome (succeeded, failed, or the failure's code)",
    ["outcome"],
)
GRAPHQL_OPERATION_SECONDS = Histogram(
    "teslasync_graphql_operation_seconds",
    "GraphQL operation execution time, by type and operation name (names beyond the first 200 are 'other')",
    ["type", "operation"],
)
GRAPHQL_OPERATION_ERRORS = Counter(
    "teslasync_graphql_operation_errors_total",
    "GraphQL operations that ended in errors, by type and operation name",
    ["type", "operation"],
)
JOBS_QUEUED = Gauge("teslasync_jobs_queued", "Jobs waiting in a queue", ["queue"])
JOBS_RUNNING = Gauge("teslasync_jobs_running", "Jobs running in this process", ["queue"])
JOBS_FINISHED = Counter(
    "teslasync_jobs_total", "Jobs finished in this process, by outcome", ["queue", "function", "outcome"]
)
JOB_SECONDS = Histogram(
    "teslasync_job_duration_seconds",
    "How long a job ran",
    ["queue", "function"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800, 7200),
)
SCHEDULED_RUNS = Counter(
    "teslasync_scheduler_runs_total", "Scheduled task runs in this process, by outcome", ["task", "outcome"]
)
SUBSCRIPTIONS_OPEN = Gauge("teslasync_graphql_subscriptions_open", "GraphQL subscriptions running now")

_OPERATION_NAMES: set[str] = set()
MAX_OPERATION_NAMES = 200  # clients choose the names: a bound keeps the label set (and memory) finite


def operation_label(name: str | None) -> str:
    """The operation name as a label: anonymous ones are 'anonymous', new names past the bound 'other'."""
    if not name:
        return "anonymous"
    if name in _OPERATION_NAMES:
        return name
    if len(_OPERATION_NAMES) >= MAX_OPERATION_NAMES or len(name) > 64:
        return "other"
    _OPERATION_NAMES.add(name)
    return name


# Helix, the AI layer (helix/chain.py): features and models are few and configured, so the labels stay bounded
HELIX_COST = Counter(
    "teslasync_helix_cost_usd_total", "What Helix's provider calls cost, in US dollars", ["feature", "model"]
)
HELIX_CALLS = Counter(
    "teslasync_helix_calls_total",
    "Helix provider calls, by outcome ('ok' or the error's code, such as HELIX_BUDGET_EXCEEDED)",
    ["feature", "outcome"],
)
