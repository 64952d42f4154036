"""edition items keep the publisher's name

Revision ID: edition_item_source
Revises: 0002_admin_console
Create Date: 2026-11-30 20:45:00

Each story of an edition shows its publisher ("Quotidien Horizon"), taken from the
article's ``source`` when the edition is built; the host of the URL is shown only
when it is empty, as it is for rows stored before this column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "edition_item_source"
down_revision = "0002_admin_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add edition_items.source."""
    with op.batch_alter_table("edition_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=500), server_default="", nullable=False))


def downgrade() -> None:
    """Drop edition_items.source."""
    with op.batch_alter_table("edition_items", schema=None) as batch_op:
        batch_op.drop_column("source")
