"""Foundation: vehicles, API tokens, storage settings, and the time-series store for the chosen strategy.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from teslasync.config import StorageMode
from teslasync.db.storage import choose_strategy, create_time_series, drop_time_series

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("vin", sa.String(17), nullable=False),
        sa.Column("display_name", sa.Text),
        sa.Column("model", sa.Text),
        sa.Column("state", sa.Text, nullable=False, server_default="unknown"),
        sa.Column("state_since", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("vin", name="uq_vehicles_vin"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("prefix", name="uq_api_tokens_prefix"),
    )
    op.create_table(
        "storage_settings",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    connection = op.get_bind()
    mode = StorageMode(context.config.attributes.get("storage_mode", StorageMode.AUTO))
    create_time_series(connection, choose_strategy(connection, mode))


def downgrade() -> None:
    drop_time_series(op.get_bind())
    op.drop_table("storage_settings")
    op.drop_table("api_tokens")
    op.drop_table("vehicles")
