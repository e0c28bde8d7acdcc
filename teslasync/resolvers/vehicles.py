from __future__ import annotations

from collections.abc import Sequence

from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.models import Vehicle
from teslasync.db.repositories import vehicles as repo
from teslasync.errors import require_scope


async def list_vehicles(context: Context) -> Sequence[Vehicle]:
    require_scope(context.principal, Scope.READ)
    return await repo.list_vehicles(context.session)


async def vehicle_by_vin(context: Context, vin: str) -> Vehicle | None:
    require_scope(context.principal, Scope.READ)
    return await context.loaders.vehicle_by_vin.load(vin.strip().upper())
