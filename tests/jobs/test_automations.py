"""Automations as a user runs them: a rule saved through GraphQL (a bad one refused with the bad part named),
fired live by telemetry once per crossing and not again within its cool-down, its notify action delivered to
the owner's channel and its command action sent through the commands path (recorded, audited, failing
cleanly when no Tesla account is connected, which in turn notifies); tag targets; a dry run over stored data."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from teslasync.app import create_app
from teslasync.auth.principal import Scope
from teslasync.auth.tokens import create_token
from teslasync.db.engine import Database
from teslasync.db.models import AutomationRunRow, VehicleCommandRow
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.jobs import automations as automation_jobs
from teslasync.jobs.derivation import DerivationListener, attach_derivation
from teslasync.telemetry.model import Form, Observation
from teslasync.telemetry.pipeline import Batch
from teslasync.telemetry.runtime import TelemetryRuntime
from tests.conftest import make_settings
from tests.live_server import serve
from tests.notify.fakes import WEBHOOK_SECRET, FakeProviders, fake_providers

VIN = "5YJ3E7EB2NF000088"
OTHER = "5YJ3E7EB2NF000099"
SAVE = """
mutation($rule: JSON!) {
  createAutomationRule(rule: $rule) {
    rule { id name enabled }
    errors { __typename ... on InvalidInput { field message } ... on NotFoundProblem { field message } }
  }
}
"""


def low_battery(channel_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Low battery",
        "target": {"vins": [VIN]},
        "trigger": {"kind": "threshold", "field": "Soc", "direction": "below", "value": 50, "hysteresis": 2},
        "actions": [
            {
                "kind": "notify",
                "title": "{vin} is at {value} %",
                "body": "{trigger}",
                "channel_ids": [channel_id],
            },
            {"kind": "command", "name": "set_charge_limit", "params": {"percent": 90}},
        ],
        "cooldown_s": 3600,
        **changes,
    }


@dataclass
class Live:
    http: httpx.AsyncClient
    headers: dict[str, str]
    fake: FakeProviders
    db: Database
    runtime: TelemetryRuntime
    channel_id: int

    async def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = (
            await self.http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=self.headers
            )
        ).json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    async def soc(self, value: float, at: datetime) -> None:
        await self.runtime.pipeline.submit(Batch("mqtt", [Observation(VIN, "Soc", value, Form.MQTT, at)]))
        await self.runtime.pipeline.drain()


@pytest.fixture
async def live(tmp_path: Path, fresh_db: Database) -> AsyncIterator[Live]:
    settings = make_settings(tmp_path)
    async with fresh_db.transaction() as session:
        await ensure_vehicle(session, VIN)
        await ensure_vehicle(session, OTHER)
        token = (await create_token(session, "automations", [Scope.COMMAND])).token
    runtime = TelemetryRuntime(settings, fresh_db)
    listeners: list[DerivationListener] = []
    attach_derivation(runtime, listeners)
    app = create_app(settings, fresh_db, telemetry=runtime, listeners=listeners, dispose_on_shutdown=False)
    async with (
        fake_providers() as fake,
        serve(app) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        state = Live(http, {"Authorization": f"Bearer {token}"}, fake, fresh_db, runtime, 0)
        made = await state.gql(
            'mutation($s: JSON!) { createNotificationChannel(kind: WEBHOOK, name: "hook", settings: $s) { channel { id } } }',
            s={"url": fake.webhook_url, "secret": WEBHOOK_SECRET},
        )
        state.channel_id = int(made["createNotificationChannel"]["channel"]["id"])
        yield state


async def _runs(db: Database) -> list[AutomationRunRow]:
    async with db.transaction() as session:
        return list((await session.scalars(select(AutomationRunRow).order_by(AutomationRunRow.id))).all())


async def _eventually(check: Any, timeout_s: float = 20) -> None:
    for _ in range(int(timeout_s / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_a_rule_fires_once_per_crossing_and_runs_its_actions(live: Live) -> None:
    saved = await live.gql(SAVE, rule=low_battery(live.channel_id))
    assert saved["createAutomationRule"]["errors"] == []
    rule_id = saved["createAutomationRule"]["rule"]["id"]
    start = datetime.now(UTC) - timedelta(minutes=10)
    for offset, value in enumerate([60, 55, 49, 48, 47, 53, 49]):  # down across 50, back over 52, down again
        await live.soc(value, start + timedelta(seconds=10 * offset))

    async def one_run_done() -> bool:
        runs = await _runs(live.db)
        return len(runs) == 1 and runs[0].status in ("done", "partial", "failed")

    await _eventually(one_run_done)
    await asyncio.sleep(0.5)
    [run] = await _runs(live.db)
    assert run.vin == VIN and run.fired_at == start + timedelta(
        seconds=20
    )  # the crossing; the second is in cool-down
    notify, command = run.actions
    assert notify["outcome"] == "sent to 1 channel(s)"
    assert command["outcome"].startswith("command ")

    async def delivered() -> bool:
        return any(d.seen["kind"] == "automation" for d in live.fake.delivered_to("webhook"))

    await _eventually(delivered)
    message = next(d.seen for d in live.fake.delivered_to("webhook") if d.seen["kind"] == "automation")
    assert message["title"] == f"{VIN} is at 49 %"
    async with live.db.transaction() as session:
        [sent] = (await session.scalars(select(VehicleCommandRow))).all()
    assert sent.command == "set_charge_limit" and sent.params == {"percent": 90}
    assert sent.principal == f"automation:{rule_id}"

    history = await live.gql("{ automationRuns { edges { node { vin trigger status } } } }")
    assert [edge["node"]["vin"] for edge in history["automationRuns"]["edges"]] == [VIN]


async def test_bad_rules_are_refused_with_the_part_named(live: Live) -> None:
    typo = low_battery(
        live.channel_id, trigger={"kind": "threshold", "field": "Sooc", "direction": "below", "value": 50}
    )
    answer = await live.gql(SAVE, rule=typo)
    [problem] = answer["createAutomationRule"]["errors"]
    assert problem["field"] == "rule.trigger.threshold.field" and "Sooc" in problem["message"]
    stranger = low_battery(live.channel_id, target={"vins": ["5YJ3E7EB2NF000000"]})
    answer = await live.gql(SAVE, rule=stranger)
    assert answer["createAutomationRule"]["errors"] == [
        {
            "__typename": "NotFoundProblem",
            "field": "rule.target.vins[0]",
            "message": "no vehicle 5YJ3E7EB2NF000000",
        }
    ]
    assert (await live.gql("{ automationRules { id } }"))["automationRules"] == []


async def test_a_rule_can_target_a_tag_and_be_turned_off(live: Live) -> None:
    tagged = await live.gql(
        'mutation($vin: String!) { setVehicleTags(vin: $vin, tags: ["family", " family "]) { tags errors { __typename } } }',
        vin=OTHER,
    )
    assert tagged["setVehicleTags"] == {"tags": ["family"], "errors": []}
    assert (await live.gql("query($vin: String!) { vehicleTags(vin: $vin) }", vin=OTHER))["vehicleTags"] == [
        "family"
    ]
    rule = low_battery(
        live.channel_id, target={"tag": "family"}, actions=[{"kind": "notify", "title": "{vin} low"}]
    )
    saved = await live.gql(SAVE, rule=rule)
    rule_id = saved["createAutomationRule"]["rule"]["id"]
    off = await live.gql(
        "mutation($id: ID!) { setAutomationRuleEnabled(id: $id, enabled: false) { rule { enabled rule } } }",
        id=rule_id,
    )
    assert off["setAutomationRuleEnabled"]["rule"]["enabled"] is False
    assert off["setAutomationRuleEnabled"]["rule"]["rule"]["enabled"] is False
    removed = await live.gql("mutation($id: ID!) { deleteAutomationRule(id: $id) { removed } }", id=rule_id)
    assert removed["deleteAutomationRule"]["removed"] is True


async def test_a_dry_run_replays_stored_data_and_does_nothing(live: Live) -> None:
    start = datetime.now(UTC) - timedelta(days=2)
    values = [70, 60, 45, 40, 58, 44, 70, 30]
    for offset, value in enumerate(values):
        await live.soc(value, start + timedelta(hours=offset))
    rule = low_battery(live.channel_id, cooldown_s=0)
    answer = await live.gql(
        "mutation($rule: JSON!) { dryRunAutomationRule(rule: $rule, days: 3) { firings { vin at trigger } errors { __typename } } }",
        rule=rule,
    )
    # crossings below 50 after being at or above 52: computed from the values, not written down
    expected, above = [], None
    for offset, value in enumerate(values):
        if above is True and value < 50:
            expected.append(offset)
        if value >= 52:
            above = True
        elif value < 50:
            above = False
    firings = answer["dryRunAutomationRule"]["firings"]
    assert [datetime.fromisoformat(f["at"]) for f in firings] == [
        start + timedelta(hours=o) for o in expected
    ]
    assert await _runs(live.db) == []
    async with live.db.transaction() as session:
        assert (await session.scalars(select(VehicleCommandRow))).all() == []


@pytest.fixture
def fast_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(automation_jobs, "TICK_EVERY_S", 0.2)


async def test_a_debounced_rule_fires_on_the_services_own_tick_without_more_telemetry(
    fast_ticks: None, live: Live
) -> None:
    saved = await live.gql(SAVE, rule=low_battery(live.channel_id, debounce_s=1))
    assert saved["createAutomationRule"]["errors"] == []
    now = datetime.now(UTC)
    await live.soc(70, now - timedelta(seconds=5))
    await live.soc(45, now)
    # no value comes after: only the service's own tick sees the level stay below 50 for a second
    assert await _runs(live.db) == []

    async def fired() -> bool:
        return len(await _runs(live.db)) == 1

    await _eventually(fired, timeout_s=10)
