"""Vehicle commands: the catalogue (generated from fleet/catalogue.py), sending one, its history and its
live status."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from teslasync.db.models import VehicleCommandRow
from teslasync.errors import NotFound
from teslasync.fleet import catalogue
from teslasync.fleet.commands import CommandRefused
from teslasync.resolvers import commands as resolvers
from teslasync.resolvers.derived import encode_cursor
from teslasync.schema.context import Info
from teslasync.schema.costs import _id
from teslasync.schema.derived import PageInfo, page_info

# The enum is the catalogue: a command added there appears here, in the SDL and in docs/commands.md.
VehicleCommandValues = Enum(  # type: ignore[misc]
    "VehicleCommand", {spec.graphql_name: spec.name for spec in catalogue.CATALOGUE}
)
VehicleCommand = strawberry.enum(
    VehicleCommandValues,
    name="VehicleCommand",
    description="A Fleet API vehicle command, its name upper-cased (see `commandCatalogue`).",
)


@strawberry.enum(description="Where a command stands.")
class CommandStatus(Enum):
    PENDING = "pending"
    SENT = "sent"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


CommandCategory = strawberry.enum(
    catalogue.Category, name="CommandCategory", description="What a command is about."
)


@strawberry.type(description="One parameter of a command, as `params` expects it.")
class CommandParameter:
    name: str = strawberry.field(description="Its key in `params`, as the Fleet API names it.")
    kind: str = strawberry.field(description="int, float, bool, string, enum, object or list.")
    description: str = strawberry.field(description="What it does.")
    required: bool = strawberry.field(description="Whether it must be given.")
    minimum: float | None = strawberry.field(description="Smallest value allowed.")
    maximum: float | None = strawberry.field(description="Largest value allowed.")
    choices: list[str] = strawberry.field(description="The values allowed, for an enum, as text.")
    choice_values: list[JSON] = strawberry.field(
        description="The values allowed, typed as `params` must give them (a number stays a number)."
    )
    unit: str | None = strawberry.field(description="Unit of the value, e.g. '%', 'A', '°C'.")
    max_length: int | None = strawberry.field(description="Longest text allowed.")
    secret: bool = strawberry.field(description="A PIN or password: never stored or shown.")


@strawberry.type(description="What a command does and takes.")
class CommandDescription:
    command: VehicleCommand = strawberry.field(description="The value to pass to `sendCommand`.")  # type: ignore[valid-type]
    category: CommandCategory = strawberry.field(description="Its group.")  # type: ignore[valid-type]
    description: str = strawberry.field(description="What it does.")
    sensitive: bool = strawberry.field(description="Needs a two-factor step-up (`verifyTotp`) first.")
    signed: bool = strawberry.field(description="Signed end to end through the vehicle-command proxy.")
    proxy_only: bool = strawberry.field(description="Exists only through the vehicle-command proxy.")
    parameters: list[CommandParameter] = strawberry.field(description="Its parameters.")


@strawberry.type(description="One step of a command's run.")
class CommandStep:
    at: datetime = strawberry.field(description="When.")
    step: str = strawberry.field(description="queued, sent, asleep, waking, awake, succeeded, failed...")
    detail: str | None = strawberry.field(description="More, where it helps.")


@strawberry.type(name="Command", description="A command sent to a vehicle, and how it went.")
class CommandRun:
    id: strawberry.ID = strawberry.field(description="The command's id (for `commandStatus`).")
    vin: str = strawberry.field(description="The vehicle.")
    command: VehicleCommand = strawberry.field(description="What was asked.")  # type: ignore[valid-type]
    params: JSON = strawberry.field(description="Its parameters, secrets shown as ***.")
    status: CommandStatus = strawberry.field(description="Where it stands.")
    steps: list[CommandStep] = strawberry.field(description="Each step, oldest first.")
    error_code: str | None = strawberry.field(description="Why it failed, a stable code.")
    error: str | None = strawberry.field(description="Why it failed, in words.")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")

    @classmethod
    def of(cls, row: VehicleCommandRow, vin: str) -> CommandRun:
        return cls(
            id=strawberry.ID(str(row.id)),
            vin=vin,
            command=VehicleCommandValues(row.command),
            params=cast(Any, row.params),
            status=CommandStatus(row.status),
            steps=[
                CommandStep(
                    at=datetime.fromisoformat(str(s["at"])),
                    step=str(s["step"]),
                    detail=str(s["detail"]) if s.get("detail") is not None else None,
                )
                for s in row.steps
            ],
            error_code=row.error_code,
            error=row.error,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


@strawberry.type(description="A command and its cursor.")
class CommandEdge:
    cursor: str = strawberry.field(description="Opaque position of this command.")
    node: CommandRun = strawberry.field(description="The command.")


@strawberry.type(description="A page of commands, newest first.")
class CommandConnection:
    edges: list[CommandEdge] = strawberry.field(description="The commands of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


@strawberry.type(description="A parameter the command cannot take as given.")
class InvalidParameter:
    field: str = strawberry.field(description="Which, e.g. 'params.percent'.")
    message: str = strawberry.field(description="Why, with the allowed range or choices.")


@strawberry.type(
    description="The command was refused before it was sent, e.g. the car's daily budget is spent."
)
class CommandRefusal:
    code: str = strawberry.field(description="COMMAND_BUDGET_EXCEEDED or IDEMPOTENCY_KEY_REUSED.")
    message: str = strawberry.field(description="Why.")


SendCommandProblem = Annotated[
    InvalidParameter | CommandRefusal,
    strawberry.union("SendCommandProblem", description="Why a command was not sent."),
]


@strawberry.type(description="The command as recorded (PENDING at first: follow it with commandStatus).")
class SendCommandPayload:
    command: CommandRun | None = strawberry.field(description="The command; null if refused.")
    duplicate: bool = strawberry.field(
        description="True when the idempotency key was used before: this is that command, not sent again."
    )
    errors: list[SendCommandProblem] = strawberry.field(description="Empty when the command was accepted.")


def _description(spec: catalogue.CommandSpec) -> CommandDescription:
    return CommandDescription(
        command=VehicleCommandValues(spec.name),
        category=spec.category,
        description=spec.description,
        sensitive=spec.sensitive,
        signed=spec.signed,
        proxy_only=spec.proxy_only,
        parameters=[
            CommandParameter(
                name=p.name,
                kind=p.kind.value,
                description=p.description,
                required=p.required,
                minimum=p.minimum,
                maximum=p.maximum,
                choices=[str(choice) for choice in p.choices],
                choice_values=[cast(Any, choice) for choice in p.choices],
                unit=p.unit,
                max_length=p.max_length,
                secret=p.secret,
            )
            for p in spec.params
        ],
    )


CATALOGUE_DESCRIPTIONS = [_description(spec) for spec in catalogue.CATALOGUE]


@strawberry.type
class CommandQueries:
    @strawberry.field(description="Every vehicle command, its parameters, and whether it needs step-up.")
    def command_catalogue(self) -> list[CommandDescription]:
        return CATALOGUE_DESCRIPTIONS

    @strawberry.field(description="Commands sent to a vehicle, newest first.")
    async def commands(
        self, info: Info, vin: str, first: int = 20, after: str | None = None
    ) -> CommandConnection:
        rows = await resolvers.history(info.context, vin, first, after)
        vin = vin.strip().upper()
        edges = [
            CommandEdge(cursor=encode_cursor(row.created_at, row.id), node=CommandRun.of(row, vin))
            for row in rows[:first]
        ]
        return CommandConnection(edges=edges, page_info=page_info(len(rows) > first, edges))

    @strawberry.field(description="One command by id, or null when there is none the caller may see.")
    async def command(self, info: Info, id: strawberry.ID) -> CommandRun | None:
        command_id = _id(id)
        found = await resolvers.one(info.context, command_id) if command_id is not None else None
        return CommandRun.of(*found) if found is not None else None


@strawberry.type
class CommandMutations:
    @strawberry.mutation(
        description="Send a command to a vehicle. Refused before sending when a parameter is out of range; "
        "a sleeping car is woken first. Pass an idempotencyKey so a retried request never sends twice."
    )
    async def send_command(
        self,
        info: Info,
        vin: str,
        command: VehicleCommand,  # type: ignore[valid-type]
        params: JSON | None = None,
        idempotency_key: str | None = None,
    ) -> SendCommandPayload:
        spec = catalogue.command(cast(Enum, command).value)
        assert spec is not None
        result = await resolvers.send(info.context, vin, spec, params, idempotency_key)
        if isinstance(result, list):
            problems: list[Any] = [InvalidParameter(field=p.field, message=p.message) for p in result]
            return SendCommandPayload(command=None, duplicate=False, errors=problems)
        if isinstance(result, CommandRefused):
            refusal = CommandRefusal(code=result.code, message=result.message)
            return SendCommandPayload(command=None, duplicate=False, errors=[refusal])
        return SendCommandPayload(
            command=CommandRun.of(result.row, result.vin), duplicate=result.duplicate, errors=[]
        )


@strawberry.type
class CommandSubscriptions:
    @strawberry.subscription(description="A command's status: now, then at each step, until it ends.")
    async def command_status(self, info: Info, id: strawberry.ID) -> AsyncGenerator[CommandRun, None]:
        command_id = _id(id)
        if command_id is None:
            raise NotFound(f"no command {id}")
        vin = await resolvers.watch_start(info.context, command_id)
        assert info.context.fleet is not None
        async for row in info.context.fleet.commands.watch(command_id):
            yield CommandRun.of(row, vin)
