"""Commands: the vehicles each Tesla account reaches, the command history (with idempotency keys), and the
Fleet Telemetry configuration pushed to each car.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "vehicles",
        sa.Column("tesla_account_id", sa.BigInteger, sa.ForeignKey("tesla_accounts.id", ondelete="SET NULL")),
    )
    op.create_table(
        "vehicle_commands",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "vehicle_id", sa.BigInteger, sa.ForeignKey("vehicles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("principal_key", sa.Text, nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("params", postgresql.JSONB, nullable=False),  # secrets redacted
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("steps", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("error_code", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("idempotency_key", sa.Text),
        sa.Column("billed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('pending', 'sent', 'succeeded', 'failed')", name="status"),
    )
    op.create_index(
        "ix_vehicle_commands_vehicle_id", "vehicle_commands", ["vehicle_id", sa.text("created_at DESC")]
    )
    op.create_index(
        "uq_vehicle_commands_idempotency",
        "vehicle_commands",
        ["principal_key", "idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_table(
        "telemetry_configs",
        sa.Column(
            "vehicle_id",
            sa.BigInteger,
            sa.ForeignKey("vehicles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("config", postgresql.JSONB, nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("checked_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("telemetry_configs")
    op.drop_index("uq_vehicle_commands_idempotency", "vehicle_commands")
    op.drop_index("ix_vehicle_commands_vehicle_id", "vehicle_commands")
    op.drop_table("vehicle_commands")
    op.drop_column("vehicles", "tesla_account_id")
