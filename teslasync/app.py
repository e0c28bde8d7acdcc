"""The Starlette application: /graphql, /healthz, /readyz, /metrics and /auth/tesla/callback."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage, SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage as LegacyErrorMessage
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from teslasync import __version__
from teslasync.auth.principal import Principal
from teslasync.auth.requests import Authenticator, bearer_token
from teslasync.auth.security import Security
from teslasync.config import Settings
from teslasync.context import Context
from teslasync.db.engine import Database
from teslasync.db.repositories import export_jobs as export_jobs_repo
from teslasync.errors import Unauthenticated
from teslasync.fleet.accounts import AccountError
from teslasync.fleet.client import FleetError
from teslasync.fleet.services import Fleet
from teslasync.fleet.sync import sync_vehicles
from teslasync.fleet.vehicle_data import AccountsVehicleData
from teslasync.helix.service import Helix, spend_jump
from teslasync.jobs.automations import AutomationRunner
from teslasync.jobs.derivation import DerivationListener
from teslasync.jobs.detection import NotificationDetection, announce_stale_streams
from teslasync.jobs.export_runs import export_file, link_valid
from teslasync.jobs.notifications import publish
from teslasync.jobs.services import Jobs
from teslasync.notify.detect import command_failed_event
from teslasync.notify.events import Event, EventKind
from teslasync.observability import metrics, tracing
from teslasync.observability.health import readiness
from teslasync.schema import Limits, build_schema
from teslasync.schema.multicast import Multicast
from teslasync.schema.persisted import PersistedQueries, PersistedQueryError
from teslasync.telemetry.runtime import TelemetryRuntime
from teslasync.webclient import ClientSettings, WebClient, client_dir

ACK = cast(UnsetType, UNSET)  # connection_ack without a payload
KNOWN_ROUTES = {"/graphql", "/healthz", "/readyz", "/metrics", "/auth/tesla/callback", "/exports/download"}
log = logging.getLogger("teslasync.app")


def _route_label(path: str) -> str:
    """The route for metrics and spans: the path, with ids taken out; unknown paths share one label."""
    if path.startswith("/exports/") and path.endswith("/download"):
        return "/exports/download"
    return path if path in KNOWN_ROUTES else "other"


def _is_subscription(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query)
    except GraphQLError:
        return False  # the execution reports it, as for any other operation
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


def shared_key(
    query: str, variables: dict[str, object] | None, operation_name: str | None, principal: Principal
) -> tuple[object, ...]:
    """Subscriptions asking the same thing of the same principal share one execution (schema/multicast.py)."""
    return (
        query,
        json.dumps(variables or {}, sort_keys=True, default=str),
        operation_name,
        principal.kind,
        principal.name,
        principal.token_id,
        tuple(sorted(scope.value for scope in principal.scopes)),
    )


class TransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with two additions:

    - persisted queries: Strawberry does not pass a subscribe message's `extensions` on, so a document asked
      for by `persistedQuery.sha256Hash` (with an empty `query`, which the protocol requires) is put in
      place here, or refused with its code;
    - shared subscriptions: subscriptions asking the same thing of the same principal share one execution
      (see schema/multicast.py).
    """

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        if not _is_subscription(operation.query, operation.operation_name):
            await super().run_operation(operation)
            return
        metrics.SUBSCRIPTIONS_OPEN.inc()
        try:
            await self._run_subscription(operation)
        finally:
            metrics.SUBSCRIPTIONS_OPEN.dec()

    async def _run_subscription(self, operation: Operation[Context, None]) -> None:
        multicast: Multicast | None = getattr(self.view, "multicast", None)
        if multicast is None:
            await super().run_operation(operation)
            return
        key = shared_key(
            operation.query, operation.variables, operation.operation_name, self.context.principal
        )

        def execution() -> Any:
            return self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=self.context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )

        async def opened() -> AsyncIterator[Any]:
            source = await execution()
            async with aclosing(source):
                async for result in source:
                    yield result

        try:
            results = multicast.listen(key, opened)
            async with aclosing(results):
                await self._send_result_stream(operation, results)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        store: PersistedQueries | None = getattr(self.view, "persisted", None)
        payload = message["payload"]
        if store is not None and payload.get("extensions"):
            try:
                payload["query"] = store.resolve(payload.get("query"), payload.get("extensions"))
            except PersistedQueryError as exc:
                refusal: ErrorMessage = {
                    "id": message["id"],
                    "type": "error",
                    "payload": [{"message": exc.message, "extensions": {"code": exc.code}}],
                }
                await self.send_message(refusal)
                return
        await super().handle_subscribe(message)


