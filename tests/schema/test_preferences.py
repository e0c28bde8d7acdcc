"""Display preferences kept with the user: saved whole, read back on any device (`me`), each bad value refused
by its input field's name, and none for demo mode's anonymous caller."""

from __future__ import annotations

from pathlib import Path

from httpx import AsyncClient

from teslasync.db.engine import Database
from teslasync.resolvers.preferences import DistanceUnit, Preferences
from tests.auth.helpers import PROXY, TRUSTED, as_user, gql
from tests.conftest import client_for, make_settings

FIELDS = "locale distanceUnit temperatureUnit pressureUnit currency timeZone mapTileUrl mapTileAttribution"
SET = f"""
mutation($input: PreferencesInput!) {{
  setPreferences(input: $input) {{
    preferences {{ {FIELDS} }}
    errors {{ __typename ... on InvalidInput {{ field message }} }}
  }}
}}"""
ME = f"{{ me {{ user {{ username }} preferences {{ {FIELDS} }} }} }}"
ADA = as_user("ada")
BEN = as_user("ben")
UNSET = dict.fromkeys(FIELDS.split())


def _client(db: Database, tmp_path: Path) -> AsyncClient:
    settings = make_settings(tmp_path, forward_auth="authelia", trusted_proxies=TRUSTED)
    return client_for(settings, db, client_host=PROXY)


async def test_saved_whole_and_read_back_by_that_user_only(db: Database, tmp_path: Path) -> None:
    chosen = {
        "locale": "en-GB",
        "distanceUnit": "MI",
        "temperatureUnit": "CELSIUS",
        "pressureUnit": "PSI",
        "currency": "GBP",
        "timeZone": "Europe/London",
        "mapTileUrl": "https://tiles.example/{z}/{x}/{y}.png",
        "mapTileAttribution": "© Example",
    }
    async with _client(db, tmp_path) as client:
        assert (await gql(client, ME, headers=ADA))["data"]["me"]["preferences"] == UNSET
        saved = (await gql(client, SET, {"input": chosen}, headers=ADA))["data"]["setPreferences"]
        assert saved == {"preferences": chosen, "errors": []}
        assert (await gql(client, ME, headers=ADA))["data"]["me"]["preferences"] == chosen
        assert (await gql(client, ME, headers=BEN))["data"]["me"]["preferences"] == UNSET
        # whole: what is left out (or empty) is unset again
        again = {"input": {"distanceUnit": "KM", "currency": " ", "locale": None}}
        saved = (await gql(client, SET, again, headers=ADA))["data"]["setPreferences"]
        assert saved["preferences"] == {**UNSET, "distanceUnit": "KM"}
        assert (await gql(client, ME, headers=ADA))["data"]["me"]["preferences"] == {
            **UNSET,
            "distanceUnit": "KM",
        }


async def test_each_bad_value_is_refused_by_name_and_nothing_is_saved(db: Database, tmp_path: Path) -> None:
    bad = {
        "locale": "english please",
        "currency": "euro",
        "timeZone": "Mars/Olympus_Mons",
        "mapTileUrl": "https://tiles.example/{z}/{x}.png",
        "mapTileAttribution": "two\nlines",
        "distanceUnit": "MI",
    }
    async with _client(db, tmp_path) as client:
        result = (await gql(client, SET, {"input": bad}, headers=ADA))["data"]["setPreferences"]
        assert result["preferences"] is None
        assert [(e["__typename"], e["field"]) for e in result["errors"]] == [
            ("InvalidInput", "locale"),
            ("InvalidInput", "currency"),
            ("InvalidInput", "timeZone"),
            ("InvalidInput", "mapTileUrl"),
            ("InvalidInput", "mapTileAttribution"),
        ]
        assert "lacks {y}" in result["errors"][3]["message"]
        assert (await gql(client, ME, headers=ADA))["data"]["me"]["preferences"] == UNSET


async def test_an_unknown_unit_is_refused_by_the_schema(db: Database, tmp_path: Path) -> None:
    async with _client(db, tmp_path) as client:
        body = await gql(client, SET, {"input": {"distanceUnit": "FURLONG"}}, headers=ADA)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_VARIABLE"
    assert error["message"].startswith("Variable '$input' has invalid value at .distanceUnit: ")
    assert "FURLONG" in error["message"]


async def test_demo_modes_anonymous_caller_has_none(client: AsyncClient) -> None:
    body = await gql(client, ME)
    assert body["data"]["me"] == {"user": None, "preferences": None}
    result = (await gql(client, SET, {"input": {"currency": "EUR"}}))["data"]["setPreferences"]
    assert result["preferences"] is None
    assert result["errors"][0]["field"] == "input"


def test_a_stored_value_that_no_longer_reads_is_left_unset() -> None:
    stored = {"distance_unit": "mi", "pressure_unit": "furlongs", "currency": "EUR", "locale": 7}
    assert Preferences.from_doc(stored) == Preferences(distance_unit=DistanceUnit.MI, currency="EUR")
    assert Preferences.from_doc(None) == Preferences()
    assert Preferences(distance_unit=DistanceUnit.MI, currency="EUR").to_doc() == {
        "distance_unit": "mi",
        "currency": "EUR",
    }
