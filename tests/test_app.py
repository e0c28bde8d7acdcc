from __future__ import annotations

from pathlib import Path

from httpx import AsyncClient

from teslasync.auth.principal import Scope
from teslasync.auth.tokens import create_token
from teslasync.db.engine import Database
from teslasync.db.repositories.vehicles import ensure_vehicle
from tests.conftest import client_for, make_settings

VEHICLES = {"query": "{ vehicles { vin displayName model state } }"}


async def _add_vehicle(db: Database, vin: str, name: str | None = None) -> None:
    async with db.transaction() as session:
        await ensure_vehicle(session, vin, model="Model Y", display_name=name)


async def _token(db: Database, *scopes: Scope) -> str:
    async with db.transaction() as session:
        return (await create_token(session, "test", list(scopes))).token


async def test_demo_mode_serves_vehicles_to_loopback(client: AsyncClient, db: Database) -> None:
    await _add_vehicle(db, "7SAYGDEE1PF000002", "Blue")
    response = await client.post("/graphql", json=VEHICLES)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert {
        "vin": "7SAYGDEE1PF000002",
        "displayName": "Blue",
        "model": "Model Y",
        "state": "UNKNOWN",
    } in body["data"]["vehicles"]


async def test_vehicle_by_vin_and_unknown_vin(client: AsyncClient, db: Database) -> None:
    await _add_vehicle(db, "7SAYGDEE1PF000003", "Red")
    query = "query($vin: String!) { vehicle(vin: $vin) { vin displayName } }"
    found = await client.post("/graphql", json={"query": query, "variables": {"vin": "7saygdee1pf000003"}})
    assert found.json()["data"]["vehicle"] == {"vin": "7SAYGDEE1PF000003", "displayName": "Red"}
    missing = await client.post("/graphql", json={"query": query, "variables": {"vin": "7SAYGDEE1PF999999"}})
    assert missing.json() == {"data": {"vehicle": None}}


async def test_outside_demo_mode_nothing_is_anonymous(tmp_path: Path, db: Database) -> None:
    async with client_for(make_settings(tmp_path, demo=False), db) as client:
        response = await client.post("/graphql", json=VEHICLES)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_demo_mode_refuses_anonymous_callers_not_on_loopback(tmp_path: Path, db: Database) -> None:
    async with client_for(make_settings(tmp_path, demo=True), db, client_host="192.0.2.10") as client:
        response = await client.post("/graphql", json=VEHICLES)
    assert response.status_code == 401


async def test_bearer_token_grants_access(tmp_path: Path, db: Database) -> None:
    await _add_vehicle(db, "7SAYGDEE1PF000004")
    token = await _token(db, Scope.READ)
    async with client_for(make_settings(tmp_path, demo=False), db, client_host="192.0.2.10") as client:
        response = await client.post("/graphql", json=VEHICLES, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "7SAYGDEE1PF000004" in {vehicle["vin"] for vehicle in response.json()["data"]["vehicles"]}


async def test_a_bad_token_is_refused_even_in_demo_mode(client: AsyncClient) -> None:
    for header in ("Bearer tsk_abc_def", "Basic dXNlcjpwdw==", "Bearer "):
        response = await client.post("/graphql", json=VEHICLES, headers={"Authorization": header})
        assert response.status_code == 401, header


async def test_validation_errors_are_precise_and_coded(client: AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ vehicles { vin horsepower } }"})
    error = response.json()["errors"][0]
    assert "horsepower" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["locations"] == [{"line": 1, "column": 18}]


async def test_graphiql_only_when_enabled(tmp_path: Path, db: Database, client: AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    async with client_for(make_settings(tmp_path, demo=False), db) as production:
        closed = await production.get("/graphql", headers={"Accept": "text/html"})
    assert closed.status_code == 401


async def test_healthz(client: AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_checks_database_redis_and_mqtt(
    tmp_path: Path, db: Database, redis_port: int, mqtt_port: int
) -> None:
    settings = make_settings(
        tmp_path, redis_url=f"redis://127.0.0.1:{redis_port}/0", mqtt_url=f"mqtt://127.0.0.1:{mqtt_port}"
    )
    async with client_for(settings, db) as client:
        response = await client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "mqtt": True,
    }


async def test_readyz_reports_what_is_down(tmp_path: Path, db: Database) -> None:
    from tests.services import free_port

    settings = make_settings(
        tmp_path,
        redis_url=f"redis://:pw-in-url@127.0.0.1:{free_port()}/0",
        mqtt_url=f"mqtt://127.0.0.1:{free_port()}",
    )
    async with client_for(settings, db) as client:
        response = await client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["mqtt"]["ok"] is False
    assert "pw-in-url" not in response.text


async def test_metrics_count_requests_and_operations(client: AsyncClient) -> None:
    await client.post("/graphql", json=VEHICLES)
    text = (await client.get("/metrics")).text
    assert 'teslasync_http_requests_total{route="/graphql",status="200"}' in text
    assert 'teslasync_graphql_operations_total{outcome="ok",type="query"}' in text
    assert 'teslasync_build_info{version="0.1.0"} 1.0' in text
