"""delivery at scale: status and console reads that stay O(page) on a million rows

Revision ID: 0014_delivery_scale
Revises: 0013_desk_stories
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_delivery_scale"
down_revision = "0013_desk_stories"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    # `digest status` and the console list an edition's rows of one state, most recently
    # changed first, 100 at a time: with this index that reads 100 entries, not the
    # million pending rows of an edition that just started.
    # (updated_at, id) read backwards: the listing's own order, ties included (a fan-out
    # gives a million rows the same updated_at).
    op.create_index(
        "ix_deliveries_edition_state_updated", "deliveries", ["edition_id", "state", "updated_at", "id"], unique=False
    )
    # Rows resent after a crash are rare among millions of attempts: a partial index
    # holds just them (PostgreSQL and SQLite both have partial indexes).
    op.create_index(
        "ix_delivery_attempts_in_flight",
        "delivery_attempts",
        ["delivery_id"],
        unique=False,
        postgresql_where=sa.text("outcome = 'in_flight'"),
        sqlite_where=sa.text("outcome = 'in_flight'"),
    )

    # Counts per (edition, state) for `digest status` and the console's live counts: on
    # PostgreSQL kept by statement-level triggers (one aggregated upsert per statement,
    # from its transition tables), spread over 16 shards by backend so that senders
    # writing at once do not queue on one counter row; reads sum the shards. SQLite
    # (one writer, smaller lists) keeps counting the rows themselves.
    op.create_table(
        "delivery_counts",
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("edition_id", "state", "shard", name=op.f("pk_delivery_counts")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in COUNTERS:
            op.execute(statement)
        op.execute(
            "INSERT INTO delivery_counts (edition_id, state, shard, n) "
            "SELECT edition_id, state, 0, count(*) FROM deliveries GROUP BY edition_id, state"
        )


def _upsert(rows: str) -> str:
    # Rows (edition_id, state, d), summed and applied in key order (a fixed lock order).
    return (
        "INSERT INTO delivery_counts (edition_id, state, shard, n) "
        f"SELECT edition_id, state, mod(pg_backend_pid(), 16), sum(d) FROM ({rows}) AS changes "
        "GROUP BY edition_id, state HAVING sum(d) <> 0 ORDER BY edition_id, state "
        "ON CONFLICT (edition_id, state, shard) DO UPDATE SET n = delivery_counts.n + EXCLUDED.n;"
    )


_MOVED = "FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE o.state <> w.state OR o.edition_id <> w.edition_id"
COUNTERS = [
    f"""CREATE FUNCTION delivery_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_upsert("SELECT edition_id, state, 1 AS d FROM new_rows")}
  ELSIF TG_OP = 'DELETE' THEN
    {_upsert("SELECT edition_id, state, -1 AS d FROM old_rows")}
  ELSE
    {_upsert(f"SELECT o.edition_id, o.state, -1 AS d {_MOVED} UNION ALL SELECT w.edition_id, w.state, 1 {_MOVED}")}
  END IF;
  RETURN NULL;
END $$""",
    """CREATE FUNCTION delivery_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM delivery_counts;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER deliveries_counted_insert AFTER INSERT ON deliveries REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION delivery_counts_change()",
    "CREATE TRIGGER deliveries_counted_update AFTER UPDATE ON deliveries "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION delivery_counts_change()",
    "CREATE TRIGGER deliveries_counted_delete AFTER DELETE ON deliveries REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION delivery_counts_change()",
    "CREATE TRIGGER deliveries_counted_truncate AFTER TRUNCATE ON deliveries "
    "FOR EACH STATEMENT EXECUTE FUNCTION delivery_counts_clear()",
]


def downgrade() -> None:
    """Revert this migration."""
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER deliveries_counted_{name} ON deliveries")
        op.execute("DROP FUNCTION delivery_counts_change()")
        op.execute("DROP FUNCTION delivery_counts_clear()")
    op.drop_table("delivery_counts")
    op.drop_index("ix_delivery_attempts_in_flight", table_name="delivery_attempts")
    op.drop_index("ix_deliveries_edition_state_updated", table_name="deliveries")
