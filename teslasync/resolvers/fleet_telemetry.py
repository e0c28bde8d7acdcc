"""Fleet Telemetry configuration from TeslaSync: choose fields and intervals, push them to the cars through
the vehicle-command proxy (which signs them), and see whether each car has taken them. Owners only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from teslasync.auth import audit
from teslasync.auth.principal import Role, Scope
from teslasync.context import Context
from teslasync.db.models import Vehicle
from teslasync.db.repositories import telemetry_configs as repo
from teslasync.db.repositories import tesla_accounts as accounts_repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.errors import Forbidden, NotFound, TeslaSyncError, require_scope
from teslasync.fleet.client import FleetError
from teslasync.fleet.services import Fleet
from teslasync.fleet.sync import sync_vehicles
from teslasync.fleet.telemetry_config import (
    DEFAULT_FIELDS,
    ConfigProblem,
    FieldInterval,
    build_config,
    fields_of,
    request_body,
)
from teslasync.resolvers.users import Refusal


class FleetProblem(TeslaSyncError):
    """Tesla refused or failed; the code is the Fleet API client's."""

    def __init__(self, error: FleetError) -> None:
        super().__init__(error.message)
        self.code = error.code


@dataclass(frozen=True)
class Pushed:
    updated: int
    skipped: dict[str, object]


@dataclass(frozen=True)
class Status:
    synced: bool
    fields: list[FieldInterval]
    pushed_at: datetime | None


def _fleet(context: Context) -> Fleet:
    if context.fleet is None:
        raise TeslaSyncError("Tesla is not reachable from this process")
    return context.fleet


async def _owned(context: Context, vin: str) -> Vehicle:
    require_scope(context.principal, Scope.COMMAND)
    vin = vin.strip().upper()
    vehicle = (await vehicles_repo.by_vins(context.session, [vin])).get(vin)
    role = context.principal.role_for(vehicle.id) if vehicle is not None else None
    if vehicle is None or role is None:
        raise NotFound(f"no vehicle {vin}")
    if role is not Role.OWNER:
        raise Forbidden("only the vehicle's owner or an administrator configures its telemetry")
    if vehicle.tesla_account_id is None:
        raise TeslaSyncError(f"{vin} is in no connected Tesla account")
    return vehicle


async def configure(
    context: Context,
    vins: Sequence[str],
    hostname: str,
    port: int,
    ca: str,
    fields: Sequence[FieldInterval] | None,
) -> Pushed | Refusal:
    vehicles = [await _owned(context, vin) for vin in vins]
    accounts = {vehicle.tesla_account_id for vehicle in vehicles}
    if len(accounts) != 1:
        return Refusal(
            "vins", "vins: the vehicles must belong to one Tesla account; configure each account apart"
        )
    try:
        config = build_config(hostname=hostname, port=port, ca=ca, fields=fields or DEFAULT_FIELDS)
        body = request_body([vehicle.vin for vehicle in vehicles], config)
    except ConfigProblem as problem:
        return Refusal(problem.where, str(problem))
    account_id = vehicles[0].tesla_account_id
    assert account_id is not None
    try:
        answer = await _fleet(context).client.configure_telemetry(account_id, body)
    except FleetError as exc:
        raise FleetProblem(exc) from None
    now = datetime.now(UTC)
    for vehicle in vehicles:
        await repo.pushed(context.session, vehicle.id, config, now)
    await audit.record(
        context.session,
        context.principal,
        "telemetry.configure",
        target=",".join(vehicle.vin for vehicle in vehicles),
        detail={
            "fields": len(config["fields"]) if isinstance(config["fields"], dict) else 0,
            "host": hostname,
        },
    )
    skipped = answer.get("skipped_vehicles")
    return Pushed(
        int(answer.get("updated_vehicles") or 0), dict(skipped) if isinstance(skipped, dict) else {}
    )


async def status(context: Context, vin: str) -> Status:
    """Asked of Tesla each time: whether the car has taken the configuration is only known there."""
    vehicle = await _owned(context, vin)
    assert vehicle.tesla_account_id is not None
    try:
        answer = await _fleet(context).client.telemetry_config(vehicle.tesla_account_id, vehicle.vin)
    except FleetError as exc:
        raise FleetProblem(exc) from None
    synced = bool(answer.get("synced"))
    config = answer.get("config")
    now = datetime.now(UTC)
    # a query's session only reads: what Tesla said is kept in a transaction of its own
    async with context.db.transaction() as session:
        await repo.checked(session, vehicle.id, synced, now)
    stored = await repo.of_vehicle(context.session, vehicle.id)
    return Status(
        synced, fields_of(config) if isinstance(config, dict) else [], stored.pushed_at if stored else None
    )


async def errors(context: Context, vin: str) -> list[object]:
    """What Tesla's telemetry servers reported going wrong for the account's cars (a bad certificate, an
    unreachable host), as Tesla gives it."""
    vehicle = await _owned(context, vin)
    assert vehicle.tesla_account_id is not None
    try:
        answer = await _fleet(context).client.telemetry_errors(vehicle.tesla_account_id)
    except FleetError as exc:
        raise FleetProblem(exc) from None
    found = answer.get("fleet_telemetry_errors")
    return list(found) if isinstance(found, list) else []


async def delete(context: Context, vin: str) -> bool:
    vehicle = await _owned(context, vin)
    assert vehicle.tesla_account_id is not None
    try:
        await _fleet(context).client.delete_telemetry_config(vehicle.tesla_account_id, vehicle.vin)
    except FleetError as exc:
        raise FleetProblem(exc) from None
    await repo.forget(context.session, vehicle.id)
    await audit.record(context.session, context.principal, "telemetry.delete", target=vehicle.vin)
    return True


async def sync(context: Context, account_id: int) -> list[str]:
    """Take in the vehicles a Tesla account lists (after connecting, or when a car was added)."""
    require_scope(context.principal, Scope.COMMAND)
    account = await accounts_repo.by_id(context.session, account_id)
    principal = context.principal
    if account is None or not (account.user_id == principal.user_id or principal.can(Scope.ADMIN)):
        raise NotFound(f"no Tesla account {account_id}")
    try:
        return await sync_vehicles(context.db, _fleet(context).client, account_id)
    except FleetError as exc:
        raise FleetProblem(exc) from None
