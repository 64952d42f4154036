"""fault accounting: whose fault a delivery's last refusal was, and when a subscriber's
run of soft bounces began

Revision ID: 0008_faults
Revises: 0007_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import digest.store.tables

revision = "0008_faults"
down_revision = "0007_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("fault", sa.String(length=10), server_default="", nullable=False))
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("soft_bounce_since", digest.store.tables.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("soft_bounce_since")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("fault")
