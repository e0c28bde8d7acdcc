"""A Tesla account's vehicles, taken in: each VIN the account lists becomes (or stays) a vehicle linked to
the account, and the account's owner becomes the vehicle's owner (administrators see every vehicle anyway).
The list never wakes a car."""

from __future__ import annotations

from teslasync.db.engine import Database
from teslasync.db.repositories import tesla_accounts as accounts_repo
from teslasync.db.repositories import users as users_repo
from teslasync.db.repositories import vehicles as vehicles_repo
from teslasync.fleet.client import FleetClient
from teslasync.vin import is_valid_vin, model_from_vin


async def sync_vehicles(db: Database, client: FleetClient, account_id: int) -> list[str]:
    """The VINs the account lists, each linked to it."""
    listed = await client.list_vehicles(account_id)
    vins: list[str] = []
    async with db.transaction() as session:
        account = await accounts_repo.by_id(session, account_id)
        if account is None:
            return []
        owner = await users_repo.by_id(session, account.user_id)
        for entry in listed:
            vin = str(entry.get("vin", "")).strip().upper()
            if not is_valid_vin(vin):
                continue
            vins.append(vin)
            name = entry.get("display_name")
            vehicle = await vehicles_repo.ensure_vehicle(
                session, vin, model_from_vin(vin), str(name) if isinstance(name, str) and name else None
            )
            await vehicles_repo.link_account(session, vehicle.id, account_id)
            if owner is not None and not owner.is_admin:
                await users_repo.grant(session, owner.id, vehicle.id, "owner")
    return vins
