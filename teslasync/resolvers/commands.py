"""Vehicle commands through the API. Before anything is sent: the credential may command, the user's role
for the car allows it (a viewer may not), the parameters are valid, a sensitive command has a fresh step-up,
the principal is within its command rate. Refusals are audited; what runs is audited with its outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from teslasync.auth import audit
from teslasync.auth.principal import Principal, Scope
from teslasync.auth.ratelimit import record_refusal
from teslasync.auth.stepup import require_step_up
from teslasync.context import Context
from teslasync.db.models import Vehicle, VehicleCommandRow
from teslasync.db.repositories import commands as repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.errors import Forbidden, NotFound, RateLimited, TeslaSyncError, require_scope
from teslasync.fleet.catalogue import CommandSpec, ParamProblem, redacted, validate
from teslasync.fleet.commands import CommandRefused, Commands, Requester
from teslasync.resolvers.derived import BadPage, decode_cursor
from teslasync.resolvers.users import MAX_PAGE

MAX_IDEMPOTENCY_KEY = 200


class CommandsUnavailable(TeslaSyncError):
    code = "TESLA_UNAVAILABLE"


@dataclass(frozen=True)
class Sent:
    row: VehicleCommandRow
    vin: str
    duplicate: bool


def _commands(context: Context) -> Commands:
    if context.fleet is None:
        raise CommandsUnavailable("vehicle commands are not available in this process")
    return context.fleet.commands


async def _visible(context: Context, vin: str) -> Vehicle | None:
    vin = vin.strip().upper()
    vehicle = (await vehicles_repo.by_vins(context.session, [vin])).get(vin)
    if vehicle is None or context.principal.role_for(vehicle.id) is None:
        return None
    return vehicle


def requester_of(principal: Principal) -> Requester:
    return Requester(
        name=principal.name,
        key=principal.key,
        user_id=principal.user_id,
        token_id=principal.token_id,
        address=principal.address,
    )


async def _refuse(context: Context, spec: CommandSpec, vin: str, error: TeslaSyncError) -> TeslaSyncError:
    await audit.record_apart(
        context.db, context.principal, f"command.{spec.name}", target=vin, detail={"error": error.code}
    )
    return error


async def send(
    context: Context, vin: str, spec: CommandSpec, params: object, idempotency_key: str | None
) -> Sent | list[ParamProblem] | CommandRefused:
    principal = context.principal
    require_scope(principal, Scope.COMMAND)
    vehicle = await _visible(context, vin)
    if vehicle is None:
        raise NotFound(f"no vehicle {vin.strip().upper()}")
    if not principal.may(Scope.COMMAND, vehicle.id):
        raise await _refuse(
            context, spec, vehicle.vin, Forbidden("a viewer of this vehicle cannot command it")
        )
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        return [ParamProblem("idempotencyKey", f"idempotencyKey: 1-{MAX_IDEMPOTENCY_KEY} characters")]
    body, problems = validate(spec, params)
    if problems:
        return problems
    if spec.sensitive:
        try:
            await require_step_up(context.session, context.security, principal, spec.name, context.now)
        except TeslaSyncError as exc:
            raise await _refuse(context, spec, vehicle.vin, exc) from None
    security = context.security
    decision = await security.limiter.hit(f"command:{principal.key}", security.limits.command)
    if not decision.allowed:
        record_refusal("command")
        wait = max(1, round(decision.retry_after_s))
        raise await _refuse(
            context, spec, vehicle.vin, RateLimited(f"too many commands: retry in {wait} s", retryAfter=wait)
        )
    try:
        row, created = await _commands(context).submit(
            requester_of(principal), vehicle, spec, body, redacted(spec, body), idempotency_key
        )
    except CommandRefused as refusal:
        await audit.record_apart(
            context.db, principal, f"command.{spec.name}", target=vehicle.vin, detail={"error": refusal.code}
        )
        return refusal
    return Sent(row, vehicle.vin, duplicate=not created)


async def history(context: Context, vin: str, first: int, after: str | None) -> list[VehicleCommandRow]:
    require_scope(context.principal, Scope.READ)
    if not 1 <= first <= MAX_PAGE:
        raise BadPage(f"first must be between 1 and {MAX_PAGE}")
    vehicle = await _visible(context, vin)
    if vehicle is None:
        return []
    before = decode_cursor(after) if after else None
    return list(await repo.page(context.session, vehicle.id, before, first + 1))


async def one(context: Context, command_id: int) -> tuple[VehicleCommandRow, str] | None:
    require_scope(context.principal, Scope.READ)
    row = await repo.by_id(context.session, command_id)
    if row is None or context.principal.role_for(row.vehicle_id) is None:
        return None
    vehicle = await context.session.get(Vehicle, row.vehicle_id)
    return (row, vehicle.vin) if vehicle is not None else None


async def vins_of(context: Context, vehicle_ids: Sequence[int]) -> dict[int, str]:
    rows = await vehicles_repo.list_vehicles(context.session, frozenset(vehicle_ids))
    return {row.id: row.vin for row in rows}


async def watch_start(context: Context, command_id: int) -> str:
    """The VIN of a command the caller may watch; NotFound otherwise (as for one that does not exist)."""
    require_scope(context.principal, Scope.READ)
    _commands(context)
    async with context.db.transaction() as session:
        row = await repo.by_id(session, command_id)
        vehicle = await session.get(Vehicle, row.vehicle_id) if row is not None else None
    if row is None or vehicle is None or context.principal.role_for(vehicle.id) is None:
        raise NotFound(f"no command {command_id}")
    return vehicle.vin
