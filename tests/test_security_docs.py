"""Every GraphQL example in docs/security.md runs, in the page's order, as a user signed in through a
forward-auth proxy: enrol TOTP, confirm, step up, make a token, share a car, read the audit log."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp

from teslasync.db.engine import Database
from teslasync.db.repositories.vehicles import ensure_vehicle
from tests.auth.helpers import PROXY, TRUSTED, as_user, gql
from tests.conftest import client_for, make_settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "security.md"
EXAMPLES = re.findall(r"```graphql\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


async def test_the_examples_run_in_order(db: Database, tmp_path: Path) -> None:
    assert len(EXAMPLES) >= 7
    async with db.transaction() as session:
        await ensure_vehicle(session, "5YJ3E7EA3LF700000")
    settings = make_settings(
        tmp_path, forward_auth="authelia", trusted_proxies=TRUSTED, forward_auth_admin_groups=["admins"]
    )
    ada = as_user("ada", "admins")
    secret = ""
    async with client_for(settings, db, client_host=PROXY) as client:
        for step, example in enumerate(EXAMPLES):
            variables = {}
            if "$code" in example:  # confirm with this step's code, step up with the next one
                variables["code"] = pyotp.TOTP(secret).at(time.time() + 30 * ("verifyTotp" in example))
            body = await gql(client, example, variables, ada)
            assert "errors" not in body, (step, body)
            data = body["data"]
            if "startTotpEnrolment" in data:
                secret = data["startTotpEnrolment"]["secret"]
            for payload in data.values():
                if isinstance(payload, dict) and "errors" in payload:
                    assert payload["errors"] == [], (step, payload)
    assert data["auditLog"]["edges"][0]["node"]["action"] == "vehicle.share"
