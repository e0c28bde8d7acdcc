"""Helix's pieces outside a request: every tool is a valid operation of the committed schema; the spend
forecast; the spend-jump alert, which goes to administrators only."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from teslasync.auth.ratelimit import MemoryRateLimiter
from teslasync.db.engine import Database
from teslasync.db.repositories import helix as repo
from teslasync.db.repositories import notifications as notifications_repo
from teslasync.db.repositories import users as users_repo
from teslasync.helix import service
from teslasync.helix.features import FEATURES
from teslasync.helix.service import month_forecast, spend_jump
from teslasync.helix.tools import TOOLS
from tests.conftest import make_settings

SCHEMA = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_every_tool_is_a_valid_operation_and_every_feature_names_real_tools() -> None:
    schema = build_schema(SCHEMA.read_text())
    for name, spec in TOOLS.items():
        assert validate(schema, parse(spec.document)) == [], name
        assert spec.parameters["type"] == "object"
    for feature in FEATURES.values():
        assert set(feature.tools) <= set(TOOLS), feature.name


def test_the_forecast_follows_the_month_so_far() -> None:
    # 10 days and 12 hours into a 30-day month: 10.5 days for $21 is $60 by the end
    assert month_forecast(Decimal("21"), datetime(2026, 11, 11, 12, tzinfo=UTC)) == Decimal("60.000000")


async def _spend(db: Database, at: datetime, cost: str) -> None:
    async with db.transaction() as session:
        await repo.record_call(
            session,
            feature="ask_my_data",
            user_id=None,
            provider="openai",
            model="gpt-4o",
            kind="chat",
            input_tokens=1,
            output_tokens=1,
            cost=Decimal(cost),
            latency_ms=1,
            outcome="ok",
            at=at,
        )


async def test_a_spend_jump_is_found_and_goes_to_administrators_only(fresh_db: Database) -> None:
    now = datetime(2026, 11, 20, 15, tzinfo=UTC)
    for days in range(1, 6):
        await _spend(fresh_db, now - timedelta(days=days), "0.50")
    await _spend(fresh_db, now - timedelta(hours=1), "0.90")
    assert await spend_jump(fresh_db, now) is None  # under the dollar floor
    await _spend(fresh_db, now - timedelta(minutes=5), "1.20")
    usual = (Decimal("2.50") / (now.day - 1)).quantize(
        Decimal("0.01")
    )  # every earlier day counts, idle ones too
    assert await spend_jump(fresh_db, now) == (Decimal("2.100000"), usual)
    async with fresh_db.transaction() as session:
        admin = await users_repo.builtin_admin(session)
        someone = await users_repo.upsert_seen(
            session, "someone", email=None, display_name=None, groups=[], is_admin=False, seen_at=now
        )
        for user in (admin, someone):
            channel = await notifications_repo.add_channel(session, user.id, "webhook", "hook", {}, None)
            await notifications_repo.add_subscription(
                session, user.id, channel.id, ["helix_spend_jump"], None
            )
        recipients = await notifications_repo.recipients(session, "helix_spend_jump", None)
    assert [user for user, _ in recipients] == [admin.id]


async def test_closing_cancels_background_work_and_waits_for_it_only_so_long(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(service, "CLOSE_WAIT_S", 0.2)
    helix = service.Helix(make_settings(tmp_path), db, MemoryRateLimiter())
    stopped: list[str] = []

    async def quick() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            stopped.append("quick")
            raise

    async def stubborn() -> None:  # as a statement the database is still cancelling
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(5)

    helix.spawn(quick())
    helix.spawn(stubborn())
    await asyncio.sleep(0)
    started = time.monotonic()
    await helix.aclose()
    assert time.monotonic() - started < 2
    assert stopped == ["quick"]
    assert "1 background task(s) still stopping" in caplog.text
