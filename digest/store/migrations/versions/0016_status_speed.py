"""status speed: delivery counters linear in the rows an UPDATE touches; failures index

Revision ID: 0016_status_speed
Revises: 0015_tracking_speed
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_status_speed"
down_revision = "0015_tracking_speed"
branch_labels = None
depends_on = None


def _upsert(rows: str) -> str:
    # As 0014: rows (edition_id, state, d), summed, applied in key order (a fixed lock order).
    return (
        "INSERT INTO delivery_counts (edition_id, state, shard, n) "
        f"SELECT edition_id, state, mod(pg_backend_pid(), 16), sum(d) FROM ({rows}) AS changes "
        "GROUP BY edition_id, state HAVING sum(d) <> 0 ORDER BY edition_id, state "
        "ON CONFLICT (edition_id, state, shard) DO UPDATE SET n = delivery_counts.n + EXCLUDED.n;"
    )


def _function(update_rows: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION delivery_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_upsert("SELECT edition_id, state, 1 AS d FROM new_rows")}
  ELSIF TG_OP = 'DELETE' THEN
    {_upsert("SELECT edition_id, state, -1 AS d FROM old_rows")}
  ELSE
    {_upsert(update_rows)}
  END IF;
  RETURN NULL;
END $$"""


# 0014 joined the old and new rows of an UPDATE on id to keep the rows that moved. PL/pgSQL
# plans that join once per session and keeps the plan: a session whose first UPDATE
# touched one row (every sender's) keeps a nested loop, and its next UPDATE of a million
# rows (`digest send --now`, a retry of every failure) compares a million rows with a
# million: hours. Counting every old row -1 and every new row +1 needs no join: rows that
# did not move cancel out in the sum (and HAVING drops their zero), whatever the plan.
LINEAR = "SELECT edition_id, state, -1 AS d FROM old_rows UNION ALL SELECT edition_id, state, 1 FROM new_rows"
_MOVED = "FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE o.state <> w.state OR o.edition_id <> w.edition_id"
JOINED = f"SELECT o.edition_id, o.state, -1 AS d {_MOVED} UNION ALL SELECT w.edition_id, w.state, 1 {_MOVED}"


def upgrade() -> None:
    """Apply this migration."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(LINEAR))
    # The console's latest failures over every edition, newest first: the failed rows
    # only, in that order (ix_deliveries_state_due_at orders them by due time, so the
    # query read every failed row of every edition to sort them).
    op.create_index(
        "ix_deliveries_failed_updated",
        "deliveries",
        ["updated_at", "id"],
        unique=False,
        postgresql_where=sa.text("state = 'failed'"),
        sqlite_where=sa.text("state = 'failed'"),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_deliveries_failed_updated", table_name="deliveries")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(JOINED))
