"""`clientConfig`: the map tiles the server was configured with reach clients; a bad template is refused at
start by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from teslasync.db.engine import Database
from tests.auth.helpers import gql
from tests.conftest import client_for, make_settings

QUERY = "{ clientConfig { mapTileUrl mapTileAttribution mapMaxZoom demo } }"


async def test_configured_tiles_reach_the_client(tmp_path: Path, db: Database) -> None:
    settings = make_settings(
        tmp_path,
        demo=True,
        map_tile_url="https://{s}.tiles.example/{z}/{x}/{y}{r}.png",
        map_tile_attribution="© Example contributors",
        map_max_zoom=17,
    )
    async with client_for(settings, db) as client:
        body = await gql(client, QUERY)
    assert body["data"]["clientConfig"] == {
        "mapTileUrl": "https://{s}.tiles.example/{z}/{x}/{y}{r}.png",
        "mapTileAttribution": "© Example contributors",
        "mapMaxZoom": 17,
        "demo": True,
    }


async def test_no_tiles_by_default(tmp_path: Path, db: Database) -> None:
    async with client_for(make_settings(tmp_path, demo=True), db) as client:
        body = await gql(client, QUERY)
    assert body["data"]["clientConfig"] == {
        "mapTileUrl": None,
        "mapTileAttribution": None,
        "mapMaxZoom": 19,
        "demo": True,
    }


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("https://tiles.example/{z}/{x}.png", "lacks {y}"),
        ("ftp://tiles.example/{z}/{x}/{y}.png", "scheme must be one of https, http"),
        ("https://tiles.example/{z}/{x}/{y}.png?key={apikey}", "unknown placeholder ({apikey})"),
        ("//tiles.example/{z}/{x}/{y}.png", "scheme must be one of https, http"),
    ],
)
def test_a_bad_template_is_refused(tmp_path: Path, template: str, message: str) -> None:
    with pytest.raises(ValidationError, match="map_tile_url") as error:
        make_settings(tmp_path, map_tile_url=template)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "template",
    [
        "https://tiles.example/{z}/{x}/{-y}.png",
        "/tiles/{z}/{x}/{y}.png",
        "http://{s}.t.example/{z}/{x}/{y}{r}.png",
    ],
)
def test_templates_the_web_app_takes_are_taken(tmp_path: Path, template: str) -> None:
    assert make_settings(tmp_path, map_tile_url=template).map_tile_url == template
