"""tracking: click and open events, their daily roll-ups, per-person tracking consent

Revision ID: 0010_tracking
Revises: 0009_full_text
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import digest.store.tables

revision = "0010_tracking"
down_revision = "0009_full_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=16), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=5), nullable=False),
        sa.Column("machine", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("reason", sa.String(length=10), server_default="", nullable=False),
        sa.Column("client", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["edition_id"], ["editions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tracking_events_edition_kind", "tracking_events", ["edition_id", "kind", "position"])
    op.create_index("ix_tracking_events_at", "tracking_events", ["at"])
    op.create_index("ix_tracking_events_subscriber_id", "tracking_events", ["subscriber_id"])
    op.create_index("ix_tracking_events_client_at", "tracking_events", ["client", "at"])
    op.create_table(
        "tracking_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=16), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=5), nullable=False),
        sa.Column("machine", sa.Boolean(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("readers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["edition_id"], ["editions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "day", "edition_id", "position", "variant", "kind", "machine", name="uq_tracking_daily_key"
        ),
    )
    op.create_index("ix_tracking_daily_edition_id", "tracking_daily", ["edition_id"])
    op.create_table(
        "tracking_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("consent_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.Column("consent_source", sa.String(length=20), server_default="", nullable=False),
        sa.Column("consent_ip", sa.String(length=64), server_default="", nullable=False),
        sa.Column("consent_user_agent", sa.String(length=500), server_default="", nullable=False),
        sa.Column("consent_text_version", sa.String(length=50), server_default="", nullable=False),
        sa.Column("revoked_at", digest.store.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_tracking_consents_subscriber_id"), "tracking_consents", ["subscriber_id"])


def downgrade() -> None:
    """Undo this migration."""
    op.drop_index(op.f("ix_tracking_consents_subscriber_id"), table_name="tracking_consents")
    op.drop_table("tracking_consents")
    op.drop_index("ix_tracking_daily_edition_id", table_name="tracking_daily")
    op.drop_table("tracking_daily")
    op.drop_index("ix_tracking_events_client_at", table_name="tracking_events")
    op.drop_index("ix_tracking_events_subscriber_id", table_name="tracking_events")
    op.drop_index("ix_tracking_events_at", table_name="tracking_events")
    op.drop_index("ix_tracking_events_edition_kind", table_name="tracking_events")
    op.drop_table("tracking_events")
