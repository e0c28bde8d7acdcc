"""Connecting a Tesla account as an owner would: the mutation gives Tesla's sign-in URL, Tesla sends the
browser back to /auth/tesla/callback, the account is connected; bad input is refused naming the field."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from teslasync.db.engine import Database
from tests.auth.helpers import PROXY, TRUSTED, as_user, gql
from tests.conftest import client_for, make_settings
from tests.fleet.fake_tesla import fake_tesla

CONNECT = """
mutation($input: TeslaAppInput!) {
  connectTeslaAccount(input: $input) {
    account { id status clientId } authorizeUrl
    errors { __typename ... on InvalidInput { field message } }
  }
}"""
ACCOUNTS = "{ teslaAccounts { id status region clientId accessExpiresAt } }"


async def test_connect_through_the_sign_in_and_callback(fresh_db: Database, tmp_path: Path) -> None:
    async with fake_tesla(region="eu") as tesla:
        settings = make_settings(
            tmp_path,
            forward_auth="authelia",
            trusted_proxies=TRUSTED,
            tesla_authorize_url=tesla.endpoints.authorize_url,
            tesla_token_url=tesla.endpoints.token_url,
            tesla_fleet_api_url=tesla.base_url,
        )
        ada = as_user("ada")
        app = {
            "clientId": tesla.client_id,
            "clientSecret": tesla.client_secret,
            "redirectUri": tesla.redirect_uris[0],
        }
        async with client_for(settings, fresh_db, client_host=PROXY) as client:
            started = (await gql(client, CONNECT, {"input": app}, ada))["data"]["connectTeslaAccount"]
            assert started["errors"] == [] and started["account"]["status"] == "PENDING".lower()
            async with httpx.AsyncClient() as browser:
                sign_in = await browser.get(started["authorizeUrl"])
            back = urlsplit(sign_in.headers["location"])
            callback = await client.get(f"/auth/tesla/callback?{back.query}")
            assert callback.status_code == 200 and "connected" in callback.text
            replay = await client.get(f"/auth/tesla/callback?{back.query}")
            assert replay.status_code == 400
            listed = (await gql(client, ACCOUNTS, headers=ada))["data"]["teslaAccounts"]
            others = (await gql(client, ACCOUNTS, headers=as_user("ben")))["data"]["teslaAccounts"]
            bad = await gql(client, CONNECT, {"input": {**app, "redirectUri": "http://example.org/cb"}}, ada)
            denied = await client.get("/auth/tesla/callback?error=access_denied&state=x")
    assert [(a["status"], a["region"], a["clientId"]) for a in listed] == [
        ("connected", "eu", tesla.client_id)
    ]
    assert listed[0]["accessExpiresAt"] is not None
    assert others == []  # ben sees none of ada's accounts
    assert bad["data"]["connectTeslaAccount"]["errors"][0]["field"] == "redirectUri"
    assert denied.status_code == 400 and "access_denied" in denied.text
    assert parse_qs(back.query)["state"]
