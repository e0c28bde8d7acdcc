"""The web app served at `/`: its files, `index.html` for the app's own pages, 404 for anything else, and a
page saying how to build it when there is no build; API routes are untouched."""

from __future__ import annotations

from pathlib import Path

from httpx import ASGITransport, AsyncClient

from teslasync.app import create_app
from teslasync.db.engine import Database
from teslasync.webclient import client_dir
from tests.conftest import make_settings


def _build(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root / "secret.txt").write_text("outside the build")
    return dist


def _client(app: object) -> AsyncClient:
    return AsyncClient(transport=ASGITransport(app=app), base_url="http://teslasync.test")  # type: ignore[arg-type]


async def test_the_build_is_served_with_the_app_routing_itself(tmp_path: Path, db: Database) -> None:
    dist = _build(tmp_path)
    settings = make_settings(tmp_path, demo=True, client_dir=dist)
    async with _client(create_app(settings, db, dispose_on_shutdown=False)) as http:
        index = await http.get("/", headers={"accept": "text/html"})
        assert index.status_code == 200 and "id=root" in index.text
        asset = await http.get("/assets/index-abc123.js")
        assert asset.text == "console.log('app')" and "immutable" in asset.headers["cache-control"]
        page = await http.get("/vehicles/5YJ3E7EB2NF000001/live", headers={"accept": "text/html"})
        assert page.status_code == 200 and "id=root" in page.text  # a client route: the app handles it
        assert (await http.get("/assets/missing.js")).status_code == 404
        assert (await http.get("/../secret.txt")).status_code == 404
        assert (await http.get("/%2e%2e/secret.txt")).status_code == 404
        healthz = await http.get("/healthz")
        assert healthz.json()["status"] == "ok"
        graphql = await http.post("/graphql", json={"query": "{ vehicles { vin } }"})
        assert graphql.status_code == 200 and "data" in graphql.json()


async def test_without_a_build_the_root_says_how_to_get_one(tmp_path: Path, db: Database) -> None:
    settings = make_settings(tmp_path, demo=True, client_dir=tmp_path / "nothing")
    app = create_app(settings, db, dispose_on_shutdown=False)
    async with _client(app) as http:
        root = await http.get("/")
        assert root.status_code == 200 and "make client" in root.text
        assert (await http.get("/anything", headers={"accept": "text/html"})).status_code == 404


def test_the_build_is_found_in_the_repository_or_the_package(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "teslasync"
    assert client_dir(None, package) is None
    (package / "_client").mkdir(parents=True)
    (package / "_client" / "index.html").write_text("x")
    assert client_dir(None, package) == package / "_client"
    assert client_dir(_build(tmp_path), package) == (tmp_path / "dist").resolve()
    assert (
        client_dir(tmp_path / "elsewhere", package) is None
    )  # a configured directory is the only one looked at
