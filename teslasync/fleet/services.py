"""Everything that talks to Tesla, built once per process: accounts and their tokens, the Fleet API client
with its circuit breakers, and the command runner; started and stopped with the service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from teslasync.auth.secrets import Keyring
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.fleet.accounts import TeslaAccounts
from teslasync.fleet.breaker import Breakers
from teslasync.fleet.client import FleetClient
from teslasync.fleet.commands import Commands

log = logging.getLogger("teslasync.fleet")


@dataclass
class Fleet:
    accounts: TeslaAccounts
    client: FleetClient
    commands: Commands
    breakers: Breakers

    @classmethod
    def build(cls, db: Database, settings: Settings, keys: Callable[[], Keyring]) -> Fleet:
        accounts = TeslaAccounts(db, keys, settings)
        breakers = Breakers(
            failure_threshold=settings.breaker_failure_threshold, reset_after_s=settings.breaker_reset_s
        )
        client = FleetClient(accounts, settings, breakers)
        return cls(accounts, client, Commands(db, client, settings), breakers)

    async def start(self) -> None:
        """Apply journalled tokens, pick up commands a restart interrupted. (The scheduler keeps tokens
        fresh: the `tesla-token-refresh` task.)"""
        await self.accounts.recover()
        await self.commands.resume()

    async def stop(self) -> None:
        await self.commands.close()
        await self.client.aclose()
