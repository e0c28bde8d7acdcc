"""Derived: the states timeline; geofences and tariffs; the cost of each charging session.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vehicle_states",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "vehicle_id", sa.BigInteger, sa.ForeignKey("vehicles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("state", sa.Text, nullable=False),
        sa.UniqueConstraint("vehicle_id", "started_at", name="uq_vehicle_states_vehicle_id"),
    )
    op.create_table(
        "tariffs",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.Text, nullable=False),
        sa.Column("price_per_kwh", sa.Numeric(12, 5)),
        sa.Column("price_per_minute", sa.Numeric(12, 5)),
        sa.Column("session_fee", sa.Numeric(12, 5)),
        sa.Column("windows", postgresql.JSONB, nullable=False),
        sa.Column("free_supercharging", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "geofences",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("latitude", sa.Double, nullable=False),
        sa.Column("longitude", sa.Double, nullable=False),
        sa.Column("radius_m", sa.Double, nullable=False),
        sa.Column("tariff_id", sa.BigInteger, sa.ForeignKey("tariffs.id", ondelete="SET NULL")),
    )
    op.add_column(
        "charging_sessions",
        sa.Column("geofence_id", sa.BigInteger, sa.ForeignKey("geofences.id", ondelete="SET NULL")),
    )
    op.add_column("charging_sessions", sa.Column("cost_amount", sa.Numeric(14, 2)))
    op.add_column("charging_sessions", sa.Column("cost_currency", sa.String(3)))
    op.add_column("charging_sessions", sa.Column("cost_breakdown", postgresql.JSONB))


def downgrade() -> None:
    for column in ("cost_breakdown", "cost_currency", "cost_amount", "geofence_id"):
        op.drop_column("charging_sessions", column)
    op.drop_table("geofences")
    op.drop_table("tariffs")
    op.drop_table("vehicle_states")
