"""Users and sharing through GraphQL: a user sees only the vehicles shared with them, owners share,
administrators manage users; mutations refuse as data naming the argument; limits per principal."""

from __future__ import annotations

from pathlib import Path

from httpx import AsyncClient

from teslasync.db.engine import Database
from teslasync.db.repositories.vehicles import ensure_vehicle
from tests.auth.helpers import PROXY, TRUSTED, as_user, codes, gql
from tests.conftest import client_for, make_settings

VIN_A = "5YJ3E7EB1KF000001"
VIN_B = "5YJ3E7EB1KF000002"
VEHICLES = "{ vehicles { vin } }"
SHARE = """
mutation($vin: String!, $username: String!, $role: VehicleRole!) {
  shareVehicle(vin: $vin, username: $username, role: $role) {
    share { vin username role }
    errors { __typename ... on InvalidInput { field message } ... on NotFoundProblem { field message } }
  }
}"""
BOSS = as_user("boss", "admins")
ADA = as_user("ada")
BEN = as_user("ben")


def _client(db: Database, tmp_path: Path, **more: object) -> AsyncClient:
    settings = make_settings(
        tmp_path,
        forward_auth="authelia",
        trusted_proxies=TRUSTED,
        forward_auth_admin_groups=["admins"],
        **more,
    )
    return client_for(settings, db, client_host=PROXY)


async def _cars(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_vehicle(session, VIN_A)
        await ensure_vehicle(session, VIN_B)


async def _vins(client: AsyncClient, headers: dict[str, str]) -> list[str]:
    return [v["vin"] for v in (await gql(client, VEHICLES, headers=headers))["data"]["vehicles"]]


async def test_users_see_only_what_is_shared_with_them(db: Database, tmp_path: Path) -> None:
    await _cars(db)
    async with _client(db, tmp_path) as client:
        for who in (ADA, BEN):
            await gql(client, "{ me { credential } }", headers=who)  # first sight creates the user
        assert await _vins(client, ADA) == []
        assert set(await _vins(client, BOSS)) >= {VIN_A, VIN_B}

        shared = await gql(client, SHARE, {"vin": VIN_A, "username": "ada", "role": "OWNER"}, BOSS)
        assert shared["data"]["shareVehicle"] == {
            "share": {"vin": VIN_A, "username": "ada", "role": "OWNER"},
            "errors": [],
        }
        assert await _vins(client, ADA) == [VIN_A]
        one = await gql(client, "query($v: String!) { vehicle(vin: $v) { vin } }", {"v": VIN_B}, ADA)
        assert one["data"]["vehicle"] is None  # exists, but not for ada: looks the same as absent

        # ada owns A, so she may share it; ben, a viewer, may not pass it on
        viewer = await gql(client, SHARE, {"vin": VIN_A, "username": "ben", "role": "VIEWER"}, ADA)
        assert viewer["data"]["shareVehicle"]["errors"] == []
        passed_on = await gql(client, SHARE, {"vin": VIN_A, "username": "ada", "role": "VIEWER"}, BEN)
        assert passed_on["data"]["shareVehicle"]["errors"] == [
            {
                "__typename": "InvalidInput",
                "field": "vin",
                "message": "vin: only the vehicle's owner or an administrator may share it",
            }
        ]
        not_hers = await gql(client, SHARE, {"vin": VIN_B, "username": "ben", "role": "VIEWER"}, ADA)
        assert not_hers["data"]["shareVehicle"]["errors"][0]["__typename"] == "NotFoundProblem"
        nobody = await gql(client, SHARE, {"vin": VIN_A, "username": "zed", "role": "VIEWER"}, ADA)
        assert nobody["data"]["shareVehicle"]["errors"][0]["field"] == "username"

        me = await gql(client, "{ me { vehicles { vin role } } }", headers=BEN)
        assert me["data"]["me"]["vehicles"] == [{"vin": VIN_A, "role": "VIEWER"}]
        shares = await gql(
            client, "query($v: String!) { vehicleShares(vin: $v) { username role } }", {"v": VIN_A}, ADA
        )
        assert shares["data"]["vehicleShares"] == [
            {"username": "ada", "role": "OWNER"},
            {"username": "ben", "role": "VIEWER"},
        ]

        unshare = (
            'mutation($v: String!) { unshareVehicle(vin: $v, username: "ben") { errors { __typename } } }'
        )
        assert (await gql(client, unshare, {"v": VIN_A}, ADA))["data"]["unshareVehicle"]["errors"] == []
        assert await _vins(client, BEN) == []


async def test_administrators_manage_users(db: Database, tmp_path: Path) -> None:
    async with _client(db, tmp_path) as client:
        await gql(client, "{ me { credential } }", headers=ADA)
        page = await gql(client, "{ users(first: 50) { edges { node { username isAdmin } } } }", headers=BOSS)
        names = [edge["node"]["username"] for edge in page["data"]["users"]["edges"]]
        assert {"admin", "ada", "boss"} <= set(names)
        denied = await gql(client, "{ users { edges { node { username } } } }", headers=ADA)
        assert codes(denied) == ["FORBIDDEN"]

        promote = 'mutation { setUserAdmin(username: "ada", admin: true) { user { isAdmin } errors { __typename } } }'
        assert (await gql(client, promote, headers=BOSS))["data"]["setUserAdmin"]["user"] == {"isAdmin": True}
        disable = 'mutation { setUserDisabled(username: "ada", disabled: true) { user { disabled } } }'
        assert (await gql(client, disable, headers=BOSS))["data"]["setUserDisabled"]["user"] == {
            "disabled": True
        }
        refused = await client.post("/graphql", json={"query": VEHICLES}, headers=ADA)
        assert refused.status_code == 401
        self_disable = (
            'mutation { setUserDisabled(username: "boss", disabled: true) { errors { __typename } } }'
        )
        body = await gql(client, self_disable, headers=BOSS)
        assert body["data"]["setUserDisabled"]["errors"] == [{"__typename": "InvalidInput"}]


async def test_mutations_are_rate_limited_per_principal(db: Database, tmp_path: Path) -> None:
    revoke = 'mutation { revokeApiToken(id: "999999") { revoked } }'
    async with _client(db, tmp_path, rate_limit_mutations_per_minute=12) as client:
        ada = [await gql(client, revoke, headers=ADA) for _ in range(4)]
        ben = await gql(client, revoke, headers=BEN)
    assert [codes(body) for body in ada[:2]] == [[], []]
    assert codes(ada[-1]) == ["RATE_LIMITED"] and ada[-1]["errors"][0]["extensions"]["retryAfter"] >= 1
    assert codes(ben) == []  # a budget per principal
