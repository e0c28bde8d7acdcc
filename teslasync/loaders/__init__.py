"""Per-request DataLoaders, one module per feature, gathered in `Loaders`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import ChargingSessionRow, DriveRow, GeofenceRow, TariffRow, VehicleStateRow
from teslasync.loaders.analytics import records_loader
from teslasync.loaders.costs import by_id_loader
from teslasync.loaders.derived import page_loader
from teslasync.loaders.series import positions_loader, series_loader
from teslasync.loaders.signals import latest_signals_loader, streams_loader
from teslasync.loaders.vehicles import vehicle_by_vin_loader

if TYPE_CHECKING:
    from strawberry.dataloader import DataLoader

    from teslasync.db.models import Vehicle, VehicleStream
    from teslasync.db.repositories.signals import LatestRow


class HasSession(Protocol):
    @property
    def session(self) -> AsyncSession: ...


class Loaders:
    """Built per request, so no cached row outlives the request that loaded it."""

    def __init__(self, owner: HasSession) -> None:
        session = lambda: owner.session  # noqa: E731 - resolved lazily, per use
        self.vehicle_by_vin: DataLoader[str, Vehicle | None] = vehicle_by_vin_loader(session)
        self.latest_signals: DataLoader[int, list[LatestRow]] = latest_signals_loader(session)
        self.streams: DataLoader[int, list[VehicleStream]] = streams_loader(session)
        self.drive_pages = page_loader(session, DriveRow)
        self.charging_pages = page_loader(session, ChargingSessionRow)
        self.state_pages = page_loader(session, VehicleStateRow)
        self.drives_in = records_loader(session, DriveRow)
        self.charges_in = records_loader(session, ChargingSessionRow)
        self.states_in = records_loader(session, VehicleStateRow)
        self.series = series_loader(session)
        self.positions = positions_loader(session)
        self.geofence_by_id = by_id_loader(session, GeofenceRow)
        self.tariff_by_id = by_id_loader(session, TariffRow)
