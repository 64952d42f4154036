"""admin console: admins, audit log, edition edits and reviews, sign-in failures

Revision ID: 0002_admin_console
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import digest.store.tables

revision = "0002_admin_console"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    utc = digest.store.tables.UTCDateTime
    op.create_table(
        "admins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admins")),
        sa.UniqueConstraint("email", name=op.f("uq_admins_email")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", utc(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("target", sa.String(length=200), server_default="", nullable=False),
        sa.Column("details", sa.Text(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_table(
        "edition_item_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("dropped", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("edited_by", sa.String(length=320), nullable=False),
        sa.Column("edited_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_edition_item_edits_edition_id_editions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edition_item_edits")),
        sa.UniqueConstraint("edition_id", "position", name="uq_edition_item_edits_edition_position"),
    )
    op.create_table(
        "edition_reviews",
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(length=320), nullable=False),
        sa.Column("approved_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_edition_reviews_edition_id_editions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("edition_id", name=op.f("pk_edition_reviews")),
    )
    op.create_table(
        "admin_sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sign_in_failures")),
    )
    op.create_index("ix_admin_sign_in_failures_key_at", "admin_sign_in_failures", ["key", "at"], unique=False)
    op.create_index("ix_subscribers_created_at", "subscribers", ["created_at"], unique=False)
    op.create_index("ix_subscribers_language_status", "subscribers", ["language", "status"], unique=False)
    op.create_index("ix_subscribers_name", "subscribers", ["name"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_subscribers_name", table_name="subscribers")
    op.drop_index("ix_subscribers_language_status", table_name="subscribers")
    op.drop_index("ix_subscribers_created_at", table_name="subscribers")
    op.drop_index("ix_admin_sign_in_failures_key_at", table_name="admin_sign_in_failures")
    op.drop_table("admin_sign_in_failures")
    op.drop_table("edition_reviews")
    op.drop_table("edition_item_edits")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("admins")
