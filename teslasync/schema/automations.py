"""Automations: rules (JSON documents, see docs/automations.md), their runs, dry runs, and vehicle tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from teslasync.automations import Firing
from teslasync.db.models import AutomationRuleRow, AutomationRunRow
from teslasync.resolvers import automations as resolvers
from teslasync.resolvers.derived import decode_cursor, encode_cursor
from teslasync.schema.context import Info
from teslasync.schema.costs import InvalidInput, MutationProblem, NotFoundProblem, _id
from teslasync.schema.derived import PageInfo, page_info


@strawberry.type(name="AutomationRule", description="A rule: when something happens, do something.")
class AutomationRuleType:
    id: strawberry.ID = strawberry.field(description="The rule's id.")
    name: str = strawberry.field(description="Its name.")
    enabled: bool = strawberry.field(description="Whether it runs.")
    rule: JSON = strawberry.field(description="The rule as written: target, trigger, conditions, actions...")
    created_at: datetime = strawberry.field(description="When it was made.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def of(cls, row: AutomationRuleRow) -> AutomationRuleType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            enabled=row.enabled,
            rule=cast(Any, row.rule),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="One firing of a rule for one vehicle, and what each action did.")
class AutomationRun:
    id: strawberry.ID = strawberry.field(description="The run's id.")
    rule_id: strawberry.ID = strawberry.field(description="The rule.")
    vin: str = strawberry.field(description="The vehicle.")
    fired_at: datetime = strawberry.field(description="When the rule fired.")
    trigger: str = strawberry.field(description="What set it off, in words.")
    values: JSON = strawberry.field(description="The values at the time (the templates' placeholders).")
    status: str = strawberry.field(description="pending, running, done, partial or failed.")
    actions: JSON = strawberry.field(description="Each action, with its `outcome` once it ran.")
    finished_at: datetime | None = strawberry.field(description="When its actions finished.")

    @classmethod
    def of(cls, row: AutomationRunRow) -> AutomationRun:
        return cls(
            id=strawberry.ID(str(row.id)),
            rule_id=strawberry.ID(str(row.rule_id)),
            vin=row.vin,
            fired_at=row.fired_at,
            trigger=row.trigger,
            values=cast(Any, row.values),
            status=row.status,
            actions=cast(Any, row.actions),
            finished_at=row.finished_at,
        )


@strawberry.type(description="A run and its cursor.")
class AutomationRunEdge:
    cursor: str = strawberry.field(description="Opaque position of this run.")
    node: AutomationRun = strawberry.field(description="The run.")


@strawberry.type(description="A page of runs, newest first.")
class AutomationRunConnection:
    edges: list[AutomationRunEdge] = strawberry.field(description="The runs of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


@strawberry.type(description="What a rule would have done at one moment of a dry run (nothing was done).")
class AutomationFiring:
    vin: str = strawberry.field(description="The vehicle.")
    at: datetime = strawberry.field(description="When it would have fired.")
    trigger: str = strawberry.field(description="What would have set it off.")
    values: JSON = strawberry.field(description="The values at the time.")
    actions: JSON = strawberry.field(description="The actions, with their texts filled in.")

    @classmethod
    def of(cls, firing: Firing) -> AutomationFiring:
        document = firing.as_json()
        return cls(
            vin=firing.vin,
            at=firing.at,
            trigger=firing.trigger_detail,
            values=cast(Any, document["values"]),
            actions=cast(Any, document["actions"]),
        )


@strawberry.type(description="The rule as stored.")
class AutomationRulePayload:
    rule: AutomationRuleType | None = strawberry.field(description="The rule; null if refused.")
    errors: list[MutationProblem] = strawberry.field(
        description="Empty when saved; otherwise each problem, its field a path into the rule "
        "(e.g. 'rule.trigger.threshold.field')."
    )


@strawberry.type(description="Whether the rule was removed.")
class AutomationRemovalPayload:
    removed: bool = strawberry.field(description="True when it was removed.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when it was removed.")


@strawberry.type(description="A dry run's firings, oldest first.")
class AutomationDryRunPayload:
    firings: list[AutomationFiring] = strawberry.field(description="What the rule would have done.")
    errors: list[MutationProblem] = strawberry.field(description="Empty unless the rule is invalid.")


@strawberry.type(description="A vehicle's tags as stored.")
class VehicleTagsPayload:
    tags: list[str] = strawberry.field(description="The tags, sorted.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when saved.")


def _problems(found: list[resolvers.Problem]) -> list[MutationProblem]:
    return [
        NotFoundProblem(field=p.field, message=p.message)
        if p.not_found
        else InvalidInput(field=p.field, message=p.message)
        for p in found
    ]


def _missing(id: strawberry.ID) -> list[MutationProblem]:
    return [NotFoundProblem(field="id", message=f"no automation rule {id}")]


def _rule_payload(outcome: AutomationRuleRow | list[resolvers.Problem]) -> AutomationRulePayload:
    if isinstance(outcome, list):
        return AutomationRulePayload(rule=None, errors=_problems(outcome))
    return AutomationRulePayload(rule=AutomationRuleType.of(outcome), errors=[])


@strawberry.type
class AutomationQueries:
    @strawberry.field(description="The caller's automation rules.")
    async def automation_rules(self, info: Info) -> list[AutomationRuleType]:
        return [AutomationRuleType.of(row) for row in await resolvers.rules(info.context)]

    @strawberry.field(description="One of the caller's rules, or null.")
    async def automation_rule(self, info: Info, id: strawberry.ID) -> AutomationRuleType | None:
        rule_id = _id(id)
        row = await resolvers.one(info.context, rule_id) if rule_id is not None else None
        return AutomationRuleType.of(row) if row is not None else None

    @strawberry.field(description="Runs of the caller's rules (of one rule, with ruleId), newest first.")
    async def automation_runs(
        self, info: Info, rule_id: strawberry.ID | None = None, first: int = 20, after: str | None = None
    ) -> AutomationRunConnection:
        before = decode_cursor(after)[1] if after is not None else None
        chosen = (_id(rule_id) or -1) if rule_id is not None else None
        rows = await resolvers.runs(info.context, chosen, first, before)
        edges = [
            AutomationRunEdge(cursor=encode_cursor(row.created_at, row.id), node=AutomationRun.of(row))
            for row in rows[:first]
        ]
        return AutomationRunConnection(edges=edges, page_info=page_info(len(rows) > first, edges))

    @strawberry.field(description="A vehicle's tags (rules can target every vehicle with a tag).")
    async def vehicle_tags(self, info: Info, vin: str) -> list[str]:
        return await resolvers.vehicle_tags(info.context, vin)


@strawberry.type
class AutomationMutations:
    @strawberry.mutation(description="Save a new rule (see docs/automations.md for the JSON).")
    async def create_automation_rule(self, info: Info, rule: JSON) -> AutomationRulePayload:
        return _rule_payload(await resolvers.create(info.context, rule))

    @strawberry.mutation(description="Replace a rule (its cool-down carries over).")
    async def update_automation_rule(
        self, info: Info, id: strawberry.ID, rule: JSON
    ) -> AutomationRulePayload:
        rule_id = _id(id)
        if rule_id is None:
            return AutomationRulePayload(rule=None, errors=_missing(id))
        return _rule_payload(await resolvers.update(info.context, rule_id, rule))

    @strawberry.mutation(description="Turn a rule on or off.")
    async def set_automation_rule_enabled(
        self, info: Info, id: strawberry.ID, enabled: bool
    ) -> AutomationRulePayload:
        rule_id = _id(id)
        if rule_id is None:
            return AutomationRulePayload(rule=None, errors=_missing(id))
        return _rule_payload(await resolvers.set_enabled(info.context, rule_id, enabled))

    @strawberry.mutation(description="Remove a rule and its run history.")
    async def delete_automation_rule(self, info: Info, id: strawberry.ID) -> AutomationRemovalPayload:
        rule_id = _id(id)
        if rule_id is None:
            return AutomationRemovalPayload(removed=False, errors=_missing(id))
        problem = await resolvers.delete(info.context, rule_id)
        return AutomationRemovalPayload(
            removed=problem is None, errors=_problems([problem]) if problem else []
        )

    @strawberry.mutation(
        description="What a rule (saved or not) would have done over the last `days` (at most 31) of stored "
        "data of the vehicles it targets. Nothing is sent."
    )
    async def dry_run_automation_rule(self, info: Info, rule: JSON, days: int = 7) -> AutomationDryRunPayload:
        firings, problems = await resolvers.dry_run(info.context, rule, days)
        return AutomationDryRunPayload(
            firings=[AutomationFiring.of(firing) for firing in firings], errors=_problems(problems)
        )

    @strawberry.mutation(description="Set a vehicle's tags (its owner or an administrator).")
    async def set_vehicle_tags(self, info: Info, vin: str, tags: list[str]) -> VehicleTagsPayload:
        outcome = await resolvers.set_vehicle_tags(info.context, vin, tags)
        if isinstance(outcome, resolvers.Problem):
            return VehicleTagsPayload(tags=[], errors=_problems([outcome]))
        return VehicleTagsPayload(tags=outcome, errors=[])
