"""Two-factor step-up through the API: enrolment, a sensitive operation refused without a fresh code (with
its code), replayed codes refused, recovery codes used once, a window that lapses, brute force limited."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
from httpx import AsyncClient

from teslasync.db.engine import Database
from teslasync.db.repositories import users as users_repo
from tests.auth.helpers import PROXY, TRUSTED, as_user, codes, gql
from tests.conftest import client_for, make_settings

ENROL = "mutation { startTotpEnrolment { otpauthUri qrSvg secret } }"
CONFIRM = "mutation($code: String!) { confirmTotpEnrolment(code: $code) { recoveryCodes stepUpUntil } }"
VERIFY = "mutation($code: String!) { verifyTotp(code: $code) { until } }"
CREATE_TOKEN = """
mutation { createApiToken(name: "ha", scopes: [READ]) { token apiToken { name scopes } errors { __typename } } }
"""
AUDIT = "{ auditLog(first: 50) { edges { node { principal action outcome detail address } } } }"


def _client(db: Database, tmp_path: Path, **more: object) -> AsyncClient:
    settings = make_settings(
        tmp_path,
        forward_auth="authelia",
        trusted_proxies=TRUSTED,
        forward_auth_admin_groups=["admins"],
        **more,
    )
    return client_for(settings, db, client_host=PROXY)


def _code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


async def _enrol(client: AsyncClient, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    enrolment = (await gql(client, ENROL, headers=headers))["data"]["startTotpEnrolment"]
    secret = enrolment["secret"]
    confirmed = await gql(client, CONFIRM, {"code": _code(secret)}, headers)
    return secret, confirmed


async def test_a_token_needs_totp_enrolment_then_a_fresh_code(db: Database, tmp_path: Path) -> None:
    ada = as_user("ada")
    async with _client(db, tmp_path) as client:
        not_enrolled = await gql(client, CREATE_TOKEN, headers=ada)
        assert codes(not_enrolled) == ["TOTP_ENROLMENT_REQUIRED"]

        enrolment = (await gql(client, ENROL, headers=ada))["data"]["startTotpEnrolment"]
        assert enrolment["otpauthUri"].startswith("otpauth://totp/TeslaSync:ada?")
        assert enrolment["qrSvg"].lstrip().startswith("<svg")
        still = await gql(client, CREATE_TOKEN, headers=ada)  # enrolment not confirmed yet
        assert codes(still) == ["TOTP_ENROLMENT_REQUIRED"]

        confirmed = await gql(client, CONFIRM, {"code": _code(enrolment["secret"])}, ada)
        recovery = confirmed["data"]["confirmTotpEnrolment"]["recoveryCodes"]
        assert len(recovery) == 10 and len(set(recovery)) == 10

        made = await gql(client, CREATE_TOKEN, headers=ada)  # confirming counted as a step-up
        assert made["data"]["createApiToken"]["token"].startswith("tsk_")
        assert made["data"]["createApiToken"]["apiToken"] == {"name": "ha", "scopes": ["READ"]}

        # the step-up lapses: move it back beyond the window
        async with db.transaction() as session:
            user = await users_repo.by_username(session, "ada")
            assert user is not None
            await users_repo.record_step_up(
                session, user.id, "user", datetime.now(UTC) - timedelta(minutes=6)
            )
        lapsed = await gql(client, CREATE_TOKEN, headers=ada)
        assert codes(lapsed) == ["STEP_UP_REQUIRED"]
        assert "verifyTotp" in lapsed["errors"][0]["message"]

        stepped = await gql(client, VERIFY, {"code": _code(enrolment["secret"], 1)}, ada)
        assert "errors" not in stepped, stepped
        assert (await gql(client, CREATE_TOKEN, headers=ada))["data"]["createApiToken"]["token"]


async def test_a_replayed_code_is_refused(db: Database, tmp_path: Path) -> None:
    ada = as_user("ada")
    async with _client(db, tmp_path) as client:
        secret, _ = await _enrol(client, ada)
        code = _code(secret, 1)
        first = await gql(client, VERIFY, {"code": code}, ada)
        replay = await gql(client, VERIFY, {"code": code}, ada)
        older = await gql(client, VERIFY, {"code": _code(secret)}, ada)  # the enrolment's step, used already
        wrong = await gql(client, VERIFY, {"code": "000000" if code != "000000" else "111111"}, ada)
    assert "errors" not in first
    assert codes(replay) == ["TOTP_REPLAYED"]
    assert codes(older) == ["TOTP_REPLAYED"]
    assert codes(wrong) == ["TOTP_INVALID"]


async def test_a_recovery_code_steps_up_once(db: Database, tmp_path: Path) -> None:
    ada = as_user("ada")
    async with _client(db, tmp_path) as client:
        _, confirmed = await _enrol(client, ada)
        recovery = confirmed["data"]["confirmTotpEnrolment"]["recoveryCodes"][3]
        used = await gql(client, VERIFY, {"code": recovery.upper()}, ada)
        again = await gql(client, VERIFY, {"code": recovery}, ada)
    assert "errors" not in used, used
    assert codes(again) == ["TOTP_INVALID"]


async def test_guessing_codes_is_rate_limited(db: Database, tmp_path: Path) -> None:
    ada = as_user("ada")
    async with _client(db, tmp_path, rate_limit_logins_per_minute=2) as client:
        await _enrol(client, ada)  # one attempt
        results = [await gql(client, VERIFY, {"code": "123456"}, ada) for _ in range(6)]
    limited = [body for body in results if codes(body) == ["RATE_LIMITED"]]
    assert limited, [codes(body) for body in results]
    assert limited[0]["errors"][0]["extensions"]["retryAfter"] >= 1


async def test_step_up_is_per_credential(db: Database, tmp_path: Path) -> None:
    """A code typed in the browser does not unlock the user's API token."""
    ada = as_user("ada")
    async with _client(db, tmp_path) as client:
        await _enrol(client, ada)
        made = await gql(
            client,
            'mutation { createApiToken(name: "cli", scopes: [COMMAND]) { token } }',
            headers=ada,
        )
        token = made["data"]["createApiToken"]["token"]
        through_token = await gql(client, CREATE_TOKEN, headers={"Authorization": f"Bearer {token}"})
    assert codes(through_token) == ["STEP_UP_REQUIRED"]