class LegacyWS(BaseGraphQLWSHandler[Context, None]):
    """The legacy graphql-ws protocol with the same additions as graphql-transport-ws: persisted queries by
    `persistedQuery.sha256Hash` in the start message's `extensions`, and shared subscriptions."""

    async def handle_start(self, message: StartMessage) -> None:
        store: PersistedQueries | None = getattr(self.view, "persisted", None)
        payload = message["payload"]
        extensions = cast(dict[str, Any], payload).get("extensions")
        if store is not None and extensions:
            try:
                payload["query"] = store.resolve(payload.get("query"), extensions)
            except PersistedQueryError as exc:
                refusal: LegacyErrorMessage = {
                    "type": "error",
                    "id": message["id"],
                    "payload": {"message": exc.message, "extensions": {"code": exc.code}},
                }
                await self.send_message(refusal)
                return
        await super().handle_start(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        multicast: Multicast | None = getattr(self.view, "multicast", None)
        if multicast is None or not _is_subscription(query, operation_name):
            await super().handle_async_results(operation_id, query, operation_name, variables)
            return
        key = shared_key(query, variables, operation_name, self.context.principal)

        async def opened() -> AsyncIterator[Any]:
            source = await self.schema.subscribe(
                query=query,
                variable_values=variables,
                operation_name=operation_name,
                context_value=self.context,
                root_value=self.root_value,
            )
            if not hasattr(source, "__aiter__"):  # refused before it ran: one result with the errors
                yield source
                return
            async with aclosing(source):
                async for result in source:
                    yield result

        metrics.SUBSCRIPTIONS_OPEN.inc()
        try:
            results = multicast.listen(key, opened)
            async with aclosing(results):
                first = True
                async for result in results:
                    if first and isinstance(result, PreExecutionError):
                        assert result.errors
                        error: LegacyErrorMessage = {
                            "type": "error",
                            "id": operation_id,
                            "payload": result.errors[0].formatted,
                        }
                        await self.send_message(error)
                        return
                    first = False
                    await self.send_data_message(result, operation_id)
            await self.send_message({"type": "complete", "id": operation_id})
        except asyncio.CancelledError:
            await self.send_message({"type": "complete", "id": operation_id})
        finally:
            metrics.SUBSCRIPTIONS_OPEN.dec()
            self.tasks.pop(operation_id, None)


class GraphQLEndpoint(GraphQL[Context, None]):
    """Strawberry's ASGI view with authentication in front of every operation."""

    graphql_transport_ws_handler_class = TransportWS
    graphql_ws_handler_class = LegacyWS

    def __init__(self, settings: Settings, db: Database, telemetry: TelemetryRuntime | None) -> None:
        persisted = None
        if settings.persisted_queries is not None:
            persisted = PersistedQueries.load(
                settings.persisted_queries, mandatory=settings.persisted_queries_only
            )
        limits = Limits(
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_tokens=settings.graphql_max_tokens,
            max_cost=settings.graphql_max_cost,
            introspection=settings.introspection_enabled,
            persisted=persisted,
        )
        # Strawberry refuses WebSockets from browser pages of other origins (same-origin pages, clients that
        # send no Origin, and TESLASYNC_ALLOWED_ORIGINS are allowed)
        super().__init__(
            build_schema(limits),
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allowed_origins=settings.allowed_origins,
            max_subscriptions_per_connection=settings.graphql_max_subscriptions_per_connection,
            keep_alive=True,
            keep_alive_interval=settings.graphql_keep_alive_s,
        )
        self.settings = settings
        self.db = db
        self.auth = Authenticator(settings, db)
        self.security = Security.from_settings(settings)
        self.fleet = Fleet.build(db, settings, self.security.keys)
        self.jobs = Jobs.build(settings, db, self.security.keys, self.fleet)
        self.helix = Helix(settings, db, self.security.limiter)
        self.client = ClientSettings.from_settings(settings)
        self.telemetry = telemetry
        self.persisted = persisted
        self.multicast = Multicast()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._wants_ide(Request(scope)):
            # The IDE page is static; the queries it then sends are authenticated like any other.
            scope.setdefault("state", {})["principal"] = Principal.nobody()
            await super().__call__(scope, receive, send)
            return
        connection: Request | WebSocket = (
            Request(scope, receive) if scope["type"] == "http" else WebSocket(scope, receive, send)
        )
        try:
            principal = await self.auth.principal(connection)
        except Unauthenticated as exc:
            if (
                isinstance(connection, WebSocket)
                and exc.code == Unauthenticated.code
                and bearer_token(connection) is None
            ):
                # browsers cannot set headers on a WebSocket: the token comes in connection_init instead
                principal = Principal.nobody().with_address(self.auth.address(connection))
            else:
                await self._refuse(connection, exc, scope, receive, send)
                return
        scope.setdefault("state", {})["principal"] = principal
        await super().__call__(scope, receive, send)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws / graphql-ws `connection_init`: a socket that was not authenticated by its
        headers must bring `{"authorization": "Bearer <token>"}` (or `{"token": "<token>"}`) here."""
        if context.principal.kind != "anonymous" or context.principal.scopes:
            return ACK
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization") or params.get("token")
        token = str(raw).removeprefix("Bearer ").strip() if raw else ""
        if not token:
            raise ConnectionRejectionError({"message": "authentication required", "code": "UNAUTHENTICATED"})
        try:
            principal = await self.auth.token_principal(token, context.principal.address)
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from None
        context.principal = principal.with_address(context.principal.address)
        return ACK

    def _wants_ide(self, request: Request) -> bool:
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params
        )

    @staticmethod
    async def _refuse(
        connection: Request | WebSocket, exc: Unauthenticated, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if isinstance(connection, WebSocket):
            await connection.close(code=4401, reason=exc.message)
            return
        body = {"data": None, "errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
        response = JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)

    def encode_json(self, data: object) -> str:
        # orjson: a drives page with its tracks (230 KiB) in a tenth of json.dumps' time; text, not bytes,
        # because the WebSocket handlers send bytes as binary frames, which graphql-ws clients refuse
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return Context(
            request=request,
            db=self.db,
            principal=request.state.principal,
            security=self.security,
            telemetry=self.telemetry,
            fleet=self.fleet,
            jobs=self.jobs,
            helix=self.helix,
            client=self.client,
        )


class RequestMetrics:
    """Counts requests and their latency per known route (unknown paths share one label)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = _route_label(scope["path"])
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            metrics.HTTP_REQUESTS.labels(route=route, status=str(status)).inc()
            metrics.HTTP_LATENCY.labels(route=route).observe(time.perf_counter() - started)


class RequestContext:
    """Each HTTP request and WebSocket: a SERVER span (continuing the caller's `traceparent`), and a request
    id (the trace id when tracing) for log lines, errors and the `X-Request-ID` response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope.get("headers", [])}
        route = _route_label(scope["path"])
        method = scope.get("method", "WEBSOCKET")
        attributes = {"http.request.method": method, "http.route": route, "url.path": scope["path"]}
        with tracing.server_span(f"{method} {route}", headers, attributes) as span:
            request = tracing.new_request_id(headers.get("x-request-id"))
            token = tracing.request_id.set(request)

            async def send_with_id(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (b"x-request-id", request.encode())]
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        tracing.mark_error(span, f"HTTP {message['status']}")
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            finally:
                tracing.request_id.reset(token)


_MEDIA_TYPES = {
    ".csv": "text/csv",
    ".jsonl": "application/jsonl",
    ".parquet": "application/vnd.apache.parquet",
}


async def _index_docs(helix: Helix) -> None:
    try:
        report = await helix.index()
        log.info(
            "Helix docs index: %d added, %d updated, %d removed", report.added, report.updated, report.removed
        )
    except Exception:
        log.exception("indexing the docs for Helix failed; help answers from what is indexed")


def _page(title: str, message: str, status: int) -> Response:
    body = (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
    )
    return HTMLResponse(body, status_code=status)


def create_app(
    settings: Settings,
    db: Database,
    *,
    telemetry: TelemetryRuntime | None = None,
    listeners: list[DerivationListener] | None = None,
    dispose_on_shutdown: bool = True,
) -> Starlette:
    """The app. `telemetry`, when given, is started and stopped with it (the service always gives one);
    `listeners`, the live derivation's (see jobs/derivation.py), gets the notification detectors."""
    graphql = GraphQLEndpoint(settings, db, telemetry)
    if telemetry is not None:
        telemetry.accounts_source = AccountsVehicleData(db, graphql.fleet.client)
    queues = graphql.jobs.queues
    detection = NotificationDetection(db, queues)
    automations = AutomationRunner(db, queues)
    if listeners is not None:
        listeners += [detection, automations]
    graphql.jobs.extra_tasks["stale-stream-notifications"] = (
        timedelta(minutes=1),
        lambda: announce_stale_streams(settings, db, queues),
    )

    async def helix_spend_alert() -> None:
        jump = await spend_jump(db)
        if jump is not None:
            today, usual = jump
            day = datetime.now(UTC).date().isoformat()
            event = Event(
                EventKind.HELIX_SPEND_JUMP,
                None,
                datetime.now(UTC),
                "Helix spending jumped",
                f"Helix spent ${today:.2f} today (UTC), against ${usual:.2f} on a usual day this month.",
                f"helix_spend_jump:{day}",
            )
            await publish(queues, event)

    if settings.helix_enabled:
        graphql.jobs.extra_tasks["helix-spend-alert"] = (timedelta(hours=1), helix_spend_alert)

    async def command_failed(vin: str, command: str, error: str, at: datetime) -> None:
        await publish(queues, command_failed_event(vin, command, error, at))

    graphql.fleet.commands.on_failed = command_failed

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(_: Request) -> Response:
        results = await readiness(settings, db)
        ready = all(result.ok for result in results.values())
        body = {
            "status": "ready" if ready else "not ready",
            "checks": {name: result.as_json() for name, result in results.items()},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    async def tesla_callback(request: Request) -> Response:
        """Where Tesla sends the owner back after signing in. The state is the capability: it names one
        pending account, is single use and lapses after 15 minutes."""
        params = request.query_params
        if params.get("error"):
            return _page("Tesla sign-in was not completed", f"Tesla said: {params['error']}.", 400)
        code, state = params.get("code"), params.get("state")
        if not code or not state:
            return _page("Tesla sign-in failed", "The link lacks its code or state.", 400)
        fleet = graphql.fleet
        try:
            account = await fleet.accounts.complete(code, state)
        except AccountError as exc:
            return _page("Tesla sign-in failed", str(exc), 400)
        try:
            vins = await sync_vehicles(db, fleet.client, account.id)
            found = f"{len(vins)} vehicle(s): {', '.join(vins)}." if vins else "No vehicles yet."
        except FleetError as exc:
            log.warning("listing the vehicles of Tesla account %s failed: %s", account.id, exc.message)
            found = "Its vehicles could not be listed yet; syncTeslaVehicles tries again."
        return _page(
            "Tesla account connected", f"Region {account.region}. {found} You can close this tab.", 200
        )

    async def export_download(request: Request) -> Response:
        """A finished export's file, for whoever holds a valid signed link (see jobs/export_runs.py)."""
        params = request.query_params
        try:
            export_id = int(request.path_params["export_id"])
        except ValueError:
            return PlainTextResponse("not found", status_code=404)
        valid = link_valid(
            graphql.security.keys(),
            export_id,
            params.get("expires", ""),
            params.get("kid", ""),
            params.get("sig", ""),
            datetime.now(UTC),
        )
        if not valid:
            return PlainTextResponse("this download link is invalid or has expired", status_code=403)
        async with db.transaction() as session:
            row = await export_jobs_repo.by_id(session, export_id)
        path = export_file(settings, row) if row is not None else None
        if path is None:
            return PlainTextResponse(
                "this export is not available (expired or not finished)", status_code=410
            )
        return FileResponse(path, filename=path.name, media_type=_MEDIA_TYPES.get(path.suffix))

    async def metrics_endpoint(_: Request) -> Response:
        payload, content_type = metrics.render()
        return PlainTextResponse(payload, media_type=content_type)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if telemetry is not None:
            await telemetry.start()
        await graphql.fleet.start()
        await graphql.jobs.start()
        if (
            graphql.helix.enabled
        ):  # help answers from the docs: keep their index current (cheap when unchanged)
            graphql.helix.spawn(_index_docs(graphql.helix))
        # the live listeners' own clocks: detectors' debounces, and automation rules reloaded after an edit
        # and schedules fired, even while no telemetry arrives
        ticking = (
            [
                asyncio.create_task(detection.run(), name="notification-detectors"),
                asyncio.create_task(automations.run(), name="automation-ticks"),
            ]
            if listeners is not None
            else []
        )
        try:
            yield
        finally:
            for task in ticking:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            await graphql.helix.aclose()
            await graphql.jobs.stop()
            await graphql.fleet.stop()
            await graphql.security.limiter.close()
            if telemetry is not None:
                await telemetry.stop()
            if dispose_on_shutdown:
                await db.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/auth/tesla/callback", tesla_callback),
            Route("/exports/{export_id}/download", export_download),
            # last: the web app's files, and its pages for any other path a browser asks for
            Mount("/", app=WebClient(client_dir(settings.client_dir))),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.graphql = graphql
    app.add_middleware(RequestMetrics)
    app.add_middleware(RequestContext)  # outermost: the span and the request id cover everything
    return app
