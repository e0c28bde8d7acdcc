"""Derived: drives and charging sessions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _common() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "vehicle_id", sa.BigInteger, sa.ForeignKey("vehicles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("start_battery_level", sa.Double),
        sa.Column("end_battery_level", sa.Double),
        sa.Column("start_rated_range_km", sa.Double),
        sa.Column("end_rated_range_km", sa.Double),
        sa.Column("latitude", sa.Double),
        sa.Column("longitude", sa.Double),
    ]


def upgrade() -> None:
    op.create_table(
        "drives",
        *_common(),
        sa.Column("closed_by", sa.Text, nullable=False),
        sa.Column("end_latitude", sa.Double),
        sa.Column("end_longitude", sa.Double),
        sa.Column("start_odometer_km", sa.Double),
        sa.Column("end_odometer_km", sa.Double),
        sa.Column("distance_km", sa.Double, nullable=False),
        sa.Column("max_speed_kmh", sa.Double),
        sa.Column("energy_used_kwh", sa.Double),
        sa.Column("outside_temp_avg_c", sa.Double),
        sa.Column("track", postgresql.JSONB, nullable=False),
        sa.UniqueConstraint("vehicle_id", "started_at", name="uq_drives_vehicle_id"),
    )
    op.create_table(
        "charging_sessions",
        *_common(),
        sa.Column("charger_type", sa.Text, nullable=False),
        sa.Column("fast_charger_type", sa.Text),
        sa.Column("energy_added_kwh", sa.Double),
        sa.Column("energy_from_wall_kwh", sa.Double),
        sa.Column("max_power_kw", sa.Double),
        sa.Column("curve", postgresql.JSONB, nullable=False),
        sa.UniqueConstraint("vehicle_id", "started_at", name="uq_charging_sessions_vehicle_id"),
    )


def downgrade() -> None:
    op.drop_table("charging_sessions")
    op.drop_table("drives")
