"""Schema extensions: the unit of work around each operation, and error masking with stable codes."""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLResolveInfo, StringValueNode, Visitor, visit
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from teslasync.errors import InternalError, TeslaSyncError
from teslasync.observability.metrics import (
    GRAPHQL_OPERATION_ERRORS,
    GRAPHQL_OPERATION_SECONDS,
    GRAPHQL_OPERATIONS,
    operation_label,
)
from teslasync.observability.tracing import current_request_id, mark_error, tracer

log = logging.getLogger("teslasync.graphql")


class UnitOfWork(SchemaExtension):
    """One transaction per operation: committed when it succeeds, rolled back on any error. It wraps
    execution (not the whole operation), so the document is parsed and validated by then."""

    async def on_execute(self) -> AsyncIterator[None]:
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            # a subscription lives for hours: it opens a short transaction per event instead
            yield
            return
        context = self.execution_context.context
        reads_only = self.execution_context.operation_type is OperationType.QUERY
        session = (context.db.read_sessions if reads_only else context.db.sessions)()
        context._session = session
        failed = True
        try:
            if not reads_only:  # a query's session begins when it is first used: most fields read none
                await session.begin()
            yield
            result = self.execution_context.result
            failed = bool(result is not None and getattr(result, "errors", None))
        finally:
            try:
                await self._finish(session, failed)
            finally:
                context.end_operation()
            operation = self.execution_context.operation_type
            GRAPHQL_OPERATIONS.labels(
                type=operation.value if operation else "unknown", outcome="error" if failed else "ok"
            ).inc()

    @staticmethod
    async def _finish(session: AsyncSession, failed: bool) -> None:
        """Commit or roll back, then close. A broken connection is logged with a request id; the client
        learns only that the operation failed (a failed commit must not look like success)."""
        if not session.in_transaction():
            return  # a query that read nothing: no connection was taken, there is nothing to end
        try:
            if failed:
                await session.rollback()
            else:
                await session.commit()
        except Exception as exc:
            request_id = current_request_id()
            log.error("internal error %s ending a transaction", request_id, exc_info=exc)
            if not failed:
                raise InternalError(f"internal error (request id {request_id})") from None
        finally:
            with contextlib.suppress(Exception):
                await session.close()


class Tracing(SchemaExtension):
    """A span per GraphQL operation (named after its type and name, marked when it ends in errors), and its
    duration and errors by operation name. (Open subscriptions are counted where sockets run them.)"""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is OperationType.SUBSCRIPTION:  # lives for hours: not one span
            yield
            return
        operation = context.operation_type.value if context.operation_type else "operation"
        name = context.operation_name or "anonymous"
        label = operation_label(context.operation_name)
        started = time.perf_counter()
        with tracer.start_as_current_span(
            f"graphql {operation} {name}",
            attributes={"graphql.operation.type": operation, "graphql.operation.name": name},
        ) as span:
            yield
            GRAPHQL_OPERATION_SECONDS.labels(type=operation, operation=label).observe(
                time.perf_counter() - started
            )
            result = context.result
            if result is not None and getattr(result, "errors", None):
                mark_error(span, "the operation ended in errors")
                GRAPHQL_OPERATION_ERRORS.labels(type=operation, operation=label).inc()


class ResolverSpans(SchemaExtension):
    """A span per field whose resolver does real work (it returns an awaitable: a loader, a query), so a trace
    shows which field the time and the SQL went to. Only in the schema when tracing is on: wrapping every
    field costs time."""

    def resolve(
        self,
        _next: Callable[..., object],
        root: object,
        info: GraphQLResolveInfo[Any],
        *args: object,
        **kwargs: object,
    ) -> object:
        result = _next(root, info, *args, **kwargs)
        if not inspect.isawaitable(result):
            return result
        return self._traced(result, info)

    @staticmethod
    async def _traced(result: Awaitable[object], info: GraphQLResolveInfo[Any]) -> object:
        name = f"{info.parent_type.name}.{info.field_name}"
        path = ".".join(str(key) for key in info.path.as_list())
        with tracer.start_as_current_span(f"resolve {name}", attributes={"graphql.field.path": path}):
            return await result


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _mask(error: GraphQLError) -> GraphQLError:
    """Our own errors keep their message and gain a `code`; anything else is masked and logged."""
    original = error.original_error
    if isinstance(original, TeslaSyncError):
        return _with(error, original.message, {"code": original.code, **original.extensions})
    if original is None:  # parse and validation errors: precise, and safe to show
        return _with(error, error.message, {"code": "GRAPHQL_VALIDATION_FAILED", **(error.extensions or {})})
    if isinstance(original, GraphQLError) and error.path is None:
        # a variable's value that does not coerce (an unknown enum value, a malformed date): graphql-core
        # names the variable and the path inside it; the client sent it, so it is theirs to see
        return _with(error, error.message, {"code": "BAD_VARIABLE"})
    request_id = current_request_id()
    log.error("internal error %s at %s", request_id, error.path, exc_info=original)
    return _with(error, "internal error", {"code": "INTERNAL", "requestId": request_id})


class ErrorCodes(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _error: True)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return _mask(error)


class BadText(TeslaSyncError):
    code = "BAD_ARGUMENT"


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class NoNulText(SchemaExtension):
    """PostgreSQL text cannot hold NUL characters: an argument carrying one is refused up front with a
    precise error, rather than failing deep in a query."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, text = context.graphql_document, context.query
        # a literal holds a NUL only through an escape (GraphQL source may not hold the character itself):
        # a text without a backslash needs no walk through its document
        escapes = text is None or "\\" in text or "\x00" in text
        literals = (
            [node.value for node in _string_values(document)] if document is not None and escapes else []
        )
        if context.pre_execution_errors is None and (_has_nul(context.variables) or _has_nul(literals)):
            error = BadText("text arguments may not contain NUL (\\u0000) characters")
            context.pre_execution_errors = [GraphQLError(error.message, original_error=error)]
        yield


def _string_values(document: DocumentNode) -> list[StringValueNode]:
    found: list[StringValueNode] = []

    class Collect(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: object) -> None:
            found.append(node)

    visit(document, Collect())
    return found
