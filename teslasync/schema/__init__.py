"""The one GraphQL schema. Nothing but the app imports this package."""

from __future__ import annotations

import strawberry

from teslasync.schema.extensions import ErrorCodes, UnitOfWork
from teslasync.schema.signals import SignalSubscriptions
from teslasync.schema.vehicles import VehicleQueries


@strawberry.type(description="Everything a client can read.")
class Query(VehicleQueries):
    pass


@strawberry.type(description="Live updates over graphql-transport-ws or graphql-ws.")
class Subscription(SignalSubscriptions):
    pass


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, subscription=Subscription, extensions=[UnitOfWork, ErrorCodes])


schema = build_schema()
