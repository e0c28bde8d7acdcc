"""The one GraphQL schema. Nothing but the app imports this package."""

from __future__ import annotations

import strawberry

from teslasync.schema.extensions import ErrorCodes, UnitOfWork
from teslasync.schema.vehicles import VehicleQueries


@strawberry.type(description="Everything a client can read.")
class Query(VehicleQueries):
    pass


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=[UnitOfWork, ErrorCodes])


schema = build_schema()
