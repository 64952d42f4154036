"""full text for excerpt-only feeds: feeds.full_text and the page_fetches cache

Revision ID: 0009_full_text
Revises: 0008_faults
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import digest.store.tables

revision = "0009_full_text"
down_revision = "0008_faults"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("full_text", sa.String(length=10), server_default="auto", nullable=False))
    op.create_table(
        "page_fetches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("etag", sa.String(length=500), server_default="", nullable=False),
        sa.Column("last_modified", sa.String(length=100), server_default="", nullable=False),
        sa.Column("fetched_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_index(op.f("ix_page_fetches_feed_id"), "page_fetches", ["feed_id"], unique=False)


def downgrade() -> None:
    """Undo this migration."""
    op.drop_index(op.f("ix_page_fetches_feed_id"), table_name="page_fetches")
    op.drop_table("page_fetches")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("full_text")
