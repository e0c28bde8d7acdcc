"""Running vehicle commands: recorded, budgeted, serialised per car, woken when asleep, audited.

A command is recorded (`pending`) in a committed transaction of its own, then run in the background, so the
mutation returns at once and `commandStatus` follows it. For one car, commands run one at a time: an asyncio
lock in this process, and a PostgreSQL advisory lock across replicas.

A run: `sent` (Tesla bills every request it answers below 500) -> the answer. A car that is asleep (408) is
woken (`wake_up`, billed too) and polled with backoff until it is online, within `TESLASYNC_WAKE_TIMEOUT_S`,
at most `TESLASYNC_WAKE_ATTEMPTS` times; then the command is sent again. Each step is kept in the row.
A command that may have reached the car (a timeout after sending) is never sent again: it fails with
`outcome unknown`.

Parameters marked secret (PINs, passwords) are never stored: the row holds a redacted copy, the real body
lives in memory until the run ends. A run interrupted by a restart is resumed if it was never sent and
holds no secret; otherwise it is failed, saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from opentelemetry.context import Context
from sqlalchemy import func, select

from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.models import Vehicle, VehicleCommandRow
from teslasync.db.repositories import audit as audit_repo
from teslasync.db.repositories import commands as repo
from teslasync.fleet.catalogue import CommandSpec, command
from teslasync.fleet.client import FleetClient, FleetError, FleetUnavailable, VehicleAsleep
from teslasync.observability import tracing
from teslasync.observability.metrics import COMMANDS

log = logging.getLogger("teslasync.fleet.commands")

LOCK_NAMESPACE = 0x7E51 << 40  # advisory-lock keys of command runs: this, plus the vehicle id
SUBMIT_NAMESPACE = 0x7E52 << 40  # and of submissions: the budget is counted and spent one at a time
MAX_POLL_S = 10.0
WATCH_POLL_S = 2.0  # a watcher on another replica than the run sees changes at least this often


class CommandRefused(Exception):
    """Refused before anything was sent; `code` is stable, the message names the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Requester:
    """Who asked: for the row, the idempotency scope and the audit log."""

    name: str
    key: str  # "user:3", "token:7": idempotency keys are per requester
    user_id: int | None
    token_id: int | None
    address: str | None


@dataclass
class _Job:
    body: dict[str, object]
    requester: Requester | None
    trace: Context | None = None  # the request's trace context: the run is a child span of it


@dataclass
class _Watchers:
    changed: dict[int, asyncio.Event] = field(default_factory=dict)

    def event(self, command_id: int) -> asyncio.Event:
        return self.changed.setdefault(command_id, asyncio.Event())

    def notify(self, command_id: int) -> None:
        event = self.changed.pop(command_id, None)
        if event is not None:
            event.set()


def _step(name: str, detail: str | None = None) -> dict[str, object]:
    return {"at": datetime.now(UTC).isoformat(), "step": name, "detail": detail}


def start_of_day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


