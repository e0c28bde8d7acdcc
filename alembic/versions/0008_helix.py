"""Helix, the AI layer: per-feature toggles, models and budgets; settings; the price table; the audit of every
call; runs (for streamed answers); and the documentation chunks RAG retrieves, with full-text search always
and pgvector embeddings where the extension is available.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _vector_available() -> bool:
    found = (
        op.get_bind().execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).scalar()
    )
    return found is not None


def upgrade() -> None:
    op.create_table(
        "helix_features",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("model", sa.Text),
        sa.Column("monthly_budget", sa.Numeric(12, 4)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "helix_settings",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", postgresql.JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "helix_prices",
        sa.Column("model", sa.Text, primary_key=True),
        sa.Column("input_per_mtok", sa.Numeric(12, 6), nullable=False),
        sa.Column("output_per_mtok", sa.Numeric(12, 6), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "helix_calls",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("feature", sa.Text, nullable=False),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),  # chat, stream, embed
        sa.Column("input_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("output_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cost", sa.Numeric(14, 6), nullable=False, server_default="0"),
        sa.Column("latency_ms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("error_code", sa.Text),
        sa.Column("prompt", postgresql.JSONB),  # only when an administrator enabled storing prompts
        sa.Column("response", sa.Text),
    )
    op.create_index("ix_helix_calls_at", "helix_calls", ["at"])
    op.create_index("ix_helix_calls_feature_at", "helix_calls", ["feature", "at"])
    op.create_table(
        "helix_runs",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("feature", sa.Text, nullable=False),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("input", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="running"),
        sa.Column("output", sa.Text, nullable=False, server_default=""),
        sa.Column("result", postgresql.JSONB),
        sa.Column("error_code", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "helix_chunks",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("heading", sa.Text, nullable=False),
        sa.Column("anchor", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("embedding_model", sa.Text),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column(
            "tsv",
            postgresql.TSVECTOR,
            sa.Computed("to_tsvector('english', heading || ' ' || content)", persisted=True),
        ),
        sa.UniqueConstraint("path", "position", name="uq_helix_chunks_place"),
    )
    op.create_index("ix_helix_chunks_tsv", "helix_chunks", ["tsv"], postgresql_using="gin")
    op.create_index("ix_helix_chunks_hash", "helix_chunks", ["content_hash"])
    if _vector_available():
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
        # no fixed dimension: models differ; retrieval casts to the model's dimension, indexed per dimension
        # (HNSW, cosine) when the indexer first stores embeddings of that size
        op.execute("ALTER TABLE helix_chunks ADD COLUMN embedding vector")
        op.execute("ALTER TABLE helix_chunks ADD COLUMN dims integer")


def downgrade() -> None:
    for table in (
        "helix_chunks",
        "helix_runs",
        "helix_calls",
        "helix_prices",
        "helix_settings",
        "helix_features",
    ):
        op.drop_table(table)
