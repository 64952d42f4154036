"""trust at the edges: subscription requests kept apart, confirmation mail log, recorded
suppression overrides

Revision ID: 0003_trust
Revises: edition_item_source
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import digest.store.tables

revision = "0003_trust"
down_revision = "edition_item_source"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "subscription_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("topics", sa.Text(), server_default="", nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="", nullable=False),
        sa.Column("send_at", sa.String(length=5), server_default="", nullable=False),
        sa.Column("consent_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.Column("consent_source", sa.String(length=20), server_default="", nullable=False),
        sa.Column("consent_ip", sa.String(length=64), server_default="", nullable=False),
        sa.Column("consent_user_agent", sa.String(length=500), server_default="", nullable=False),
        sa.Column("consent_text_version", sa.String(length=50), server_default="", nullable=False),
        sa.Column("created_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.Column("applied_at", digest.store.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_subscription_requests_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_requests")),
    )
    op.create_index(
        op.f("ix_subscription_requests_subscriber_id"), "subscription_requests", ["subscriber_id"], unique=False
    )
    op.create_table(
        "confirmation_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation_mails")),
    )
    op.create_index(op.f("ix_confirmation_mails_email_hash"), "confirmation_mails", ["email_hash"], unique=False)
    op.create_index(op.f("ix_confirmation_mails_sent_at"), "confirmation_mails", ["sent_at"], unique=False)
    op.create_table(
        "suppression_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppression_overrides")),
    )
    op.create_index(op.f("ix_suppression_overrides_email_hash"), "suppression_overrides", ["email_hash"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index(op.f("ix_suppression_overrides_email_hash"), table_name="suppression_overrides")
    op.drop_table("suppression_overrides")
    op.drop_index(op.f("ix_confirmation_mails_sent_at"), table_name="confirmation_mails")
    op.drop_index(op.f("ix_confirmation_mails_email_hash"), table_name="confirmation_mails")
    op.drop_table("confirmation_mails")
    op.drop_index(op.f("ix_subscription_requests_subscriber_id"), table_name="subscription_requests")
    op.drop_table("subscription_requests")
