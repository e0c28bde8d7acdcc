"""Vehicle commands as an owner sends them, through GraphQL, against a fake Tesla on loopback: OAuth, the
Fleet API and the vehicle-command proxy over TLS. Success, a sleeping car woken first, 429 with
Retry-After, 401 then a refresh, the wrong region, a timeout, the breaker opening and closing, a duplicate
idempotency key, parameters out of range, roles, scopes, step-up, the daily budget, the audit log."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from teslasync.db.repositories import tesla_accounts as accounts_repo
from teslasync.db.repositories import users as users_repo
from tests.auth.helpers import as_user, codes, gql
from tests.fleet.cloud import ADA, VIN, Cloud
from tests.live_server import serve

SEND = """
mutation($vin: String!, $command: VehicleCommand!, $params: JSON, $key: String) {
  sendCommand(vin: $vin, command: $command, params: $params, idempotencyKey: $key) {
    command { id status }
    duplicate
    errors { __typename ... on InvalidParameter { field message } ... on CommandRefusal { code message } }
  }
}"""
STATUS = "query($id: ID!) { command(id: $id) { status errorCode error steps { step detail } params } }"


async def send(
    cloud: Cloud,
    command: str,
    params: dict[str, Any] | None = None,
    key: str | None = None,
    headers: dict[str, str] = ADA,
) -> dict[str, Any]:
    variables = {"vin": VIN, "command": command, "params": params, "key": key}
    return await gql(cloud.client, SEND, variables, headers)


async def finished(cloud: Cloud, command_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """Poll the command as a client would, until it has ended."""
    async with asyncio.timeout(timeout_s):
        while True:
            body = await gql(cloud.client, STATUS, {"id": command_id}, ADA)
            command = body["data"]["command"]
            if command["status"] in ("SUCCEEDED", "FAILED"):
                return dict(command)
            await asyncio.sleep(0.05)


async def run(cloud: Cloud, command: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    body = await send(cloud, command, params)
    assert body["data"]["sendCommand"]["errors"] == [], body
    return await finished(cloud, body["data"]["sendCommand"]["command"]["id"])


async def test_a_command_is_signed_through_the_proxy_and_audited(cloud: Cloud) -> None:
    body = await send(cloud, "SET_CHARGE_LIMIT", {"percent": 80})
    sent = body["data"]["sendCommand"]
    assert sent["command"]["status"] == "PENDING" and sent["duplicate"] is False
    result = await finished(cloud, sent["command"]["id"])
    assert result["status"] == "SUCCEEDED" and result["params"] == {"percent": 80}
    assert [s["step"] for s in result["steps"]] == ["queued", "sent", "succeeded"]
    assert cloud.fleet.car(VIN).commands == [("set_charge_limit", {"percent": 80}, True)]
    audit = await gql(
        cloud.client,
        '{ auditLog(first: 5, action: "command.set_charge_limit") { edges { node { outcome target principal } } } }',
        headers=as_user("root", "admins"),
    )
    entries = [edge["node"] for edge in audit["data"]["auditLog"]["edges"]]
    assert entries == [{"outcome": "ok", "target": VIN, "principal": "ada"}]


async def test_a_sleeping_car_is_woken_first(cloud: Cloud) -> None:
    cloud.fleet.sleep(VIN)
    result = await run(cloud, "HONK_HORN")
    assert result["status"] == "SUCCEEDED", result
    steps = [s["step"] for s in result["steps"]]
    assert steps == ["queued", "sent", "asleep", "waking", "awake", "sent", "succeeded"]
    assert cloud.fleet.wake_calls == 1 and [c[0] for c in cloud.fleet.car(VIN).commands] == ["honk_horn"]


async def test_a_car_that_does_not_wake_fails_after_the_bounded_attempts(cloud: Cloud) -> None:
    cloud.fleet.sleep(VIN)
    cloud.fleet.car(VIN).wakeable = False
    cloud.services.commands.settings = cloud.services.commands.settings.model_copy(
        update={"wake_timeout_s": 0.3, "wake_attempts": 1}
    )
    result = await run(cloud, "HONK_HORN")
    assert result["status"] == "FAILED" and result["errorCode"] == "VEHICLE_ASLEEP"
    assert cloud.fleet.wake_calls == 1 and cloud.fleet.car(VIN).commands == []


async def test_429_is_waited_out_when_short_and_reported_when_long(cloud: Cloud) -> None:
    cloud.fleet.fail("/command/flash_lights", status=429, retry_after="1")
    short = await run(cloud, "FLASH_LIGHTS")
    assert short["status"] == "SUCCEEDED"
    assert len(cloud.fleet.requests_to("/command/flash_lights")) == 2

    cloud.fleet.fail("/command/flash_lights", status=429, retry_after="120")
    long = await run(cloud, "FLASH_LIGHTS")
    assert long["status"] == "FAILED" and long["errorCode"] == "FLEET_RATE_LIMITED"


async def test_401_refreshes_the_token_and_sends_again(cloud: Cloud) -> None:
    token = (await cloud.services.accounts.access_token(cloud.account_id)).reveal()
    cloud.fleet.expire(token)
    result = await run(cloud, "HONK_HORN")
    assert result["status"] == "SUCCEEDED"
    statuses = [r.status for r in cloud.fleet.requests_to("/command/honk_horn")]
    assert statuses == [401, 200]
    async with cloud.db.transaction() as session:
        account = await accounts_repo.by_id(session, cloud.account_id)
    assert account is not None and account.generation == 2  # refreshed once


async def test_the_wrong_region_is_found_again(cloud: Cloud) -> None:
    async with cloud.db.transaction() as session:
        await accounts_repo.set_region(session, cloud.account_id, "na", cloud.fleet.region_base_url("na"))
    cloud.fleet.region = "eu"
    data = await cloud.services.client.vehicle_data(cloud.account_id, VIN, ["charge_state"])
    assert "charge_state" in data
    assert [r.status for r in cloud.fleet.requests_to("/vehicle_data")] == [421, 200]
    async with cloud.db.transaction() as session:
        account = await accounts_repo.by_id(session, cloud.account_id)
    assert account is not None and account.region == "eu"


async def test_a_timed_out_command_is_not_sent_twice(cloud: Cloud) -> None:
    cloud.fleet.fail("/command/honk_horn", status=200, delay_s=3.0)
    result = await run(cloud, "HONK_HORN")
    assert result["status"] == "FAILED" and result["errorCode"] == "OUTCOME_UNKNOWN"
    assert "may have acted" in result["error"]
    assert len(cloud.fleet.requests_to("/command/honk_horn")) == 1


@pytest.mark.parametrize("overrides", [{"breaker_failure_threshold": 2, "breaker_reset_s": 0.5}])
async def test_the_breaker_opens_and_closes(cloud: Cloud) -> None:
    cloud.fleet.fail("/command/honk_horn", count=2, status=503)
    first, second = await run(cloud, "HONK_HORN"), await run(cloud, "HONK_HORN")
    assert first["errorCode"] == second["errorCode"] == "FLEET_UNAVAILABLE"
    assert cloud.services.breakers.states()["command-proxy"] == "open"
    refused = await run(cloud, "HONK_HORN")
    assert refused["errorCode"] == "FLEET_UNAVAILABLE" and "is failing" in refused["error"]
    assert len(cloud.fleet.requests_to("/command/honk_horn")) == 2  # the open breaker sent nothing
    await asyncio.sleep(0.6)
    assert cloud.services.breakers.states()["command-proxy"] == "half_open"
    assert (await run(cloud, "HONK_HORN"))["status"] == "SUCCEEDED"
    assert cloud.services.breakers.states()["command-proxy"] == "closed"


async def test_a_duplicate_idempotency_key_sends_once(cloud: Cloud) -> None:
    first = (await send(cloud, "HONK_HORN", key="tap-1"))["data"]["sendCommand"]
    again = (await send(cloud, "HONK_HORN", key="tap-1"))["data"]["sendCommand"]
    assert again["duplicate"] is True and again["command"]["id"] == first["command"]["id"]
    await finished(cloud, first["command"]["id"])
    assert [c[0] for c in cloud.fleet.car(VIN).commands] == ["honk_horn"]
    other = (await send(cloud, "FLASH_LIGHTS", key="tap-1"))["data"]["sendCommand"]
    assert other["errors"] == [
        {
            "__typename": "CommandRefusal",
            "code": "IDEMPOTENCY_KEY_REUSED",
            "message": "this idempotency key was used for another command: use a new key",
        }
    ]


async def test_parameters_out_of_range_are_refused_before_anything_is_sent(cloud: Cloud) -> None:
    body = await send(cloud, "SET_CHARGE_LIMIT", {"percent": 30})
    sent = body["data"]["sendCommand"]
    assert sent["command"] is None
    [problem] = sent["errors"]
    assert problem["__typename"] == "InvalidParameter" and problem["field"] == "params.percent"
    assert "50" in problem["message"] and "100" in problem["message"]
    assert cloud.fleet.requests_to("/command/set_charge_limit") == []


async def test_viewers_and_read_tokens_cannot_command(cloud: Cloud) -> None:
    ben = as_user("ben")
    await gql(cloud.client, "{ me { credential } }", headers=ben)
    share = 'mutation { shareVehicle(vin: "%s", username: "ben", role: VIEWER) { errors { __typename } } }'
    assert (await gql(cloud.client, share % VIN, headers=ADA))["data"]["shareVehicle"]["errors"] == []
    assert codes(await send(cloud, "HONK_HORN", headers=ben)) == ["FORBIDDEN"]

    async with cloud.db.transaction() as session:
        from teslasync.auth.principal import Scope
        from teslasync.auth.tokens import create_token

        ada = await users_repo.by_username(session, "ada")
        assert ada is not None
        read_only = (await create_token(session, "dash", [Scope.READ], user_id=ada.id)).token
    assert codes(await send(cloud, "HONK_HORN", headers={"Authorization": f"Bearer {read_only}"})) == [
        "FORBIDDEN"
    ]
    assert cloud.fleet.requests_to("/command/honk_horn") == []


async def test_a_sensitive_command_needs_step_up(cloud: Cloud) -> None:
    assert codes(await send(cloud, "DOOR_UNLOCK")) == ["TOTP_ENROLMENT_REQUIRED"]
    assert cloud.fleet.requests_to("/command/door_unlock") == []


@pytest.mark.parametrize("overrides", [{"command_daily_budget": 1}])
async def test_the_daily_budget_per_car(cloud: Cloud) -> None:
    assert (await run(cloud, "HONK_HORN"))["status"] == "SUCCEEDED"
    refused = (await send(cloud, "HONK_HORN"))["data"]["sendCommand"]
    assert refused["errors"][0]["code"] == "COMMAND_BUDGET_EXCEEDED"


async def test_commands_to_one_car_run_one_at_a_time(cloud: Cloud) -> None:
    cloud.fleet.command_delay_s = 0.2
    bodies = await asyncio.gather(*(send(cloud, "FLASH_LIGHTS") for _ in range(3)))
    for body in bodies:
        assert (await finished(cloud, body["data"]["sendCommand"]["command"]["id"]))["status"] == "SUCCEEDED"
    assert cloud.fleet.max_in_flight[VIN] == 1 and len(cloud.fleet.car(VIN).commands) == 3


async def test_history_catalogue_and_live_status(cloud: Cloud) -> None:
    catalogue = await gql(
        cloud.client,
        "{ commandCatalogue { command sensitive parameters { name minimum maximum choices choiceValues } } }",
        headers=ADA,
    )
    by_name = {c["command"]: c for c in catalogue["data"]["commandCatalogue"]}
    assert by_name["SET_CHARGE_LIMIT"]["parameters"] == [
        {"name": "percent", "minimum": 50.0, "maximum": 100.0, "choices": [], "choiceValues": []}
    ]
    [seat] = by_name["REMOTE_SEAT_COOLER_REQUEST"]["parameters"][:1]
    assert seat["choices"] == ["1", "2"] and seat["choiceValues"] == [1, 2]  # typed as params takes them
    assert by_name["DOOR_UNLOCK"]["sensitive"] is True

    async with serve(cloud.client._transport.app) as port:  # type: ignore[attr-defined]
        socket = await websockets.connect(
            f"ws://127.0.0.1:{port}/graphql",
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            additional_headers=ADA,
        )
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        cloud.fleet.sleep(VIN)
        sent = (await send(cloud, "HONK_HORN"))["data"]["sendCommand"]["command"]
        subscribe = {
            "query": "subscription($id: ID!) { commandStatus(id: $id) { status steps { step } } }",
            "variables": {"id": sent["id"]},
        }
        await socket.send(json.dumps({"id": "s", "type": "subscribe", "payload": subscribe}))
        statuses: list[str] = []
        async with asyncio.timeout(10):
            while (message := json.loads(await socket.recv()))["type"] == "next":
                statuses.append(message["payload"]["data"]["commandStatus"]["status"])
        await socket.close()
    assert statuses[-1] == "SUCCEEDED" and "SENT" in statuses and message["type"] == "complete"
    history = await gql(
        cloud.client,
        "query($vin: String!) { commands(vin: $vin) { edges { node { command status } } } }",
        {"vin": VIN},
        ADA,
    )
    assert history["data"]["commands"]["edges"][0]["node"] == {"command": "HONK_HORN", "status": "SUCCEEDED"}


async def test_unlock_needs_a_fresh_code_and_goes_through_with_one(cloud: Cloud) -> None:
    import time
    from datetime import UTC, datetime, timedelta

    import pyotp

    enrolment = await gql(cloud.client, "mutation { startTotpEnrolment { secret } }", headers=ADA)
    secret = enrolment["data"]["startTotpEnrolment"]["secret"]
    confirm = "mutation($c: String!) { confirmTotpEnrolment(code: $c) { stepUpUntil } }"
    assert "errors" not in await gql(cloud.client, confirm, {"c": pyotp.TOTP(secret).now()}, ADA)
    async with cloud.db.transaction() as session:
        ada = await users_repo.by_username(session, "ada")
        assert ada is not None
        await users_repo.record_step_up(session, ada.id, "user", datetime.now(UTC) - timedelta(minutes=10))

    stale = await send(cloud, "DOOR_UNLOCK")
    assert codes(stale) == ["STEP_UP_REQUIRED"] and cloud.fleet.requests_to("/command/door_unlock") == []

    verify = "mutation($c: String!) { verifyTotp(code: $c) { until } }"
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert "errors" not in await gql(cloud.client, verify, {"c": code}, ADA)
    assert (await run(cloud, "DOOR_UNLOCK"))["status"] == "SUCCEEDED"
    assert cloud.fleet.car(VIN).commands == [("door_unlock", {}, True)]


@pytest.mark.parametrize("overrides", [{"command_daily_budget": 2}])
async def test_a_burst_of_queued_commands_cannot_slip_past_the_budget(cloud: Cloud) -> None:
    cloud.fleet.command_delay_s = 0.3  # the first is still running while the others are asked for
    bodies = await asyncio.gather(*(send(cloud, "FLASH_LIGHTS") for _ in range(4)))
    accepted = [b for b in bodies if b["data"]["sendCommand"]["command"] is not None]
    refused = [b["data"]["sendCommand"]["errors"][0]["code"] for b in bodies if b not in accepted]
    assert len(accepted) == 2 and refused == ["COMMAND_BUDGET_EXCEEDED"] * 2
