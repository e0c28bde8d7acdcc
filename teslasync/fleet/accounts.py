"""Tesla accounts: connect one (the authorize URL for the user's own app, then the callback), keep its tokens
fresh, hand out access tokens, disconnect it. Tokens are encrypted at rest (auth/secrets.py).

Tesla's refresh token is single use, so a refresh must never lose the new one:

- one refresher at a time per account, across replicas: the account's row is locked (`FOR UPDATE`) for
  the refresh, and whoever waited re-reads it and finds the work done;
- the new tokens are written to a journal file (encrypted, fsynced, 0600) the moment Tesla answers, then
  to the database; the journal goes once the database has them. If the store fails, or the process dies
  between the two, the next use of the account (in this or the next process on this host) applies the
  journal first. The generation number makes that idempotent: a journal entry is applied only over the
  generation it followed.

What no client can recover: Tesla rotates the token and the answer never arrives (a network failure, or a
crash while it is in flight). The account then needs the owner to connect again; it is marked
`reauth_required` and says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.auth.secrets import Keyring, Secret
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.models import TeslaAccount
from teslasync.db.repositories import tesla_accounts as repo
from teslasync.fleet.oauth import (
    DEFAULT_ENDPOINTS,
    REGION_BASE_URLS,
    Endpoints,
    InvalidTokenResponse,
    OAuthError,
    ReauthRequired,
    TeslaApp,
    TeslaOAuth,
    TokenSet,
    authorize_url,
    new_state,
)

log = logging.getLogger("teslasync.fleet.accounts")

STATE_TTL = timedelta(minutes=15)
JOURNAL_DIR = "tesla-token-journal"


class AccountError(Exception):
    """The account cannot do what was asked; the message says why, and never holds a secret."""


def endpoints_for(settings: Settings, china: bool) -> Endpoints:
    if china and settings.tesla_authorize_url == DEFAULT_ENDPOINTS.authorize_url:
        base = Endpoints.china()
        authorize, token = base.authorize_url, base.token_url
        regions, home = dict(base.region_base_urls), base.home_region
    else:
        authorize, token = settings.tesla_authorize_url, settings.tesla_token_url
        regions, home = dict(REGION_BASE_URLS), "cn" if china else "na"
    if settings.tesla_fleet_api_url:
        regions = {code: settings.tesla_fleet_api_url for code in regions}
    return Endpoints(authorize_url=authorize, token_url=token, region_base_urls=regions, home_region=home)


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def account_context(account_id: int, column: str) -> str:
    """What an account's envelope is bound to: `column` is client_secret, access or refresh."""
    return f"tesla_account:{account_id}:{column}"


@dataclass(frozen=True)
class Connecting:
    account: TeslaAccount
    authorize_url: str


@dataclass(frozen=True)
class JournalEntry:
    account_id: int
    generation: int
    access_token: str | None  # envelopes, as stored in the database
    refresh_token: str
    expires_at: datetime
    region: str | None
    base_url: str | None


