"""subscriber imports run in the background by the console: the import_jobs table

Revision ID: 0012_import_jobs
Revises: 0011_api_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import digest.store.tables

revision = "0012_import_jobs"
down_revision = "0011_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("door", sa.String(length=10), nullable=False),
        sa.Column("confirmed", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("rows_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("added", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("report", sa.Text(), server_default="{}", nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", digest.store.tables.UTCDateTime(), nullable=False),
        sa.Column("finished_at", digest.store.tables.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_import_jobs_created_at"), "import_jobs", ["created_at"], unique=False)


def downgrade() -> None:
    """Undo this migration."""
    op.drop_index(op.f("ix_import_jobs_created_at"), table_name="import_jobs")
    op.drop_table("import_jobs")
