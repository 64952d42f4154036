"""the editor's desk decides about stories: merge two, split one, the "Et enfin" slot,
kept by article URL across a rebuild

Revision ID: 0013_desk_stories
Revises: 0012_import_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import digest.store.tables

revision = "0013_desk_stories"
down_revision = "0012_import_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "edition_story_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("other", sa.Text(), server_default="", nullable=False),
        sa.Column("edited_by", sa.String(length=320), nullable=False),
        sa.Column("edited_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["editions.id"],
            name=op.f("fk_edition_story_decisions_edition_id_editions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edition_story_decisions")),
    )
    with op.batch_alter_table("edition_story_decisions") as batch:
        batch.create_index(batch.f("ix_edition_story_decisions_edition_id"), ["edition_id"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("edition_story_decisions") as batch:
        batch.drop_index(batch.f("ix_edition_story_decisions_edition_id"))
    op.drop_table("edition_story_decisions")
