"""Everything that talks to Tesla, built once per process: accounts and their tokens, the Fleet API client
with its circuit breakers, and the command runner; started and stopped with the service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

from teslasync.auth.secrets import Keyring
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.fleet.accounts import TeslaAccounts
from teslasync.fleet.breaker import Breakers
from teslasync.fleet.client import FleetClient
from teslasync.fleet.commands import Commands

log = logging.getLogger("teslasync.fleet")

TOKEN_REFRESH_EVERY_S = 300.0


@dataclass
class Fleet:
    accounts: TeslaAccounts
    client: FleetClient
    commands: Commands
    breakers: Breakers
    _refresher: asyncio.Task[None] | None = field(default=None, init=False)

    @classmethod
    def build(cls, db: Database, settings: Settings, keys: Callable[[], Keyring]) -> Fleet:
        accounts = TeslaAccounts(db, keys, settings)
        breakers = Breakers(
            failure_threshold=settings.breaker_failure_threshold, reset_after_s=settings.breaker_reset_s
        )
        client = FleetClient(accounts, settings, breakers)
        return cls(accounts, client, Commands(db, client, settings), breakers)

    async def start(self) -> None:
        """Apply journalled tokens, pick up commands a restart interrupted, keep tokens fresh."""
        await self.accounts.recover()
        await self.commands.resume()
        self._refresher = asyncio.create_task(self._keep_tokens_fresh(), name="tesla-token-refresh")

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with suppress(asyncio.CancelledError):
                await self._refresher
        await self.commands.close()
        await self.client.aclose()

    async def _keep_tokens_fresh(self) -> None:
        while True:
            try:
                await self.accounts.refresh_due()
            except Exception:
                log.exception("refreshing Tesla tokens failed; trying again in %.0f s", TOKEN_REFRESH_EVERY_S)
            await asyncio.sleep(TOKEN_REFRESH_EVERY_S)
