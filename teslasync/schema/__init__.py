"""The one GraphQL schema. Nothing but the app imports this package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from teslasync.observability.tracing import tracing_enabled
from teslasync.schema.analytics import AnalyticsSubscriptions
from teslasync.schema.automations import AutomationMutations, AutomationQueries
from teslasync.schema.client import ClientQueries
from teslasync.schema.commands import CommandMutations, CommandQueries, CommandSubscriptions
from teslasync.schema.costs import CostMutations, CostQueries
from teslasync.schema.document_cache import DocumentCache, Documents
from teslasync.schema.execution import ExecutionContext
from teslasync.schema.exports import ExportMutations, ExportQueries, ExportSubscriptions
from teslasync.schema.extensions import ErrorCodes, NoNulText, ResolverSpans, Tracing, UnitOfWork
from teslasync.schema.fleet_telemetry import FleetTelemetryMutations, FleetTelemetryQueries
from teslasync.schema.helix import HelixMutations, HelixQueries, HelixSubscriptions
from teslasync.schema.notifications import NotificationMutations, NotificationQueries
from teslasync.schema.persisted import PersistedQueries, PersistedQueryCheck
from teslasync.schema.preferences import PreferencesMutations
from teslasync.schema.query_cost import CostLimit
from teslasync.schema.rate_limit import RateLimit
from teslasync.schema.signals import SignalSubscriptions
from teslasync.schema.tesla import TeslaMutations, TeslaQueries
from teslasync.schema.users import UserMutations, UserQueries
from teslasync.schema.vehicles import VehicleQueries


@strawberry.type(description="Everything a client can read.")
class Query(
    VehicleQueries,
    CostQueries,
    UserQueries,
    TeslaQueries,
    CommandQueries,
    FleetTelemetryQueries,
    ExportQueries,
    NotificationQueries,
    AutomationQueries,
    HelixQueries,
    ClientQueries,
):
    pass


@strawberry.type(description="Everything a client can change. Refusals come back as data in `errors`.")
class Mutation(
    CostMutations,
    UserMutations,
    TeslaMutations,
    CommandMutations,
    FleetTelemetryMutations,
    ExportMutations,
    NotificationMutations,
    AutomationMutations,
    HelixMutations,
    PreferencesMutations,
):
    pass


@strawberry.type(description="Live updates over graphql-transport-ws or graphql-ws.")
class Subscription(
    SignalSubscriptions, AnalyticsSubscriptions, CommandSubscriptions, ExportSubscriptions, HelixSubscriptions
):
    pass


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. The defaults fit every query the client and the docs use."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_cost: int = 250_000
    introspection: bool = True
    persisted: PersistedQueries | None = None


def build_schema(limits: Limits | None = None) -> strawberry.Schema:
    limits = limits or Limits()
    # classes, or factories of configured extensions: a fresh one is built for each request
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = []
    documents = Documents()
    limit_rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]
    if limits.persisted is not None:
        store = limits.persisted
        extensions.append(lambda: PersistedQueryCheck(store))
    extensions += [
        RateLimit,
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        # Strawberry's limiters define their rule as a class each time one is built: built once here
        lambda: AddValidationRules(limit_rules),
        lambda: CostLimit(limits.max_cost),
        NoNulText,
        # after every extension that may refuse the request before validation: a refusal is left alone
        lambda: DocumentCache(documents),
        Tracing,
        UnitOfWork,
    ]
    if tracing_enabled():
        extensions.append(ResolverSpans)
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    extensions.append(ErrorCodes)  # last: it sees every error the others produce
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=ExecutionContext,
    )


schema = build_schema()
