"""the edition report reads its counts from one index: (edition_id, kind, machine,
position, client) replaces (edition_id, kind, position)

Revision ID: 0015_tracking_speed
Revises: 0014_delivery_scale
"""

from __future__ import annotations

from alembic import op

revision = "0015_tracking_speed"
down_revision = "0014_delivery_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    # The report groups one edition's events by kind, machine flag, position and
    # client: with every column in the index, PostgreSQL answers from the index alone,
    # already in group order (no table read, no sort, no hash).
    op.create_index(
        "ix_tracking_events_report",
        "tracking_events",
        ["edition_id", "kind", "machine", "position", "client"],
    )
    op.drop_index("ix_tracking_events_edition_kind", table_name="tracking_events")


def downgrade() -> None:
    """Revert this migration."""
    op.create_index("ix_tracking_events_edition_kind", "tracking_events", ["edition_id", "kind", "position"])
    op.drop_index("ix_tracking_events_report", table_name="tracking_events")
