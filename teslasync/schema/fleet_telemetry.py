"""Fleet Telemetry configuration from TeslaSync, and taking in a Tesla account's vehicles."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from teslasync.fleet.telemetry_config import DEFAULT_FIELDS, FieldInterval
from teslasync.resolvers import fleet_telemetry as resolvers
from teslasync.resolvers.users import Refusal
from teslasync.schema.context import Info
from teslasync.schema.costs import InvalidInput, MutationProblem, _id


@strawberry.type(description="How often a car sends one Fleet Telemetry field.")
class TelemetryField:
    name: str = strawberry.field(description="The field, e.g. 'BatteryLevel'.")
    interval_seconds: int = strawberry.field(description="Not more often than this, seconds.")
    minimum_delta: float | None = strawberry.field(
        description="Smaller changes are not sent (the car's unit)."
    )
    resend_interval_seconds: int | None = strawberry.field(
        description="An unchanged value is repeated this often."
    )

    @classmethod
    def of(cls, field: FieldInterval) -> TelemetryField:
        return cls(
            name=field.name,
            interval_seconds=field.interval_seconds,
            minimum_delta=field.minimum_delta,
            resend_interval_seconds=field.resend_interval_seconds,
        )


@strawberry.input(description="A field to stream and how often.")
class TelemetryFieldInput:
    name: str = strawberry.field(description="The field, e.g. 'BatteryLevel'.")
    interval_seconds: int = strawberry.field(description="Not more often than this, seconds (at least 1).")
    minimum_delta: float | None = strawberry.field(default=None, description="Smaller changes are not sent.")
    resend_interval_seconds: int | None = strawberry.field(
        default=None, description="Repeat an unchanged value this often."
    )


@strawberry.type(description="The Fleet Telemetry configuration a car runs, as Tesla reports it.")
class TelemetryConfigStatus:
    synced: bool = strawberry.field(description="Whether the car has taken the configuration.")
    fields: list[TelemetryField] = strawberry.field(description="The fields it streams.")
    pushed_at: datetime | None = strawberry.field(description="When TeslaSync last pushed one.")


@strawberry.type(description="The result of pushing a Fleet Telemetry configuration.")
class ConfigureTelemetryPayload:
    updated_vehicles: int = strawberry.field(description="Cars that will take it.")
    skipped_vehicles: JSON | None = strawberry.field(
        description="Cars Tesla skipped, by reason (missing_key, unsupported_firmware, ...)."
    )
    errors: list[MutationProblem] = strawberry.field(description="Empty when it was pushed.")


@strawberry.type
class FleetTelemetryQueries:
    @strawberry.field(description="The fields and intervals TeslaSync streams unless told otherwise.")
    def default_telemetry_fields(self) -> list[TelemetryField]:
        return [TelemetryField.of(field) for field in DEFAULT_FIELDS]

    @strawberry.field(description="The car's Fleet Telemetry configuration, asked of Tesla (owners).")
    async def telemetry_config(self, info: Info, vin: str) -> TelemetryConfigStatus:
        status = await resolvers.status(info.context, vin)
        return TelemetryConfigStatus(
            synced=status.synced,
            fields=[TelemetryField.of(f) for f in status.fields],
            pushed_at=status.pushed_at,
        )

    @strawberry.field(
        description="Errors Tesla's telemetry servers report for the account of this car (owners), as Tesla "
        "gives them: a bad certificate, an unreachable host."
    )
    async def telemetry_errors(self, info: Info, vin: str) -> list[JSON]:
        return cast(list[Any], await resolvers.errors(info.context, vin))


@strawberry.type
class FleetTelemetryMutations:
    @strawberry.mutation(
        description="Push a Fleet Telemetry configuration to cars through the vehicle-command proxy (owners). "
        "`fields` null: the default set."
    )
    async def configure_telemetry(
        self,
        info: Info,
        vins: list[str],
        hostname: str,
        ca: str,
        port: int = 443,
        fields: list[TelemetryFieldInput] | None = None,
    ) -> ConfigureTelemetryPayload:
        wanted = (
            [
                FieldInterval(f.name, f.interval_seconds, f.minimum_delta, f.resend_interval_seconds)
                for f in fields
            ]
            if fields
            else None
        )
        result = await resolvers.configure(info.context, vins, hostname, port, ca, wanted)
        if isinstance(result, Refusal):
            problem = InvalidInput(field=result.field, message=result.message)
            return ConfigureTelemetryPayload(updated_vehicles=0, skipped_vehicles=None, errors=[problem])
        return ConfigureTelemetryPayload(
            updated_vehicles=result.updated, skipped_vehicles=cast(Any, result.skipped), errors=[]
        )

    @strawberry.mutation(description="Stop a car streaming Fleet Telemetry (owners).")
    async def delete_telemetry_config(self, info: Info, vin: str) -> bool:
        return await resolvers.delete(info.context, vin)

    @strawberry.mutation(description="Take in the vehicles a Tesla account lists; returns their VINs.")
    async def sync_tesla_vehicles(self, info: Info, account_id: strawberry.ID) -> list[str]:
        account = _id(account_id)
        return await resolvers.sync(info.context, account) if account is not None else []
