"""Automations run live: the rule engine (automations/) hears the committed samples, the car's alerts and the
derived state and charging announcements (a derivation listener), ticks for schedules and debounces, and each
firing is recorded (once: unique per rule, car and time) and its actions run as a job.

Actions run as the rule's owner: a notification goes to the owner's channels; a command goes through the same
commands path as the API (the owner's role for the car, the parameters, the daily budget, an idempotency key
per firing, the audit log); a webhook is POSTed, signed with the secret of one of the owner's webhook channels
when the rule names one. A rule fires only for cars its owner can see. Each action's outcome is stored with the
run, and a retried job does not repeat an action that already ran.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from teslasync.analytics.live import CHARGING_TOPIC, STATE_TOPIC, VehicleSamples
from teslasync.analytics.samples import Sample
from teslasync.automations import (
    AlertRaised,
    ChargingChange,
    Circle,
    Firing,
    Rule,
    RuleEngine,
    RuleInvalid,
    StateChange,
    StoredRule,
    dry_run,
    parse_rule,
)
from teslasync.db.engine import Database
from teslasync.db.models import AutomationRuleRow
from teslasync.db.repositories import automations as repo
from teslasync.db.repositories import notifications as notifications_repo
from teslasync.db.repositories import users as users_repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.fleet.catalogue import command, redacted, validate
from teslasync.fleet.commands import CommandRefused, Requester
from teslasync.jobs.notifications import queue_deliveries
from teslasync.jobs.queue import JobOptions, JobQueues, QueueName
from teslasync.jobs.worker import JobFunction, JobServices, services_of
from teslasync.notify.channels.webhook import WebhookConfig, sign
from teslasync.notify.events import Event, EventKind
from teslasync.notify.stored import stored_config
from teslasync.telemetry.normalise import render
from teslasync.telemetry.records import Event as CarEvent

log = logging.getLogger("teslasync.automations")

RUN_ACTIONS = JobOptions(timeout_s=300, retries=3, retry_delay_s=10, max_retry_delay_s=300)
TICK_EVERY_S = 15.0
RECHECK_S = 1.0  # while telemetry flows, an edit is looked for at most this often (a cheap version query)
DRY_RUN_MAX_DAYS = 31
DRY_RUN_MAX_ROWS = 2_000_000
ALWAYS_READ = ("Soc", "BatteryLevel", "Location", "DetailedChargeState", "ChargeLimitSoc")


def circles(rows: Sequence[Any]) -> dict[int, Circle]:
    return {
        row.id: Circle(latitude=row.latitude, longitude=row.longitude, radius_m=row.radius_m, name=row.name)
        for row in rows
    }


class AutomationRunner:
    """The live side. Rules, tags and geofences are reloaded when they change (looked for at most every
    second while telemetry flows, and on each tick), so an edit through any replica judges the next values."""

    def __init__(self, db: Database, queues: JobQueues) -> None:
        self.db = db
        self.queues = queues
        self.engine = RuleEngine([])
        self.tags: dict[str, set[str]] = {}
        self.owners: dict[int, int] = {}  # rule -> owner
        self.visible: dict[int, frozenset[str] | None] = {}  # owner -> the VINs they see (None: all)
        self.states: dict[str, str] = {}
        self.version: tuple[object, ...] | None = None
        self.recorded = 0
        self._checked = float("-inf")  # when telemetry last looked for an edit (monotonic)

    async def reload(self, *, force: bool = False) -> None:
        async with self.db.transaction() as session:
            version = await repo.version(session)
            if version == self.version and not force:
                return
            rows = await repo.enabled_rules(session)
            fences = circles(await repo.geofences(session))
            tags = await repo.tags_by_vin(session)
            last = await repo.last_fired(session) if self.version is None else {}
            owners = {row.user_id for row in rows}
            visible = {owner: await self._visible_vins(session, owner) for owner in owners}
        stored = [stored for row in rows if (stored := _stored(row)) is not None]
        if self.version is None:
            self.engine = RuleEngine(stored, last_fired=last, geofences=fences)
        else:
            self.engine.geofences = fences
            self.engine.replace_rules(stored)
        for rule_id, reason in self.engine.skipped.items():
            log.warning("automation rule %s is not running: %s", rule_id, reason)
        self.tags, self.visible, self.version = tags, visible, version
        self.owners = {row.id: row.user_id for row in rows}

    @staticmethod
    async def _visible_vins(session: Any, user_id: int) -> frozenset[str] | None:
        user = await users_repo.by_id(session, user_id)
        if user is None or user.disabled_at is not None:
            return frozenset()
        if user.is_admin:
            return None
        roles = await users_repo.roles_of(session, user_id)
        vehicles = await vehicles_repo.list_vehicles(session, frozenset(roles))
        return frozenset(vehicle.vin for vehicle in vehicles)

    async def _current(self) -> None:
        """Rules as stored, looked for at most every RECHECK_S while telemetry flows (the tick looks too):
        a rule saved a moment ago judges the next values."""
        now = time.monotonic()
        if self.version is None or now - self._checked >= RECHECK_S:
            self._checked = now
            await self.reload()

    async def on_samples(self, batches: Sequence[VehicleSamples], alerts: Sequence[CarEvent]) -> None:
        await self._current()
        firings: list[Firing] = []
        for batch in batches:
            firings += self.engine.observe(batch.vin, self.tags.get(batch.vin, set()), batch.samples)
        for alert in alerts:
            firings += self.engine.observe_alert(
                alert.vin, self.tags.get(alert.vin, set()), alert.name, alert.ts
            )
        await self.record(firings)

    async def on_announcement(self, vin: str, topic: str, doc: dict[str, object], at: datetime) -> None:
        await self._current()
        tags = self.tags.get(vin, set())
        if topic == STATE_TOPIC:
            state = str(doc["state"])
            previous = self.states.get(vin)
            self.states[vin] = state
            if state != previous:
                since = datetime.fromisoformat(str(doc["since"])) if doc.get("since") else at
                await self.record(self.engine.observe_state(vin, tags, state, previous, since))
        elif topic == CHARGING_TOPIC:
            started = datetime.fromisoformat(str(doc["startedAt"])) if doc.get("startedAt") else None
            # the announcement is stamped with the session's start; the event happened now
            firings = self.engine.observe_charging(
                vin, tags, str(doc["phase"]), datetime.now(UTC), started_at=started
            )
            await self.record(firings)

    async def tick(self, now: datetime | None = None) -> None:
        await self.reload()
        await self.record(self.engine.tick(now or datetime.now(UTC), self.tags))

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("the automation tick failed")
            await asyncio.sleep(TICK_EVERY_S)

    async def record(self, firings: Sequence[Firing]) -> list[int]:
        """Store each firing (once) and queue its actions."""
        runs: list[int] = []
        for firing in firings:
            owner = self.owners.get(firing.rule_id)
            seen = self.visible.get(owner) if owner is not None else frozenset()
            if owner is None or (seen is not None and firing.vin not in seen):
                continue
            document = firing.as_json()
            async with self.db.transaction() as session:
                run_id = await repo.add_run(
                    session,
                    rule_id=firing.rule_id,
                    vin=firing.vin,
                    fired_at=firing.at,
                    trigger=firing.trigger_detail,
                    values=document["values"],
                    actions=document["actions"],
                )
            if run_id is None:
                continue
            self.recorded += 1
            runs.append(run_id)
            await self.queues.enqueue(
                QueueName.AUTOMATIONS,
                "run_automation",
                RUN_ACTIONS,
                key=f"automation-run:{run_id}",
                run_id=run_id,
            )
        return runs


def _stored(row: AutomationRuleRow) -> StoredRule | None:
    try:
        rule = parse_rule(row.rule)
    except RuleInvalid as exc:  # written by an older version, say: reported, not run
        log.warning("automation rule %s cannot be read: %s", row.id, exc.message)
        return None
    return StoredRule(row.id, rule.model_copy(update={"enabled": row.enabled}))


async def run_automation(ctx: dict[str, Any], *, run_id: int) -> str:
    services = services_of(ctx)
    db = services.db
    async with db.transaction() as session:
        run = await repo.run(session, run_id)
        rule_row = await repo.rule(session, run.rule_id) if run is not None else None
    if run is None or rule_row is None or run.status in ("done", "failed", "partial"):
        return "nothing to do"
    outcomes: list[dict[str, object]] = [dict(action) for action in run.actions]
    for index, action in enumerate(outcomes):
        if "outcome" in action:
            continue  # ran in an earlier attempt of this job
        try:
            action["outcome"] = await _act(services, rule_row, run.id, run.vin, run.fired_at, index, action)
        except Exception as exc:
            log.exception("automation %s action %d failed", run.id, index)
            action["outcome"] = f"failed: {type(exc).__name__}: {exc}"[:500]
        async with db.transaction() as session:
            await repo.finish_run(session, run.id, "running", outcomes)
    failures = sum(str(action["outcome"]).startswith("failed") for action in outcomes)
    status = "done" if failures == 0 else "failed" if failures == len(outcomes) else "partial"
    async with db.transaction() as session:
        await repo.finish_run(session, run.id, status, outcomes)
    return status


async def _act(
    services: JobServices,
    rule_row: AutomationRuleRow,
    run_id: int,
    vin: str,
    fired_at: datetime,
    index: int,
    action: Mapping[str, Any],
) -> str:
    kind = action["kind"]
    if kind == "notify":
        event = Event(
            EventKind.AUTOMATION,
            vin,
            fired_at,
            str(action["title"]),
            str(action.get("body", "")),
            f"automation:{run_id}:{index}",
            {"rule": rule_row.name, "ruleId": rule_row.id},
        )
        count = await queue_deliveries(
            services.db, services.queues, rule_row.user_id, action.get("channel_ids"), event
        )
        return f"sent to {count} channel(s)"
    if kind == "command":
        return await _command(services, rule_row, run_id, vin, index, action)
    if kind == "webhook":
        return await _webhook(services, rule_row, run_id, vin, fired_at, action)
    return f"failed: unknown action {kind}"


async def _command(
    services: JobServices,
    rule_row: AutomationRuleRow,
    run_id: int,
    vin: str,
    index: int,
    action: Mapping[str, Any],
) -> str:
    spec = command(str(action["name"]))
    if spec is None or spec.sensitive:
        return f"failed: {action['name']} cannot be sent by a rule"
    if services.fleet is None:
        return "failed: vehicle commands are not available in this process"
    body, problems = validate(spec, action.get("params") or {})
    if problems:
        return "failed: " + "; ".join(problem.message for problem in problems)
    async with services.db.transaction() as session:
        vehicle = (await vehicles_repo.by_vins(session, [vin])).get(vin)
        owner = await users_repo.by_id(session, rule_row.user_id)
        roles = await users_repo.roles_of(session, rule_row.user_id)
    if vehicle is None or owner is None or owner.disabled_at is not None:
        return "failed: the vehicle or the rule's owner is gone"
    if not owner.is_admin and roles.get(vehicle.id) not in ("owner", "driver"):
        return "failed: the rule's owner may not command this vehicle"
    requester = Requester(
        name=f"automation:{rule_row.id}",
        key=f"automation:{rule_row.id}",
        user_id=owner.id,
        token_id=None,
        address=None,
    )
    try:
        row, _ = await services.fleet.commands.submit(
            requester, vehicle, spec, body, redacted(spec, body), f"automation-run:{run_id}:{index}"
        )
    except CommandRefused as exc:
        return f"failed: {exc.code}: {exc.message}"
    return f"command {row.id} queued"


async def _webhook(
    services: JobServices,
    rule_row: AutomationRuleRow,
    run_id: int,
    vin: str,
    fired_at: datetime,
    action: Mapping[str, Any],
) -> str:
    body = json.dumps(
        {
            "ruleId": rule_row.id,
            "rule": rule_row.name,
            "runId": run_id,
            "vin": vin,
            "at": fired_at.isoformat(),
        },
        separators=(",", ":"),
    ).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "TeslaSync"}
    secret_id = action.get("secret_id")
    if secret_id is not None:
        async with services.db.transaction() as session:
            channel = await notifications_repo.channel(session, int(secret_id))
        if channel is None or channel.user_id != rule_row.user_id or channel.kind != "webhook":
            return f"failed: no webhook channel {secret_id} of the rule's owner to sign with"
        config = stored_config(channel, services.keys())
        assert isinstance(config, WebhookConfig)
        secret = config.secret.get_secret_value()
        stamp = str(int(time.time()))
        headers |= {"X-TeslaSync-Timestamp": stamp, "X-TeslaSync-Signature": sign(secret, stamp, body)}
    response = await services.http.post(str(action["url"]), content=body, headers=headers)
    if response.status_code >= 400:
        return f"failed: HTTP {response.status_code}"
    return f"HTTP {response.status_code}"


async def dry_run_rule(
    db: Database, rule: Rule, vins: Sequence[str], days: int, *, now: datetime | None = None
) -> list[Firing]:
    """What `rule` would have done over the last `days` of stored data for `vins` (nothing is run)."""
    until = now or datetime.now(UTC)
    since = until - timedelta(days=min(days, DRY_RUN_MAX_DAYS))
    fields = sorted(_fields_read(rule) | set(ALWAYS_READ))
    samples: dict[str, list[Sample]] = {}
    states: dict[str, list[StateChange]] = {}
    charging: dict[str, list[ChargingChange]] = {}
    alerts: dict[str, list[AlertRaised]] = {}
    async with db.transaction() as session:
        found = await vehicles_repo.by_vins(session, list(vins))
        tags = await repo.tags_by_vin(session)
        fences = circles(await repo.geofences(session))
        for vin, vehicle in found.items():
            rows = await repo.history_signals(session, vehicle.id, fields, since, until, DRY_RUN_MAX_ROWS)
            samples[vin] = [
                Sample(ts, field, render(field, num, txt, doc)) for ts, field, num, txt, doc in rows
            ]
            spans = await repo.history_states(session, vehicle.id, since, until)
            states[vin] = [
                StateChange(at, state, spans[index - 1][1] if index else None)
                for index, (at, state) in enumerate(spans)
            ]
            charging[vin] = [
                change
                for start, end in await repo.history_charges(session, vehicle.id, since, until)
                for change in (
                    ChargingChange(start, "open", start),
                    *([ChargingChange(end, "closed", start)] if end is not None else []),
                )
            ]
            alerts[vin] = [
                AlertRaised(at, name)
                for at, name in await repo.history_alerts(session, vehicle.id, since, until)
            ]
    return dry_run(
        rule,
        samples,
        states=states,
        charging=charging,
        alerts=alerts,
        tags_by_vin={vin: tags.get(vin, set()) for vin in found},
        since=since,
        until=until,
        geofences=fences,
    )


def _fields_read(rule: Rule) -> set[str]:
    fields: set[str] = set()
    for part in (rule.trigger, *rule.conditions):
        field = getattr(part, "field", None)
        if isinstance(field, str):
            fields.add(field)
    return fields


FUNCTIONS: Mapping[str, JobFunction] = {"run_automation": run_automation}
