"""The per-request GraphQL context: who asks, the unit of work, and the DataLoaders of this request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.websockets import WebSocket

from teslasync.auth.principal import Principal
from teslasync.auth.security import Security
from teslasync.db.engine import Database
from teslasync.fleet.services import Fleet
from teslasync.helix.service import Helix
from teslasync.jobs.services import Jobs
from teslasync.loaders import Loaders
from teslasync.telemetry.runtime import TelemetryRuntime
from teslasync.webclient import ClientSettings


@dataclass
class Context:
    request: Request | WebSocket
    db: Database
    principal: Principal
    security: Security
    telemetry: TelemetryRuntime | None = None
    fleet: Fleet | None = None
    jobs: Jobs | None = None
    helix: Helix | None = None
    client: ClientSettings = field(default_factory=ClientSettings)
    connection_params: dict[str, object] | None = None  # a WebSocket's connection_init payload
    loaders: Loaders = field(init=False)
    # "now" for this operation: every vehicle's open-ended window ends at the same instant, so the loaders
    # batch them into one statement
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    _session: AsyncSession | None = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    def end_operation(self) -> None:
        """The operation is over: its session is gone, and what its loaders cached is let go now. (graphql-core's
        executor keeps itself in a reference cycle, with this context; held from there, a page's rows and
        parsed tracks, ~6,000 objects, waited for the collector, whose passes then took ~16 ms.) A context
        that serves further operations, a WebSocket's, starts each with empty loaders."""
        self._session = None
        self.loaders = Loaders(self)

    @property
    def session(self) -> AsyncSession:
        """The operation's session, opened by the unit-of-work extension."""
        if self._session is None:
            raise RuntimeError("no unit of work is open")
        return self._session
