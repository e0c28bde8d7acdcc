"""Jobs: the scheduler's claimed runs, exports, vehicle tags, notifications (channels, subscriptions,
preferences, deliveries and their attempts) and automations (rules and runs). SAQ's own tables (`saq_*`) are
created by SAQ and stay out of these migrations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _now() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _user() -> sa.Column[object]:
    return sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def _channel() -> sa.Column[object]:
    return sa.Column(
        "channel_id",
        sa.BigInteger,
        sa.ForeignKey("notification_channels.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "vehicle_tags",
        sa.Column(
            "vehicle_id",
            sa.BigInteger,
            sa.ForeignKey("vehicles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tag", sa.Text, primary_key=True),
    )
    op.create_index("ix_vehicle_tags_tag", "vehicle_tags", ["tag"])
    op.create_table(
        "scheduler_runs",
        sa.Column("task", sa.Text, primary_key=True),
        sa.Column("slot_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("runner", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "exports",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("spec", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("rows", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("bytes", sa.BigInteger),
        sa.Column("file_name", sa.Text),
        sa.Column("error", sa.Text),
        _now(),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'expired')", name="status"),
    )
    op.create_index("ix_exports_user_id", "exports", ["user_id", sa.text("id DESC")])
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _user(),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("config", postgresql.JSONB, nullable=False),
        sa.Column("secrets", sa.Text),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        _now(),
    )
    op.create_index("ix_notification_channels_user_id", "notification_channels", ["user_id"])
    op.create_table(
        "notification_subscriptions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _user(),
        _channel(),
        sa.Column("events", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("vins", postgresql.ARRAY(sa.Text)),
    )
    op.create_index("ix_notification_subscriptions_user_id", "notification_subscriptions", ["user_id"])
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("quiet_start", sa.Time),
        sa.Column("quiet_end", sa.Time),
        sa.Column("timezone", sa.Text, nullable=False, server_default="UTC"),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _user(),
        _channel(),
        sa.Column("event_kind", sa.Text, nullable=False),
        sa.Column("vin", sa.Text),
        sa.Column("dedup_key", sa.Text, nullable=False),
        sa.Column("event", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        _now(),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("channel_id", "dedup_key", name="uq_notification_deliveries_dedup"),
        sa.CheckConstraint("status IN ('pending', 'deferred', 'sent', 'failed')", name="status"),
    )
    op.create_index(
        "ix_notification_deliveries_user_id", "notification_deliveries", ["user_id", sa.text("id DESC")]
    )
    op.create_table(
        "notification_attempts",
        sa.Column(
            "delivery_id",
            sa.BigInteger,
            sa.ForeignKey("notification_deliveries.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_table(
        "automation_rules",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _user(),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("rule", postgresql.JSONB, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "automation_runs",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "rule_id",
            sa.BigInteger,
            sa.ForeignKey("automation_rules.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("vin", sa.Text, nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("values", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("actions", postgresql.JSONB, nullable=False, server_default="[]"),
        _now(),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("rule_id", "vin", "fired_at", name="uq_automation_runs_firing"),
    )


def downgrade() -> None:
    for table in (
        "automation_runs",
        "automation_rules",
        "notification_attempts",
        "notification_deliveries",
        "notification_preferences",
        "notification_subscriptions",
        "notification_channels",
        "exports",
        "scheduler_runs",
        "vehicle_tags",
    ):
        op.drop_table(table)
