"""Telemetry: latest values, dead letters, car events (connectivity, alerts, errors), stream health.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def vehicle() -> sa.ForeignKey:
    return sa.ForeignKey("vehicles.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "signal_latest",
        sa.Column("vehicle_id", sa.BigInteger, vehicle(), primary_key=True),
        sa.Column("field", sa.Text, primary_key=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("num", sa.Double),
        sa.Column("txt", sa.Text),
        sa.Column("doc", postgresql.JSONB),
        sa.Column("approx", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("vin", sa.Text),
        sa.Column("field", sa.Text),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_dead_letters_received_at", "dead_letters", ["received_at"])
    op.create_table(
        "vehicle_events",
        sa.Column("vehicle_id", sa.BigInteger, vehicle(), primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("ts", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("doc", postgresql.JSONB),
    )
    op.create_table(
        "vehicle_streams",
        sa.Column("vehicle_id", sa.BigInteger, vehicle(), primary_key=True),
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_data_at", sa.DateTime(timezone=True)),
        sa.Column("connectivity", sa.Text),
        sa.Column("connectivity_at", sa.DateTime(timezone=True)),
    )

    op.create_table(
        "mqtt_receipts",
        sa.Column("client_id", sa.Text, primary_key=True),
        sa.Column("mid", sa.Integer, primary_key=True),
        sa.Column("digest", sa.Text, nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("mqtt_receipts")
    op.drop_table("vehicle_streams")
    op.drop_table("vehicle_events")
    op.drop_index("ix_dead_letters_received_at", "dead_letters")
    op.drop_table("dead_letters")
    op.drop_table("signal_latest")
