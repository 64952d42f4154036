"""the editor's desk keeps its decisions: the order of an edition's stories and the
story pinned as its lead

Revision ID: 0005_desk
Revises: 0003_trust
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import digest.store.tables

revision = "0005_desk"
down_revision = "0003_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "edition_orders",
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("positions", sa.Text(), server_default="", nullable=False),
        sa.Column("lead", sa.Integer(), nullable=True),
        sa.Column("edited_by", sa.String(length=320), nullable=False),
        sa.Column("edited_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_edition_orders_edition_id_editions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("edition_id", name=op.f("pk_edition_orders")),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("edition_orders")