class Journal:
    """One file per account: the last tokens Tesla gave that the database may not have yet."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, account_id: int) -> Path:
        return self.directory / f"{account_id}.json"

    def write(self, entry: JournalEntry) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        document = {**entry.__dict__, "expires_at": entry.expires_at.isoformat()}
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".journal.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                os.fchmod(handle.fileno(), 0o600)
                json.dump(document, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path(entry.account_id))
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        with contextlib.suppress(OSError):
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def read(self, account_id: int) -> JournalEntry | None:
        try:
            document = json.loads(self.path(account_id).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.error("the token journal of Tesla account %s is unreadable; left in place", account_id)
            return None
        document["expires_at"] = datetime.fromisoformat(document["expires_at"])
        return JournalEntry(**document)

    def remove(self, account_id: int, generation: int) -> None:
        entry = self.read(account_id)
        if entry is not None and entry.generation <= generation:
            self.path(account_id).unlink(missing_ok=True)

    def accounts(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        return sorted(int(path.stem) for path in self.directory.glob("*.json") if path.stem.isdigit())


class TeslaAccounts:
    def __init__(
        self,
        db: Database,
        keyring: Callable[[], Keyring],
        settings: Settings,
        *,
        oauth_for: Callable[[Endpoints], TeslaOAuth] | None = None,
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.settings = settings
        self.margin = timedelta(seconds=settings.tesla_refresh_margin_s)
        self.journal = Journal(settings.resolved_data_dir / JOURNAL_DIR)
        self._oauth_for = oauth_for or (lambda endpoints: TeslaOAuth(endpoints))

    def endpoints(self, account: TeslaAccount) -> Endpoints:
        return endpoints_for(self.settings, account.china)

    def app(self, account: TeslaAccount) -> TeslaApp:
        secret = self.keyring().decrypt_secret(
            account.client_secret, context=account_context(account.id, "client_secret")
        )
        return TeslaApp(
            client_id=account.client_id,
            client_secret=secret,
            redirect_uri=account.redirect_uri,
            scopes=tuple(account.scopes),
        )

    async def connect(self, session: AsyncSession, user_id: int, app: TeslaApp, china: bool) -> Connecting:
        """Start connecting: a pending account and the URL to send the owner to. In the caller's
        transaction (`session`), so a refused request leaves nothing behind."""
        state = new_state()
        account = await repo.add(
            session,
            user_id=user_id,
            client_id=app.client_id,
            redirect_uri=app.redirect_uri,
            scopes=app.scopes,
            china=china,
            state_hash=state_hash(state),
            state_expires_at=datetime.now(UTC) + STATE_TTL,
        )
        envelope = self.keyring().encrypt(
            app.client_secret, context=account_context(account.id, "client_secret")
        )
        await repo.set_client_secret(session, account.id, envelope)
        account.client_secret = envelope
        return Connecting(account, authorize_url(app, state, endpoints_for(self.settings, china)))

    async def complete(self, code: str, state: str) -> TeslaAccount:
        """The callback: the state names the pending account; the code becomes its tokens."""
        async with self.db.transaction() as session:
            account = await repo.by_state(session, state_hash(state))
            now = datetime.now(UTC)
            if account is None or account.pending_state_expires_at is None:
                raise AccountError("this authorization is unknown or was used already: connect again")
            if account.pending_state_expires_at < now:
                raise AccountError("this authorization took too long: connect again")
            oauth = self._oauth_for(self.endpoints(account))
            try:
                tokens = await oauth.exchange_code(self.app(account), code)
                region = await oauth.discover_region(tokens.access_token)
            except OAuthError as exc:
                raise AccountError(f"Tesla refused the authorization: {exc}") from None
            finally:
                await oauth.aclose()
            entry = self._entry(
                account,
                tokens.access_token,
                tokens.refresh_token,
                tokens.expires_at,
                region.code,
                region.base_url,
            )
            await self._keep(session, entry)
        self.journal.remove(account.id, entry.generation)
        async with self.db.transaction() as session:
            stored = await repo.by_id(session, account.id)
        assert stored is not None
        return stored

    async def access_token(self, account_id: int) -> Secret[str]:
        """A valid access token, refreshed first when it expires within the margin."""
        await self.recover(account_id)
        async with self.db.transaction() as session:
            account = await repo.by_id(session, account_id)
        if account is None or account.status != "connected":
            raise AccountError(f"Tesla account {account_id} is not connected")
        if account.access_token is None or self._expiring(account):
            return await self.refresh(account_id)
        return self.keyring().decrypt_secret(
            account.access_token, context=account_context(account_id, "access")
        )

    def _expiring(self, account: TeslaAccount) -> bool:
        expires = account.access_expires_at
        return expires is None or expires - self.margin <= datetime.now(UTC)

    async def refresh(self, account_id: int, *, force: bool = False) -> Secret[str]:
        await self.recover(account_id)
        async with self.db.transaction() as session:
            account = await repo.locked(session, account_id)
            if account is None or account.status != "connected" or account.refresh_token is None:
                raise AccountError(f"Tesla account {account_id} is not connected")
            keyring = self.keyring()
            if not force and account.access_token is not None and not self._expiring(account):
                # refreshed by someone else while this one waited for the lock
                return keyring.decrypt_secret(
                    account.access_token, context=account_context(account_id, "access")
                )
            refresh_token = keyring.decrypt_secret(
                account.refresh_token, context=account_context(account_id, "refresh")
            )
            oauth = self._oauth_for(self.endpoints(account))
            try:
                tokens: TokenSet | None = await oauth.refresh(self.app(account), refresh_token)
                failure: OAuthError | None = None
            except InvalidTokenResponse as exc:
                # keep what Tesla rotated, whatever else was wrong with the answer
                tokens, failure = None, exc
                if exc.refresh_token is not None:
                    await self._keep(session, self._entry(account, None, exc.refresh_token))
            except OAuthError as exc:
                tokens, failure = None, exc
            finally:
                await oauth.aclose()
            if tokens is not None:
                entry = self._entry(account, tokens.access_token, tokens.refresh_token, tokens.expires_at)
                await self._keep(session, entry)
        self.journal.remove(account_id, account.generation + 1)
        if tokens is not None:
            return tokens.access_token
        if isinstance(failure, ReauthRequired):
            await self._mark(account_id, "reauth_required", "Tesla refused the refresh token: connect again")
        raise AccountError(f"refreshing Tesla account {account_id} failed: {failure}")

    async def _keep(self, session: AsyncSession, entry: JournalEntry) -> None:
        """Journal first, then the database: a failure between the two is recovered from the journal."""
        self.journal.write(entry)
        await self._store(session, entry)

    async def base_url(self, account_id: int) -> str:
        """The Fleet API host that serves the account: the one region discovery found, else its region's."""
        async with self.db.transaction() as session:
            account = await repo.by_id(session, account_id)
        if account is None:
            raise AccountError(f"no Tesla account {account_id}")
        endpoints = self.endpoints(account)
        if account.fleet_api_base_url:
            return account.fleet_api_base_url
        return (
            endpoints.base_url(account.region or endpoints.home_region)
            or endpoints.region_base_urls[endpoints.home_region]
        )

    async def rediscover(self, account_id: int, hint: str | None = None) -> str:
        """Ask Tesla again which region serves the account (after a 421), and keep the answer. A base URL
        hinted in the refusal is not followed blindly: region discovery is asked instead."""
        token = await self.access_token(account_id)
        async with self.db.transaction() as session:
            account = await repo.by_id(session, account_id)
        assert account is not None
        oauth = self._oauth_for(self.endpoints(account))
        try:
            region = await oauth.discover_region(token)
        except OAuthError as exc:
            raise AccountError(f"finding the account's region failed: {exc}") from None
        finally:
            await oauth.aclose()
        async with self.db.transaction() as session:
            await repo.set_region(session, account_id, region.code, region.base_url)
        log.info("Tesla account %s is served from region %s (hinted %s)", account_id, region.code, hint)
        return region.base_url

    async def refresh_due(self) -> int:
        """Refresh every account whose access token expires within the margin; the count refreshed."""
        async with self.db.transaction() as session:
            due = await repo.due(session, datetime.now(UTC) + self.margin)
        done = 0
        for account_id in due:
            try:
                await self.refresh(account_id)
                done += 1
            except (AccountError, OAuthError) as exc:
                log.warning("Tesla account %s: %s", account_id, exc)
        return done

    async def revoke(self, account_id: int) -> None:
        """Forget the tokens. Tesla has no revocation endpoint for third-party apps: the owner removes the
        app's access at accounts.tesla.com (Security > Third Party Apps), which docs/security.md explains."""
        async with self.db.transaction() as session:
            await repo.forget_tokens(session, account_id)
        self.journal.path(account_id).unlink(missing_ok=True)

    async def recover(self, account_id: int | None = None) -> int:
        """Apply journal entries the database does not have yet; how many were applied."""
        applied = 0
        for journalled in [account_id] if account_id is not None else self.journal.accounts():
            entry = self.journal.read(journalled)
            if entry is None:
                continue
            async with self.db.transaction() as session:
                stored = await repo.locked(session, journalled)
                if stored is not None and stored.generation == entry.generation - 1:
                    await self._store(session, entry)
                    applied += 1
                    log.warning("Tesla account %s: tokens recovered from the journal", journalled)
                elif stored is not None and stored.generation < entry.generation - 1:
                    log.error("Tesla account %s: the journal skips a generation; left in place", journalled)
                    continue
            self.journal.remove(journalled, entry.generation)
        return applied

    def _entry(
        self,
        account: TeslaAccount,
        access_token: Secret[str] | None,
        refresh_token: Secret[str],
        expires_at: datetime | None = None,
        region: str | None = None,
        base_url: str | None = None,
    ) -> JournalEntry:
        keyring = self.keyring()
        access = None
        if access_token is not None:
            access = keyring.encrypt(access_token, context=account_context(account.id, "access"))
        return JournalEntry(
            account_id=account.id,
            generation=account.generation + 1,
            access_token=access,
            refresh_token=keyring.encrypt(refresh_token, context=account_context(account.id, "refresh")),
            expires_at=expires_at or datetime.now(UTC),
            region=region,
            base_url=base_url,
        )

    @staticmethod
    async def _store(session: AsyncSession, entry: JournalEntry) -> None:
        await repo.store_tokens(
            session,
            entry.account_id,
            generation=entry.generation,
            access_token=entry.access_token,
            refresh_token=entry.refresh_token,
            expires_at=entry.expires_at,
            region=entry.region,
            base_url=entry.base_url,
        )

    async def _mark(self, account_id: int, status: str, error: str) -> None:
        async with self.db.transaction() as session:
            await repo.set_status(session, account_id, status, error)
