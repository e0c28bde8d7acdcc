"""Auth: users, vehicle sharing, tokens acting for users, TOTP, step-up, the audit log, Tesla accounts.

Existing API tokens were made with the CLI, which acts for the administrator: they are given to a built-in
`admin` user created here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ADMIN_USERNAME = "admin"


def _user_fk(nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column[int]:
    return sa.Column(
        "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("email", sa.Text),
        sa.Column("display_name", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("groups", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_seen_at", sa.DateTime(timezone=True)),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.Column("totp_secret", sa.Text),  # an encrypted envelope (auth/secrets.py)
        sa.Column("totp_enabled_at", sa.DateTime(timezone=True)),
        sa.Column("totp_last_step", sa.BigInteger),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint("source IN ('local', 'forward-auth')", name="source"),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _user_fk(),
        sa.Column("code_hash", sa.Text, nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    op.create_table(
        "vehicle_access",
        _user_fk(),
        sa.Column(
            "vehicle_id", sa.BigInteger, sa.ForeignKey("vehicles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("user_id", "vehicle_id", name="pk_vehicle_access"),
        sa.CheckConstraint("role IN ('owner', 'driver', 'viewer')", name="role"),
    )
    op.create_index("ix_vehicle_access_vehicle_id", "vehicle_access", ["vehicle_id"])
    op.create_table(
        "step_ups",
        _user_fk(),
        sa.Column("credential", sa.Text, nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "credential", name="pk_step_ups"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        _user_fk(nullable=True, ondelete="SET NULL"),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("token_id", sa.BigInteger),
        sa.Column("address", sa.Text),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("detail", postgresql.JSONB),
        sa.CheckConstraint("outcome IN ('ok', 'refused', 'failed')", name="outcome"),
    )
    op.create_index("ix_audit_log_at", "audit_log", [sa.text("at DESC"), sa.text("id DESC")])
    op.create_table(
        "tesla_accounts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _user_fk(),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("client_secret", sa.Text, nullable=False),  # encrypted
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("china", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("pending_state_hash", sa.Text),
        sa.Column("pending_state_expires_at", sa.DateTime(timezone=True)),
        sa.Column("region", sa.Text),
        sa.Column("fleet_api_base_url", sa.Text),
        sa.Column("access_token", sa.Text),  # encrypted
        sa.Column("refresh_token", sa.Text),  # encrypted
        sa.Column("access_expires_at", sa.DateTime(timezone=True)),
        sa.Column("generation", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('pending', 'connected', 'reauth_required', 'revoked')", name="status"),
    )
    op.create_index("ix_tesla_accounts_user_id", "tesla_accounts", ["user_id"])
    op.execute(
        sa.text(
            "INSERT INTO users (username, display_name, source, is_admin) VALUES (:u, :d, 'local', true)"
        ).bindparams(u=ADMIN_USERNAME, d="Administrator")
    )
    op.add_column("api_tokens", _user_fk(nullable=True))
    op.execute(
        sa.text("UPDATE api_tokens SET user_id = (SELECT id FROM users WHERE username = :u)").bindparams(
            u=ADMIN_USERNAME
        )
    )
    op.alter_column("api_tokens", "user_id", nullable=False)
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_user_id", "api_tokens")
    op.drop_column("api_tokens", "user_id")
    for table in ("tesla_accounts", "audit_log", "step_ups", "vehicle_access", "recovery_codes", "users"):
        op.drop_table(table)
