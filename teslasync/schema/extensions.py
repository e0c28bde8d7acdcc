"""Schema extensions: the unit of work around each operation, and error masking with stable codes."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from teslasync.errors import InternalError, TeslaSyncError
from teslasync.observability.metrics import GRAPHQL_OPERATIONS

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
        session = context.db.sessions()
        context._session = session
        failed = True
        try:
            await session.begin()
            yield
            result = self.execution_context.result
            failed = bool(result is not None and getattr(result, "errors", None))
        finally:
            try:
                await self._finish(session, failed)
            finally:
                context._session = None
            operation = self.execution_context.operation_type
            GRAPHQL_OPERATIONS.labels(
                type=operation.value if operation else "unknown", outcome="error" if failed else "ok"
            ).inc()

    @staticmethod
    async def _finish(session: AsyncSession, failed: bool) -> None:
        """Commit or roll back, then close. A broken connection is logged with a request id; the client
        learns only that the operation failed (a failed commit must not look like success)."""
        try:
            if failed:
                await session.rollback()
            else:
                await session.commit()
        except Exception as exc:
            request_id = uuid.uuid4().hex[:12]
            log.error("internal error %s ending a transaction", request_id, exc_info=exc)
            if not failed:
                raise InternalError(f"internal error (request id {request_id})") from None
        finally:
            with contextlib.suppress(Exception):
                await session.close()


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
        return _with(error, original.message, {"code": original.code})
    if original is None:  # parse and validation errors: precise, and safe to show
        return _with(error, error.message, {"code": "GRAPHQL_VALIDATION_FAILED", **(error.extensions or {})})
    request_id = uuid.uuid4().hex[:12]
    log.error("internal error %s at %s", request_id, error.path, exc_info=original)
    return _with(error, "internal error", {"code": "INTERNAL", "requestId": request_id})


class ErrorCodes(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _error: True)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return _mask(error)
