"""Helix as a process holds it: the provider and the chain (built on first use, and only when Helix is on), the
features' state, documentation retrieval, and streamed runs. With Helix off nothing here contacts anyone."""

from __future__ import annotations

import asyncio
import calendar
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.auth.ratelimit import RateLimiter
from teslasync.config import Settings
from teslasync.db.engine import Database
from teslasync.db.repositories import helix as repo
from teslasync.helix.chain import HelixClient
from teslasync.helix.errors import HelixDisabled, HelixError
from teslasync.helix.features import FEATURES, Feature
from teslasync.helix.providers.base import Embeddings
from teslasync.helix.providers.factory import build_provider
from teslasync.helix.rag.index import IndexReport, index_docs
from teslasync.helix.rag.retrieve import search
from teslasync.helix.runner import Excerpt

log = logging.getLogger("teslasync.helix")

CLOSE_WAIT_S = 5.0

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def docs_dir(package: Path = PACKAGE_DIR) -> Path:
    """The documentation help answers from: the repository's docs/, or, in an installed package (the
    image), the copy the Dockerfile puts into the package as `_docs`."""
    repository = package.parent / "docs"
    return repository if repository.is_dir() else package / "_docs"


RETRIEVED = 5


@dataclass(frozen=True)
class FeatureState:
    feature: Feature
    toggled: bool  # an administrator switched it on
    enabled: bool  # toggled, and Helix is on
    model: str
    monthly_budget: Decimal | None
    spent: Decimal


def month_forecast(spent: Decimal, now: datetime) -> Decimal:
    """Spend at month end at this month's pace so far."""
    days = calendar.monthrange(now.year, now.month)[1]
    elapsed = (now.day - 1) + (now.hour * 3600 + now.minute * 60 + now.second) / 86400
    if elapsed <= 0:
        return spent
    return (spent * Decimal(days) / Decimal(str(elapsed))).quantize(Decimal("0.000001"))


class Helix:
    def __init__(self, settings: Settings, db: Database, limiter: RateLimiter) -> None:
        self.settings = settings
        self.db = db
        self.limiter = limiter
        self._client: HelixClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        return self.settings.helix_enabled

    @property
    def client(self) -> HelixClient:
        if not self.enabled:
            raise HelixDisabled("Helix is off (TESLASYNC_HELIX_ENABLED)")
        if self._client is None:
            provider = build_provider(self.settings)
            self._client = HelixClient(self.db, provider, self.settings, self.limiter)
        return self._client

    async def states(self, session: AsyncSession) -> list[FeatureState]:
        rows = {row.name: row for row in await repo.features(session)}
        states = []
        for feature in FEATURES.values():
            row = rows.get(feature.name)
            toggled = bool(row and row.enabled)
            states.append(
                FeatureState(
                    feature,
                    toggled,
                    toggled and self.enabled,
                    (row.model if row and row.model else None) or self.settings.helix_model,
                    row.monthly_budget if row else None,
                    await repo.spend_this_month(session, feature=feature.name),
                )
            )
        return states

    async def require(self, session: AsyncSession, name: str) -> FeatureState:
        """The feature's state, or HelixDisabled (Helix off, the feature off, or no such feature)."""
        if not self.enabled:
            raise HelixDisabled("Helix is off (TESLASYNC_HELIX_ENABLED)")
        state = next((s for s in await self.states(session) if s.feature.name == name), None)
        if state is None:
            raise HelixDisabled(f"no Helix feature {name}")
        if not state.enabled:
            raise HelixDisabled(f"the Helix feature {name} is not enabled (an administrator enables it)")
        return state

    async def embed(self, texts: list[str]) -> Embeddings:
        model = self.settings.helix_embedding_model
        assert model
        return await self.client.embed("help_chat", None, model, texts)

    async def retrieve(self, question: str) -> Sequence[Excerpt]:
        """Documentation sections for a question: hybrid when embeddings are configured (full-text if the
        provider fails), full-text otherwise; always works offline."""
        model = self.settings.helix_embedding_model or None
        hits = await search(
            self.db,
            question,
            k=RETRIEVED,
            mode="hybrid" if model else "fts",
            embedder=self.embed if model else None,
            embedding_model=model,
        )
        return [Excerpt(hit.path, hit.heading, hit.anchor, hit.snippet, hit.content) for hit in hits]

    async def index(self, folder: Path | None = None) -> IndexReport:
        """`teslasync helix index`: the docs into the index, embedded when Helix is on and has an embedding
        model (full-text only otherwise)."""
        model = self.settings.helix_embedding_model if self.enabled else None
        return await index_docs(self.db, folder or docs_dir(), self.embed if model else None, model or None)

    def spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            # bounded: a task cancelled in the middle of a statement waits for the database to cancel it,
            # and a stop must not hang on the docs index (it is made again at the next start)
            _, pending = await asyncio.wait(tasks, timeout=CLOSE_WAIT_S)
            if pending:
                log.warning(
                    "Helix: %d background task(s) still stopping after %g s; not waiting",
                    len(pending),
                    CLOSE_WAIT_S,
                )
        if self._client is not None:
            await self._client.aclose()


async def spend_summary(
    session: AsyncSession, settings: Settings, now: datetime | None = None
) -> Mapping[str, Decimal]:
    now = now or datetime.now(UTC)
    spent = await repo.spend_this_month(session, now=now)
    budget = await repo.get_setting(session, "monthly_budget", settings.helix_monthly_budget)
    return {
        "spent": spent,
        "forecast": month_forecast(spent, now),
        "budget": Decimal(str(budget)) if budget is not None else Decimal(-1),
    }


def unavailable(error: HelixError) -> dict[str, str]:
    return {"code": error.code, "message": error.message}


JUMP_FACTOR = Decimal(3)
JUMP_FLOOR_USD = Decimal(1)


async def spend_jump(db: Database, now: datetime | None = None) -> tuple[Decimal, Decimal] | None:
    """(today's spend, the usual daily spend) when today's is a jump: over three times the average of this
    month's earlier days and over a dollar; None otherwise."""
    now = now or datetime.now(UTC)
    async with db.transaction() as session:
        days = await repo.spend_by_day(session, now.date())
    earlier = [day.cost for day in days if day.day < now.date()]
    today = next((day.cost for day in days if day.day == now.date()), Decimal(0))
    usual = sum(earlier, Decimal(0)) / len(earlier) if earlier else Decimal(0)
    if today > JUMP_FLOOR_USD and today > usual * JUMP_FACTOR:
        return today, usual.quantize(Decimal("0.01"))
    return None
