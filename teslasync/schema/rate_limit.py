"""Rate limits per principal: queries and subscriptions share one budget, mutations have a stricter one
(commands and TOTP codes are limited again where they are handled)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from teslasync.auth.ratelimit import record_refusal
from teslasync.errors import RateLimited


class RateLimit(SchemaExtension):
    async def on_validate(self) -> AsyncIterator[None]:
        # before validation: Strawberry reads the errors before the hooks' second halves run
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            await self._check()
        yield

    async def _check(self) -> None:
        context = self.execution_context
        kind = "mutation" if context.operation_type is OperationType.MUTATION else "query"
        security = context.context.security
        limit = security.limits.mutation if kind == "mutation" else security.limits.query
        decision = await security.limiter.hit(f"{kind}:{context.context.principal.key}", limit)
        if not decision.allowed:
            record_refusal(kind)
            wait = max(1, round(decision.retry_after_s))
            error = RateLimited(f"too many {kind} operations: retry in {wait} s", retryAfter=wait)
            context.pre_execution_errors = [GraphQLError(error.message, original_error=error)]
