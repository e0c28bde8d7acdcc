"""GraphQL metrics by operation: duration and errors per operation name, with a bound on the names."""

from __future__ import annotations

from httpx import AsyncClient
from prometheus_client import REGISTRY

from teslasync.observability import metrics


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_operations_are_timed_and_errors_counted_by_name(client: AsyncClient) -> None:
    count = "teslasync_graphql_operation_seconds_count"
    errors = "teslasync_graphql_operation_errors_total"
    before = _sample(count, type="query", operation="Cars"), _sample(errors, type="query", operation="Broken")
    await client.post("/graphql", json={"query": "query Cars { vehicles { vin } }", "operationName": "Cars"})
    broken = "query Broken { auditLog(first: 0) { edges { cursor } } }"  # BAD_PAGE, always
    await client.post("/graphql", json={"query": broken, "operationName": "Broken"})
    assert _sample(count, type="query", operation="Cars") == before[0] + 1
    assert _sample(errors, type="query", operation="Broken") == before[1] + 1


def test_operation_names_are_bounded() -> None:
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("x" * 65) == "other"
    saved = set(metrics._OPERATION_NAMES)
    try:
        for i in range(metrics.MAX_OPERATION_NAMES + 5):
            metrics.operation_label(f"Generated{i}")
        assert metrics.operation_label("YetAnother") == "other"
        assert metrics.operation_label("Generated0") in ("Generated0", "other")
    finally:
        metrics._OPERATION_NAMES.clear()
        metrics._OPERATION_NAMES.update(saved)
