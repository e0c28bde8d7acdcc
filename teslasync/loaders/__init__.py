"""Per-request DataLoaders, one module per feature, gathered in `Loaders`."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import ChargingSessionRow, DriveRow, GeofenceRow, TariffRow, VehicleStateRow
from teslasync.loaders.analytics import WindowKey, records_loader
from teslasync.loaders.costs import by_id_loader
from teslasync.loaders.derived import PageKey, page_loader
from teslasync.loaders.series import PositionsRequest, SeriesRequest, positions_loader, series_loader
from teslasync.loaders.signals import latest_signals_loader, streams_loader
from teslasync.loaders.vehicles import vehicle_by_vin_loader

if TYPE_CHECKING:
    from strawberry.dataloader import DataLoader

    from teslasync.db.models import Vehicle, VehicleStream
    from teslasync.db.repositories.series import Bucket, Position
    from teslasync.db.repositories.signals import LatestRow


class HasSession(Protocol):
    @property
    def session(self) -> AsyncSession: ...


class Loaders:
    """Built per request, so no cached row outlives the request that loaded it. Each loader is made when
    first used: a request, a websocket connection or a subscription's event builds only those it needs
    (building all fourteen was ~190 objects per connection for the collector to walk)."""

    def __init__(self, owner: HasSession) -> None:
        self._session: Callable[[], AsyncSession] = lambda: owner.session  # resolved lazily, per use

    @cached_property
    def vehicle_by_vin(self) -> DataLoader[str, Vehicle | None]:
        return vehicle_by_vin_loader(self._session)

    @cached_property
    def latest_signals(self) -> DataLoader[int, list[LatestRow]]:
        return latest_signals_loader(self._session)

    @cached_property
    def streams(self) -> DataLoader[int, list[VehicleStream]]:
        return streams_loader(self._session)

    @cached_property
    def drive_pages(self) -> DataLoader[PageKey, list[Any]]:
        return page_loader(self._session, DriveRow)

    @cached_property
    def charging_pages(self) -> DataLoader[PageKey, list[Any]]:
        return page_loader(self._session, ChargingSessionRow)

    @cached_property
    def state_pages(self) -> DataLoader[PageKey, list[Any]]:
        return page_loader(self._session, VehicleStateRow)

    @cached_property
    def drives_in(self) -> DataLoader[WindowKey, list[DriveRow]]:
        return records_loader(self._session, DriveRow)

    @cached_property
    def charges_in(self) -> DataLoader[WindowKey, list[ChargingSessionRow]]:
        return records_loader(self._session, ChargingSessionRow)

    @cached_property
    def states_in(self) -> DataLoader[WindowKey, list[VehicleStateRow]]:
        return records_loader(self._session, VehicleStateRow)

    @cached_property
    def series(self) -> DataLoader[tuple[int, SeriesRequest], list[Bucket]]:
        return series_loader(self._session)

    @cached_property
    def positions(self) -> DataLoader[tuple[int, PositionsRequest], list[Position]]:
        return positions_loader(self._session)

    @cached_property
    def geofence_by_id(self) -> DataLoader[int, GeofenceRow | None]:
        return by_id_loader(self._session, GeofenceRow)

    @cached_property
    def tariff_by_id(self) -> DataLoader[int, TariffRow | None]:
        return by_id_loader(self._session, TariffRow)
