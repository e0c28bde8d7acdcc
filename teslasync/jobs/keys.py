"""`teslasync keys rotate`: a new current key, then every secret at rest re-encrypted under it, while the
service keeps running. The key file is written first (keeping the old keys), so a running process that
meets an envelope under the new key reloads the file and decrypts it; rows are re-encrypted with
compare-and-set, so a token refreshed meanwhile is never overwritten with an older one."""

from __future__ import annotations

from dataclasses import dataclass

from teslasync.auth.secrets import Keyring, default_key_file
from teslasync.auth.stepup import totp_context
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.repositories import tesla_accounts as accounts_repo
from teslasync.db.repositories import users as users_repo
from teslasync.fleet.accounts import account_context

# the encrypted columns of a Tesla account, and the name each envelope is bound to
ACCOUNT_COLUMNS = {"client_secret": "client_secret", "access_token": "access", "refresh_token": "refresh"}


@dataclass(frozen=True)
class Rotation:
    previous_key: str
    current_key: str
    reencrypted: int
    skipped: int  # changed while rotating (and so written under the new key already)


async def rotate(settings: Settings, db: Database) -> Rotation:
    keyring = Keyring.from_settings(settings)
    rotated = keyring.rotated()
    rotated.save(default_key_file(settings))
    reencrypted, skipped = await reencrypt_all(db, rotated)
    return Rotation(keyring.current, rotated.current, reencrypted, skipped)


async def reencrypt_all(db: Database, keyring: Keyring) -> tuple[int, int]:
    """Re-encrypt every envelope not under the current key; (rows re-encrypted, rows changed meanwhile)."""
    done = skipped = 0
    async with db.transaction() as session:
        totp_rows = await users_repo.totp_rows(session)
    for user_id, envelope in totp_rows:
        if not keyring.needs_rotation(envelope):
            continue
        fresh = keyring.reencrypt(envelope, context=totp_context(user_id))
        async with db.transaction() as session:
            if await users_repo.set_totp_secret(session, user_id, envelope, fresh):
                done += 1
            else:
                skipped += 1
    async with db.transaction() as session:
        accounts = [
            (a.id, {column: getattr(a, column) for column in ACCOUNT_COLUMNS})
            for a in await accounts_repo.envelopes(session)
        ]
    for account_id, old in accounts:
        new = {
            column: keyring.reencrypt(value, context=account_context(account_id, ACCOUNT_COLUMNS[column]))
            if value and keyring.needs_rotation(value)
            else value
            for column, value in old.items()
        }
        if new == old:
            continue
        async with db.transaction() as session:
            if await accounts_repo.replace_envelopes(session, account_id, old, new):
                done += 1
            else:
                skipped += 1
    return done, skipped
