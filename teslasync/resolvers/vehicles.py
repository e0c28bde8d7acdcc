"""The vehicles a principal may see: every one for an administrator, the shared ones for anyone else. What
hangs off a vehicle is reached through it, so these entry points are where visibility is decided."""

from __future__ import annotations

from collections.abc import Sequence

from teslasync.auth.principal import Scope
from teslasync.context import Context
from teslasync.db.models import Vehicle
from teslasync.db.repositories import vehicles as repo
from teslasync.errors import require_scope


async def list_vehicles(context: Context) -> Sequence[Vehicle]:
    require_scope(context.principal, Scope.READ)
    return await repo.list_vehicles(context.session, context.principal.vehicle_filter)


async def vehicle_by_vin(context: Context, vin: str) -> Vehicle | None:
    """The vehicle, or None when there is none *or* it is not shared with the principal: the two look the
    same, so a VIN's existence does not leak."""
    require_scope(context.principal, Scope.READ)
    vehicle = await context.loaders.vehicle_by_vin.load(vin.strip().upper())
    if vehicle is None or context.principal.role_for(vehicle.id) is None:
        return None
    return vehicle
