from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from teslasync.db.models import GeofenceRow, TariffRow

Row = TypeVar("Row", GeofenceRow, TariffRow)


def by_id_loader(session: Callable[[], AsyncSession], model: type[Row]) -> DataLoader[int, Row | None]:
    async def load(ids: list[int]) -> list[Row | None]:
        rows = (await session().scalars(select(model).where(model.id.in_(ids)))).all()
        found = {row.id: row for row in rows}
        return [found.get(row_id) for row_id in ids]

    return DataLoader(load_fn=load)
