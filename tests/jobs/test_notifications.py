"""Notifications as a user sets them up and receives them: a channel made through GraphQL (its secret never
shown back), a test send, an event fanned out by the worker to the subscribed channel of every user who sees
the car (and not to one who does not), sent once however often it is published; retries with backoff and
Retry-After, permanent failures, quiet hours, and the delivery log with each attempt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from teslasync.app import create_app
from teslasync.auth.principal import Scope
from teslasync.auth.security import KeyringSource
from teslasync.auth.tokens import create_token
from teslasync.db.engine import Database
from teslasync.db.models import NotificationAttemptRow, NotificationDeliveryRow
from teslasync.db.repositories import notifications as repo
from teslasync.db.repositories import users as users_repo
from teslasync.db.repositories.vehicles import ensure_vehicle
from teslasync.jobs import notifications
from teslasync.jobs.queue import JobQueues
from teslasync.jobs.worker import JobServices
from teslasync.notify.events import Event, EventKind
from tests.conftest import make_settings
from tests.live_server import serve
from tests.notify.fakes import WEBHOOK_SECRET, FakeProviders, fake_providers

VIN = "5YJ3E7EB2NF000077"
CREATE = """
mutation($settings: JSON!) {
  createNotificationChannel(kind: WEBHOOK, name: "my hook", settings: $settings) {
    channel { id kind name enabled settings secretFields }
    errors { __typename ... on InvalidInput { field message } }
  }
}
"""


@dataclass
class Setup:
    http: httpx.AsyncClient
    headers: dict[str, str]
    fake: FakeProviders
    channel_id: str
    db: Database
    queues: JobQueues


async def _post(setup: Setup, query: str, **variables: Any) -> dict[str, Any]:
    response = await setup.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=setup.headers
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


def _event(kind: EventKind = EventKind.CHARGE_COMPLETE, key: str = "charge_complete:one") -> Event:
    return Event(kind, VIN, datetime.now(UTC), "Charging complete", "Charged to 80 % (limit 80 %)", key)


async def _deliveries(db: Database) -> list[NotificationDeliveryRow]:
    async with db.transaction() as session:
        return list(
            (
                await session.scalars(select(NotificationDeliveryRow).order_by(NotificationDeliveryRow.id))
            ).all()
        )


async def _wait_for(condition: Any, timeout_s: float = 20) -> None:
    for _ in range(int(timeout_s / 0.1)):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
async def setup(tmp_path: Path, fresh_db: Database) -> AsyncIterator[Setup]:
    settings = make_settings(tmp_path)
    async with fresh_db.transaction() as session:
        await ensure_vehicle(session, VIN)
        token = (await create_token(session, "notifications", [Scope.READ])).token
    app = create_app(settings, fresh_db, dispose_on_shutdown=False)
    async with (
        fake_providers() as fake,
        serve(app) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        partial = Setup(
            http, {"Authorization": f"Bearer {token}"}, fake, "", fresh_db, app.state.graphql.jobs.queues
        )
        created = await _post(partial, CREATE, settings={"url": fake.webhook_url, "secret": WEBHOOK_SECRET})
        channel = created["createNotificationChannel"]["channel"]
        partial.channel_id = channel["id"]
        yield partial


async def test_a_channel_is_made_tested_and_receives_its_events_once(setup: Setup) -> None:
    listed = await _post(setup, "{ notificationChannels { id kind settings secretFields enabled } }")
    assert listed["notificationChannels"] == [
        {
            "id": setup.channel_id,
            "kind": "WEBHOOK",
            "settings": {"url": setup.fake.webhook_url, "allow_insecure": False},
            "secretFields": ["secret"],
            "enabled": True,
        }
    ]
    tested = await _post(
        setup,
        "mutation($id: ID!) { testNotificationChannel(id: $id) { delivered detail } }",
        id=setup.channel_id,
    )
    assert tested["testNotificationChannel"]["delivered"] is True
    assert [d.seen["kind"] for d in setup.fake.delivered_to("webhook")] == ["test"]

    subscribed = await _post(
        setup,
        "mutation($id: ID!) { subscribeNotifications(channelId: $id, events: [CHARGE_COMPLETE]) { subscription { events vins } errors { __typename } } }",
        id=setup.channel_id,
    )
    assert subscribed["subscribeNotifications"] == {
        "subscription": {"events": ["CHARGE_COMPLETE"], "vins": None},
        "errors": [],
    }

    event = _event()
    for _ in range(3):  # detected again after a restart, redelivered, or by two replicas: sent once
        await notifications.publish(setup.queues, event)
    await notifications.publish(
        setup.queues, _event(EventKind.CHARGE_STARTED, "charge_started:one")
    )  # not subscribed

    async def delivered() -> bool:
        return len(setup.fake.delivered_to("webhook")) == 2

    await _wait_for(delivered)
    await asyncio.sleep(0.5)
    received = setup.fake.delivered_to("webhook")
    assert [d.seen["kind"] for d in received] == ["test", "charge_complete"]
    assert received[1].seen["vin"] == VIN and received[1].seen["title"] == "Charging complete"

    log = await _post(
        setup,
        "{ notificationDeliveries { edges { node { event status vin attempts { attempt outcome } } } } }",
    )
    assert [edge["node"] for edge in log["notificationDeliveries"]["edges"]] == [
        {
            "event": "CHARGE_COMPLETE",
            "status": "sent",
            "vin": VIN,
            "attempts": [{"attempt": 1, "outcome": "sent"}],
        },
        {"event": "TEST", "status": "sent", "vin": None, "attempts": [{"attempt": 1, "outcome": "sent"}]},
    ]


async def test_only_users_who_see_the_car_are_notified(setup: Setup) -> None:
    async with setup.db.transaction() as session:
        stranger = await users_repo.upsert_seen(
            session,
            "stranger",
            email=None,
            display_name=None,
            groups=[],
            is_admin=False,
            seen_at=datetime.now(UTC),
        )
        channel = await repo.add_channel(
            session, stranger.id, "webhook", "theirs", {"url": setup.fake.webhook_url}, None
        )
        await repo.add_subscription(session, stranger.id, channel.id, ["charge_complete"], None)
        admin_channel = int(setup.channel_id)
        await repo.add_subscription(
            session, (await users_repo.builtin_admin(session)).id, admin_channel, ["charge_complete"], None
        )
        assert await repo.recipients(session, "charge_complete", VIN) == [
            ((await users_repo.builtin_admin(session)).id, admin_channel)
        ]
        vehicle = await ensure_vehicle(session, VIN)
        await users_repo.grant(session, stranger.id, vehicle.id, "viewer")
        assert len(await repo.recipients(session, "charge_complete", VIN)) == 2


async def _direct(setup: Setup, tmp_path: Path, **overrides: Any) -> tuple[dict[str, Any], int]:
    """A delivery recorded by a fan-out, and a job context to run `deliver` by hand (no worker)."""
    settings = make_settings(tmp_path, **overrides)
    services = JobServices(settings, setup.db, setup.queues, KeyringSource(settings))
    async with setup.db.transaction() as session:
        admin = await users_repo.builtin_admin(session)
        delivery_id = await repo.add_delivery(
            session,
            user_id=admin.id,
            channel_id=int(setup.channel_id),
            kind="charge_complete",
            vin=VIN,
            dedup_key=f"direct:{datetime.now(UTC).timestamp()}",
            event=_event().as_json(),
        )
    assert delivery_id is not None
    return {"services": services}, delivery_id


async def _attempts(db: Database, delivery_id: int) -> list[tuple[str, str | None]]:
    async with db.transaction() as session:
        rows = await session.scalars(
            select(NotificationAttemptRow)
            .where(NotificationAttemptRow.delivery_id == delivery_id)
            .order_by(NotificationAttemptRow.attempt)
        )
        return [(row.outcome, row.detail) for row in rows]


async def test_failures_are_retried_with_backoff_and_logged(setup: Setup, tmp_path: Path) -> None:
    ctx, delivery_id = await _direct(setup, tmp_path)
    setup.fake.fail("webhook", 503, body="upstream down")
    before = datetime.now(UTC)
    assert await notifications.deliver(ctx, delivery_id=delivery_id) == "retrying"
    row = next(d for d in await _deliveries(setup.db) if d.id == delivery_id)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at is not None and timedelta(
        seconds=9
    ) < row.next_attempt_at - before < timedelta(seconds=12)

    setup.fake.fail("webhook", 429, headers={"Retry-After": "120"})
    assert await notifications.deliver(ctx, delivery_id=delivery_id) == "retrying"
    row = next(d for d in await _deliveries(setup.db) if d.id == delivery_id)
    assert row.next_attempt_at is not None and row.next_attempt_at - before > timedelta(seconds=115)

    assert await notifications.deliver(ctx, delivery_id=delivery_id) == "sent"
    outcomes = [outcome for outcome, _ in await _attempts(setup.db, delivery_id)]
    assert outcomes == ["retrying", "retrying", "sent"]
    assert await notifications.deliver(ctx, delivery_id=delivery_id) == "nothing to do"


async def test_a_permanent_failure_fails_at_once_and_says_why_without_the_secret(
    setup: Setup, tmp_path: Path
) -> None:
    ctx, delivery_id = await _direct(setup, tmp_path)
    setup.fake.fail("webhook", 401, body=f"bad signature for {WEBHOOK_SECRET}")
    assert await notifications.deliver(ctx, delivery_id=delivery_id) == "failed"
    [(outcome, detail)] = await _attempts(setup.db, delivery_id)
    assert outcome == "failed" and detail is not None and "401" in detail
    assert WEBHOOK_SECRET not in detail


async def test_quiet_hours_defer_a_delivery_to_their_end(setup: Setup, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    answer = await _post(
        setup,
        'mutation($s: String!, $e: String!) { setQuietHours(start: $s, end: $e, timezone: "UTC") { quietHours { start end timezone } errors { __typename } } }',
        s=start.strftime("%H:%M"),
        e=end.strftime("%H:%M"),
    )
    assert answer["setQuietHours"]["quietHours"]["timezone"] == "UTC"
    ctx, delivery_id = await _direct(setup, tmp_path)
    outcome = await notifications.deliver(ctx, delivery_id=delivery_id)
    assert outcome.startswith("deferred to ")
    row = next(d for d in await _deliveries(setup.db) if d.id == delivery_id)
    assert row.status == "deferred" and row.next_attempt_at is not None
    assert row.next_attempt_at.time().replace(second=0, microsecond=0) == end
    assert setup.fake.delivered_to("webhook") == []
    bad = await setup.http.post(
        "/graphql",
        json={
            "query": 'mutation { setQuietHours(start: "22:00", end: "07:00", timezone: "Mars/Olympus") { errors { ... on InvalidInput { field message } } } }'
        },
        headers=setup.headers,
    )
    assert bad.json()["data"]["setQuietHours"]["errors"][0]["field"] == "timezone"


async def test_bad_settings_are_named_and_secrets_kept_across_an_edit(setup: Setup) -> None:
    refused = await _post(
        setup, CREATE, settings={"url": "http://example.org/hook", "secret": WEBHOOK_SECRET, "colour": "red"}
    )
    problems = refused["createNotificationChannel"]["errors"]
    assert refused["createNotificationChannel"]["channel"] is None
    assert {problem["field"] for problem in problems} <= {"settings.url", "settings.colour"} and problems
    renamed = await _post(
        setup,
        'mutation($id: ID!, $s: JSON) { updateNotificationChannel(id: $id, name: "renamed", settings: $s) { channel { name settings } errors { __typename } } }',
        id=setup.channel_id,
        s={"url": setup.fake.webhook_url},
    )
    assert renamed["updateNotificationChannel"]["channel"]["name"] == "renamed"
    tested = await _post(
        setup,
        "mutation($id: ID!) { testNotificationChannel(id: $id) { delivered detail } }",
        id=setup.channel_id,
    )
    assert (
        tested["testNotificationChannel"]["delivered"] is True
    )  # the secret survived the edit: still signed
    async with setup.db.transaction() as session:
        stored = await repo.channel(session, int(setup.channel_id))
        assert (
            stored is not None
            and WEBHOOK_SECRET not in str(stored.config)
            and WEBHOOK_SECRET not in str(stored.secrets)
        )
