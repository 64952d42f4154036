"""per-admin API keys: named, role-scoped, only the secret's SHA-256 kept

Revision ID: 0011_api_keys
Revises: 0010_tracking
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import digest.store.tables

revision = "0011_api_keys"
down_revision = "0010_tracking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", digest.store.tables.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", digest.store.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name=op.f("fk_api_keys_admin_id_admins"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    op.create_index(op.f("ix_api_keys_admin_id"), "api_keys", ["admin_id"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index(op.f("ix_api_keys_admin_id"), table_name="api_keys")
    op.drop_table("api_keys")
