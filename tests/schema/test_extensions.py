"""The unit of work: a query reads outside a transaction and takes a connection only if it reads something;
a mutation runs in a transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from teslasync.db.engine import Database
from tests.conftest import client_for, make_settings


async def test_graphql_queries_run_outside_a_transaction_and_mutations_inside_one(
    tmp_path: Path, fresh_db: Database
) -> None:
    seen: list[bool] = []

    def record(connection: Any, *_: Any) -> None:
        seen.append(connection.connection.driver_connection.is_in_transaction())

    event.listen(fresh_db.engine.sync_engine, "after_cursor_execute", record)
    async with client_for(make_settings(tmp_path, demo=True), fresh_db) as client:
        query = await client.post("/graphql", json={"query": "{ tariffs { name } vehicles { vin } }"})
        assert "errors" not in query.json(), query.json()
        queried, seen[:] = list(seen), []
        mutation = await client.post(
            "/graphql",
            json={
                "query": 'mutation { createTariff(input: {name: "Home", currency: "EUR", timezone: "Europe/Berlin", pricePerKwh: "0.32"}) { tariff { name } errors { ... on InvalidInput { field message } } } }'
            },
        )
        saved = mutation.json()["data"]["createTariff"]
        assert saved["tariff"] == {"name": "Home"}, saved
    event.remove(fresh_db.engine.sync_engine, "after_cursor_execute", record)
    assert queried and not any(queried)
    assert seen and all(seen)


async def test_a_query_that_reads_nothing_takes_no_connection_and_one_that_reads_gives_it_back(
    tmp_path: Path, fresh_db: Database
) -> None:
    checkouts: list[object] = []
    pool = fresh_db.engine.sync_engine.pool

    def record(*_: Any) -> None:
        checkouts.append(_)

    event.listen(pool, "checkout", record)
    try:
        async with client_for(make_settings(tmp_path, demo=True), fresh_db) as client:
            nothing = await client.post("/graphql", json={"query": "{ __typename clientConfig { demo } }"})
            assert nothing.json() == {"data": {"__typename": "Query", "clientConfig": {"demo": True}}}
            assert checkouts == []
            vehicles = await client.post("/graphql", json={"query": "{ vehicles { vin } }"})
            assert vehicles.json() == {"data": {"vehicles": []}}
            assert len(checkouts) == 1
    finally:
        event.remove(pool, "checkout", record)
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