async def test_step_up_can_be_turned_off(db: Database, tmp_path: Path) -> None:
    async with _client(db, tmp_path, step_up="off") as client:
        made = await gql(client, CREATE_TOKEN, headers=as_user("ada"))
    assert made["data"]["createApiToken"]["token"].startswith("tsk_")


async def test_verifications_and_refusals_are_audited(fresh_db: Database, tmp_path: Path) -> None:
    """On a database of its own: refusals are written beside the operation's transaction, which the
    rolled-back-per-test `db` would fold them into."""
    ada = as_user("ada")
    boss = as_user("boss", "admins")
    async with _client(fresh_db, tmp_path) as client:
        await gql(client, CREATE_TOKEN, headers=ada)  # refused: not enrolled
        secret, _ = await _enrol(client, ada)
        await gql(client, VERIFY, {"code": "000000" if _code(secret) != "000000" else "111111"}, ada)
        await gql(client, CREATE_TOKEN, headers=ada)
        log = await gql(client, AUDIT, headers=boss)
        forbidden = await gql(client, AUDIT, headers=ada)
    entries = [edge["node"] for edge in log["data"]["auditLog"]["edges"]]
    seen = [(e["action"], e["outcome"]) for e in reversed(entries) if e["principal"] == "ada"]
    assert seen == [
        ("token.create", "refused"),
        ("totp.enrol", "ok"),
        ("totp.confirm", "ok"),
        ("totp.verify", "refused"),
        ("token.create", "ok"),
    ]
    assert entries[0]["address"] == PROXY
    assert entries[1]["detail"] == {"error": "TOTP_INVALID"}
    assert codes(forbidden) == ["FORBIDDEN"]
