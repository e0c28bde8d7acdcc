"""Automations through the API: each user's rules (checked when saved, against the vehicles they see and may
command), enabling, dry runs over stored data, the run history, and the vehicle tags rules can target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from teslasync.auth import audit
from teslasync.auth.principal import Role, Scope
from teslasync.automations import CommandAction, Firing, Rule, RuleInvalid, parse_rule
from teslasync.context import Context
from teslasync.db.models import AutomationRuleRow, AutomationRunRow
from teslasync.db.repositories import automations as repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.errors import Forbidden, NotFound, require_scope
from teslasync.jobs.automations import DRY_RUN_MAX_DAYS, circles, dry_run_rule
from teslasync.resolvers.derived import BadPage
from teslasync.resolvers.users import MAX_PAGE

MAX_RULES = 200
MAX_TAGS = 20
MAX_TAG = 100


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    not_found: bool = False


def _user_id(context: Context) -> int:
    require_scope(context.principal, Scope.READ)
    if context.principal.user_id is None:
        raise Forbidden("automation rules belong to a user; sign in as one (or use a token)")
    return context.principal.user_id


def _problems(exc: RuleInvalid) -> list[Problem]:
    return [
        Problem(f"rule.{problem.path}" if problem.path else "rule", problem.message)
        for problem in exc.problems
    ]


async def _checked(context: Context, document: object) -> Rule | list[Problem]:
    """The rule, or what is wrong with it: its own validation, its geofences, and whether the caller sees
    the vehicles it names and may command them when it sends commands."""
    try:
        rule = parse_rule(document if isinstance(document, dict) else {})
        rule.with_geofences(circles(await repo.geofences(context.session)))
    except RuleInvalid as exc:
        return _problems(exc)
    principal = context.principal
    commands = any(isinstance(action, CommandAction) for action in rule.actions)
    if commands and not principal.can(Scope.COMMAND):
        return [Problem("rule.actions", "a rule that sends commands needs the 'command' scope")]
    problems: list[Problem] = []
    if rule.target.vins is not None:
        found = await vehicles_repo.by_vins(context.session, rule.target.vins)
        for index, vin in enumerate(rule.target.vins):
            vehicle = found.get(vin)
            if vehicle is None or principal.role_for(vehicle.id) is None:
                problems.append(Problem(f"rule.target.vins[{index}]", f"no vehicle {vin}", not_found=True))
            elif commands and not principal.may(Scope.COMMAND, vehicle.id):
                problems.append(Problem(f"rule.target.vins[{index}]", f"you may not command {vin}"))
    elif (
        commands
        and not principal.is_admin
        and not any(role in (Role.OWNER, Role.DRIVER) for role in principal.roles.values())
    ):
        problems.append(Problem("rule.target", "you may not command any vehicle"))
    return problems or rule


async def rules(context: Context) -> Sequence[AutomationRuleRow]:
    return await repo.rules_of(context.session, _user_id(context))


async def _own(context: Context, rule_id: int) -> AutomationRuleRow | None:
    row = await repo.rule(context.session, rule_id)
    return row if row is not None and row.user_id == _user_id(context) else None


async def one(context: Context, rule_id: int) -> AutomationRuleRow | None:
    return await _own(context, rule_id)


async def create(context: Context, document: object) -> AutomationRuleRow | list[Problem]:
    user_id = _user_id(context)
    if len(await repo.rules_of(context.session, user_id)) >= MAX_RULES:
        return [Problem("rule", f"at most {MAX_RULES} rules per user")]
    rule = await _checked(context, document)
    if isinstance(rule, list):
        return rule
    row = await repo.add_rule(context.session, user_id, rule.name, rule.to_json(), rule.enabled)
    await audit.record(context.session, context.principal, "automation.create", target=str(row.id))
    return row


async def update(context: Context, rule_id: int, document: object) -> AutomationRuleRow | list[Problem]:
    row = await _own(context, rule_id)
    if row is None:
        return [Problem("id", f"no automation rule {rule_id}", not_found=True)]
    rule = await _checked(context, document)
    if isinstance(rule, list):
        return rule
    await repo.touch_rule(context.session, rule_id, name=rule.name, rule=rule.to_json(), enabled=rule.enabled)
    await audit.record(context.session, context.principal, "automation.update", target=str(rule_id))
    updated = await repo.rule(context.session, rule_id)
    assert updated is not None
    return updated


async def set_enabled(context: Context, rule_id: int, enabled: bool) -> AutomationRuleRow | list[Problem]:
    row = await _own(context, rule_id)
    if row is None:
        return [Problem("id", f"no automation rule {rule_id}", not_found=True)]
    await repo.touch_rule(context.session, rule_id, enabled=enabled, rule={**row.rule, "enabled": enabled})
    updated = await repo.rule(context.session, rule_id)
    assert updated is not None
    return updated


async def delete(context: Context, rule_id: int) -> Problem | None:
    if await _own(context, rule_id) is None:
        return Problem("id", f"no automation rule {rule_id}", not_found=True)
    await repo.delete_rule(context.session, rule_id)
    await audit.record(context.session, context.principal, "automation.delete", target=str(rule_id))
    return None


async def dry_run(context: Context, document: object, days: int) -> tuple[list[Firing], list[Problem]]:
    """(the firings, the problems): one of them is empty."""
    _user_id(context)
    if not 1 <= days <= DRY_RUN_MAX_DAYS:
        return [], [Problem("days", f"between 1 and {DRY_RUN_MAX_DAYS}")]
    rule = await _checked(context, document)
    if isinstance(rule, list):
        return [], rule
    visible = context.principal.vehicle_filter
    vehicles = await vehicles_repo.list_vehicles(context.session, visible)
    tags = await repo.tags_of(context.session, [vehicle.id for vehicle in vehicles])
    vins = [vehicle.vin for vehicle in vehicles if rule.target.matches(vehicle.vin, tags.get(vehicle.id, []))]
    return await dry_run_rule(context.db, rule, vins, days, now=context.now), []


async def runs(
    context: Context, rule_id: int | None, first: int, before_id: int | None
) -> list[AutomationRunRow]:
    user_id = _user_id(context)
    if not 1 <= first <= MAX_PAGE:
        raise BadPage(f"first must be between 1 and {MAX_PAGE}")
    owned = [row.id for row in await repo.rules_of(context.session, user_id)]
    chosen = [rule_id] if rule_id is not None and rule_id in owned else [] if rule_id is not None else owned
    return list(await repo.runs_page(context.session, chosen, before_id, first + 1))


async def vehicle_tags(context: Context, vin: str) -> list[str]:
    require_scope(context.principal, Scope.READ)
    vehicle = (await vehicles_repo.by_vins(context.session, [vin.strip().upper()])).get(vin.strip().upper())
    if vehicle is None or context.principal.role_for(vehicle.id) is None:
        raise NotFound(f"no vehicle {vin.strip().upper()}")
    return (await repo.tags_of(context.session, [vehicle.id]))[vehicle.id]


async def set_vehicle_tags(context: Context, vin: str, tags: Sequence[str]) -> list[str] | Problem:
    require_scope(context.principal, Scope.READ)
    vin = vin.strip().upper()
    vehicle = (await vehicles_repo.by_vins(context.session, [vin])).get(vin)
    if vehicle is None or context.principal.role_for(vehicle.id) is None:
        return Problem("vin", f"no vehicle {vin}", not_found=True)
    if context.principal.role_for(vehicle.id) is not Role.OWNER:
        return Problem("vin", "only the vehicle's owner (or an administrator) tags it")
    cleaned = sorted({tag.strip() for tag in tags if tag.strip()})
    if len(cleaned) > MAX_TAGS or any(len(tag) > MAX_TAG for tag in cleaned):
        return Problem("tags", f"at most {MAX_TAGS} tags of at most {MAX_TAG} characters")
    await repo.set_tags(context.session, vehicle.id, cleaned)
    await audit.record(context.session, context.principal, "vehicle.tags", target=vin)
    return cleaned
