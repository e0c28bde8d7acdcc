"""Fleet Telemetry configuration from TeslaSync, through GraphQL: pushed through the proxy (which signs it),
its sync shown, deleted; owners only; a bad field refused naming it."""

from __future__ import annotations

from tests.auth.helpers import as_user, codes, gql
from tests.fleet.cloud import ADA, VIN, Cloud

CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Vy\n-----END CERTIFICATE-----\n"
CONFIGURE = """
mutation($vins: [String!]!, $ca: String!, $fields: [TelemetryFieldInput!]) {
  configureTelemetry(vins: $vins, hostname: "telemetry.example.org", ca: $ca, fields: $fields) {
    updatedVehicles skippedVehicles errors { __typename ... on InvalidInput { field message } }
  }
}"""
STATUS = (
    "query($vin: String!) { telemetryConfig(vin: $vin) { synced fields { name intervalSeconds } pushedAt } }"
)


async def test_push_sync_and_delete(cloud: Cloud) -> None:
    pushed = await gql(cloud.client, CONFIGURE, {"vins": [VIN], "ca": CA}, ADA)
    assert pushed["data"]["configureTelemetry"]["updatedVehicles"] == 1, pushed
    [via] = {r.via for r in cloud.fleet.requests_to("/fleet_telemetry_config") if r.method == "POST"}
    assert via == "proxy"
    defaults = await gql(cloud.client, "{ defaultTelemetryFields { name } }", headers=ADA)
    sent = cloud.fleet.car(VIN).telemetry_config
    assert sent is not None
    assert sorted(sent["fields"]) == sorted(f["name"] for f in defaults["data"]["defaultTelemetryFields"])

    before = (await gql(cloud.client, STATUS, {"vin": VIN}, ADA))["data"]["telemetryConfig"]
    assert before["synced"] is False and before["pushedAt"] is not None
    cloud.fleet.sync(VIN)
    after = (await gql(cloud.client, STATUS, {"vin": VIN}, ADA))["data"]["telemetryConfig"]
    assert after["synced"] is True and {"name": "BatteryLevel", "intervalSeconds": 10} in after["fields"]

    deleted = await gql(
        cloud.client, "mutation($v: String!) { deleteTelemetryConfig(vin: $v) }", {"v": VIN}, ADA
    )
    assert deleted["data"]["deleteTelemetryConfig"] is True
    assert cloud.fleet.car(VIN).telemetry_config is None


async def test_a_bad_field_is_refused_naming_it(cloud: Cloud) -> None:
    fields = [{"name": "NotAField", "intervalSeconds": 5}]
    body = await gql(cloud.client, CONFIGURE, {"vins": [VIN], "ca": CA, "fields": fields}, ADA)
    [problem] = body["data"]["configureTelemetry"]["errors"]
    assert problem["field"] == "fields.NotAField" and "not a Fleet Telemetry field" in problem["message"]
    assert cloud.fleet.requests_to("/fleet_telemetry_config") == []


async def test_only_owners_configure(cloud: Cloud) -> None:
    ben = as_user("ben")
    await gql(cloud.client, "{ me { credential } }", headers=ben)
    share = 'mutation($v: String!) { shareVehicle(vin: $v, username: "ben", role: DRIVER) { errors { __typename } } }'
    await gql(cloud.client, share, {"v": VIN}, ADA)
    assert codes(await gql(cloud.client, CONFIGURE, {"vins": [VIN], "ca": CA}, ben)) == ["FORBIDDEN"]


async def test_telemetry_errors_as_tesla_reports_them(cloud: Cloud) -> None:
    cloud.fleet.telemetry_errors = [{"vin": VIN, "name": "tls", "error": "certificate expired"}]
    body = await gql(cloud.client, "query($v: String!) { telemetryErrors(vin: $v) }", {"v": VIN}, ADA)
    assert body["data"]["telemetryErrors"] == [{"vin": VIN, "name": "tls", "error": "certificate expired"}]