class Commands:
    def __init__(self, db: Database, client: FleetClient, settings: Settings) -> None:
        self.db = db
        self.client = client
        self.settings = settings
        # told of every command that failed (vin, command, why, when): the "command failed" notification
        self.on_failed: Callable[[str, str, str, datetime], Awaitable[None]] | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._jobs: dict[int, _Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._watchers = _Watchers()

    async def submit(
        self,
        requester: Requester,
        vehicle: Vehicle,
        spec: CommandSpec,
        body: dict[str, object],
        redacted: dict[str, object],
        idempotency_key: str | None,
    ) -> tuple[VehicleCommandRow, bool]:
        """Record the command and start it; (row, created). A key used before returns that command."""
        async with self.db.transaction() as session:
            await session.execute(select(func.pg_advisory_xact_lock(SUBMIT_NAMESPACE + vehicle.id)))
            if idempotency_key is not None:
                existing = await repo.by_key(session, requester.key, idempotency_key)
                if existing is not None:
                    return self._same(existing, vehicle, spec), False
            spent = await repo.billed_since(session, vehicle.id, start_of_day(datetime.now(UTC)))
            if spent >= self.settings.command_daily_budget:
                raise CommandRefused(
                    "COMMAND_BUDGET_EXCEEDED",
                    f"{vehicle.vin} has used its {self.settings.command_daily_budget} commands for today (UTC);"
                    " Tesla bills each one (TESLASYNC_COMMAND_DAILY_BUDGET)",
                )
            row = await repo.add(
                session,
                vehicle_id=vehicle.id,
                user_id=requester.user_id,
                principal=requester.name,
                principal_key=requester.key,
                command=spec.name,
                params=redacted,
                idempotency_key=idempotency_key,
                step=_step("queued"),
            )
            if row is None:  # the same key, a moment ago, from a concurrent request
                assert idempotency_key is not None
                existing = await repo.by_key(session, requester.key, idempotency_key)
                assert existing is not None
                return self._same(existing, vehicle, spec), False
        self._jobs[row.id] = _Job(body, requester, tracing.capture())
        self._start(row.id, vehicle.id)
        return row, True

    @staticmethod
    def _same(existing: VehicleCommandRow, vehicle: Vehicle, spec: CommandSpec) -> VehicleCommandRow:
        if existing.vehicle_id != vehicle.id or existing.command != spec.name:
            raise CommandRefused(
                "IDEMPOTENCY_KEY_REUSED", "this idempotency key was used for another command: use a new key"
            )
        return existing

    async def resume(self) -> int:
        """After a restart: run again what was never sent; fail what was sent or needs its secrets."""
        async with self.db.transaction() as session:
            rows = await repo.unfinished(session)
        resumed = 0
        for row in rows:
            spec = command(row.command)
            secret = spec is not None and any(p.secret for p in spec.params)
            if row.status == "pending" and spec is not None and not secret and row.id not in self._jobs:
                self._jobs[row.id] = _Job(dict(row.params), None)
                self._start(row.id, row.vehicle_id)
                resumed += 1
            elif row.id not in self._jobs:
                outcome = (
                    "it may have reached the car"
                    if row.status == "sent"
                    else "its secret parameters are gone"
                )
                await self._finish(row.id, "failed", "INTERRUPTED", f"interrupted by a restart; {outcome}")
        return resumed

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def watch(self, command_id: int) -> AsyncIterator[VehicleCommandRow]:
        """The command now, then after each change, until it has ended."""
        seen: datetime | None = None
        while True:
            event = self._watchers.event(command_id)
            async with self.db.transaction() as session:
                row = await repo.by_id(session, command_id)
            if row is None:
                return
            if row.updated_at != seen:
                seen = row.updated_at
                yield row
            if row.status in repo.TERMINAL:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), WATCH_POLL_S)

    # -- the run ------------------------------------------------------------------------------------------

    def _start(self, command_id: int, vehicle_id: int) -> None:
        task = asyncio.create_task(self._run(command_id, vehicle_id), name=f"command-{command_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, command_id: int, vehicle_id: int) -> None:
        job = self._jobs.get(command_id)
        with tracing.resumed(job.trace if job else None, "command run", command_id=command_id):
            await self._run_serialised(command_id, vehicle_id)

    async def _run_serialised(self, command_id: int, vehicle_id: int) -> None:
        lock = self._locks.setdefault(vehicle_id, asyncio.Lock())
        try:
            async with lock, self.db.engine.connect() as connection:
                await connection.execute(select(func.pg_advisory_lock(LOCK_NAMESPACE + vehicle_id)))
                try:
                    await self._execute(command_id)
                finally:
                    await connection.execute(select(func.pg_advisory_unlock(LOCK_NAMESPACE + vehicle_id)))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("command %s failed on our side", command_id)
            await self._finish(command_id, "failed", "INTERNAL", "failed on our side; see the log")
        finally:
            self._jobs.pop(command_id, None)

    async def _execute(self, command_id: int) -> None:
        async with self.db.transaction() as session:
            row = await repo.by_id(session, command_id)
            vehicle = await session.get(Vehicle, row.vehicle_id) if row is not None else None
        if row is None or vehicle is None or row.status in repo.TERMINAL:
            return
        spec = command(row.command)
        job = self._jobs.get(command_id)
        if spec is None or job is None:
            await self._finish(command_id, "failed", "INTERNAL", "the command could not be resumed")
            return
        if vehicle.tesla_account_id is None:
            await self._finish(
                command_id, "failed", "TESLA_NOT_CONNECTED", f"{vehicle.vin} is in no connected Tesla account"
            )
            return
        account_id, wakes_left = vehicle.tesla_account_id, self.settings.wake_attempts
        while True:
            route = "vehicle-command proxy" if spec.signed and self.client.has_proxy else "Fleet API"
            await self._advance(command_id, _step("sent", f"via the {route}"), status="sent", billed=True)
            try:
                answer = await self.client.command(
                    account_id, vehicle.vin, spec.name, job.body, signed=spec.signed
                )
            except VehicleAsleep:
                await self._advance(command_id, _step("asleep", "the car is asleep or offline"))
                if wakes_left == 0 or not await self._wake(command_id, account_id, vehicle.vin):
                    await self._finish(command_id, "failed", "VEHICLE_ASLEEP", "the car did not wake up")
                    return
                wakes_left -= 1
                continue
            except FleetUnavailable as exc:
                code = "OUTCOME_UNKNOWN" if exc.outcome_unknown else exc.code
                await self._finish(command_id, "failed", code, exc.message)
                return
            except FleetError as exc:
                await self._finish(command_id, "failed", exc.code, exc.message)
                return
            if answer.get("result") is False:
                reason = str(answer.get("reason") or "no reason given")
                await self._finish(command_id, "failed", "VEHICLE_REFUSED", f"the car refused: {reason}")
                return
            await self._finish(command_id, "succeeded", None, None)
            return

    async def _wake(self, command_id: int, account_id: int, vin: str) -> bool:
        await self._advance(command_id, _step("waking", "wake_up sent (billed)"))
        try:
            await self.client.wake_up(account_id, vin)
        except FleetError as exc:
            await self._advance(command_id, _step("wake failed", exc.message))
            return False
        deadline = asyncio.get_running_loop().time() + self.settings.wake_timeout_s
        delay = self.settings.wake_poll_s
        while asyncio.get_running_loop().time() + delay <= deadline:
            await asyncio.sleep(delay)
            try:
                state = (await self.client.vehicle(account_id, vin)).get("state")
            except FleetError as exc:
                state = f"unknown ({exc.code})"
            if state == "online":
                await self._advance(command_id, _step("awake"))
                return True
            delay = min(delay * 2, MAX_POLL_S)
        await self._advance(command_id, _step("still asleep", f"after {self.settings.wake_timeout_s:.0f} s"))
        return False

    async def _advance(self, command_id: int, step: dict[str, object], **changes: object) -> None:
        async with self.db.transaction() as session:
            await repo.advance(session, command_id, step, **changes)  # type: ignore[arg-type]
        self._watchers.notify(command_id)

    async def _finish(self, command_id: int, status: str, code: str | None, message: str | None) -> None:
        job = self._jobs.get(command_id)
        failed: tuple[str, str] | None = None
        async with self.db.transaction() as session:
            await repo.advance(
                session,
                command_id,
                _step(status, message),
                status=status,
                error_code=code,
                error=message,
            )
            row = await repo.by_id(session, command_id)
            if row is not None:
                vehicle = await session.get(Vehicle, row.vehicle_id)
                requester = job.requester if job is not None else None
                await audit_repo.add(
                    session,
                    user_id=row.user_id,
                    principal=row.principal,
                    token_id=requester.token_id if requester else None,
                    address=requester.address if requester else None,
                    action=f"command.{row.command}",
                    target=vehicle.vin if vehicle is not None else None,
                    outcome="ok" if status == "succeeded" else "failed",
                    detail={"command_id": command_id, **({"error": code} if code else {})},
                )
                if status == "failed" and vehicle is not None:
                    failed = (vehicle.vin, row.command)
        COMMANDS.labels(outcome=status if code is None else code.lower()).inc()
        self._watchers.notify(command_id)
        if failed is not None and self.on_failed is not None:
            try:
                await self.on_failed(*failed, message or code or "failed", datetime.now(UTC))
            except Exception:
                log.exception("announcing the failure of command %s failed", command_id)
