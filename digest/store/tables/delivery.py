"""Tables of sending: one delivery row per (edition, subscriber), its attempts, bounce
reports read, and the scheduler's recorded decisions."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, text

from digest.store.tables.base import MaskedText, UTCDateTime, metadata

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("edition_id", Integer, ForeignKey("editions.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(20), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(200)),
    Column("lease_until", UTCDateTime()),
    Column("last_code", Integer),
    Column("last_error", MaskedText, nullable=False, server_default=""),
    Column("message_id", String(500), nullable=False, server_default=""),
    Column("sent_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Whose fault the last refusal was (reader, temporary, ours; "" when none).
    Column("fault", String(10), nullable=False, server_default=""),
    UniqueConstraint("edition_id", "subscriber_id", name="uq_deliveries_edition_subscriber"),
    # Claims read due rows in (due_at, id) order and stop after a batch: the index
    # serves that order, so a claim costs the same on a 10k and a 1M row table.
    Index("ix_deliveries_state_due_at", "state", "due_at", "id"),
    # The same for one edition's rows (an operator's `digest send --date`), and status
    # counts grouping an edition's rows by state.
    Index("ix_deliveries_edition_state", "edition_id", "state", "due_at", "id"),
    # An edition's rows of one state, most recently changed first (status, console).
    Index("ix_deliveries_edition_state_updated", "edition_id", "state", "updated_at", "id"),
    # The latest failures over every edition (the console): the failed rows only.
    Index(
        "ix_deliveries_failed_updated",
        "updated_at",
        "id",
        postgresql_where=text("state = 'failed'"),
        sqlite_where=text("state = 'failed'"),
    ),
)


# Rows per (edition, state), kept by triggers on PostgreSQL (migration 0014): summed over
# the shards, they answer `digest status` without counting a million rows.
delivery_counts = Table(
    "delivery_counts",
    metadata,
    Column("edition_id", Integer, primary_key=True),
    Column("state", String(20), primary_key=True),
    Column("shard", Integer, primary_key=True),
    Column("n", BigInteger, nullable=False),
)


delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("code", Integer),
    Column("message", MaskedText, nullable=False, server_default=""),
    Column("outcome", String(20), nullable=False),  # sent, retry, failed, in_flight
    Column("sender", String(200), nullable=False, server_default=""),
    # Only the rare rows resent after a crash (status counts them among millions).
    Index(
        "ix_delivery_attempts_in_flight",
        "delivery_id",
        postgresql_where=text("outcome = 'in_flight'"),
        sqlite_where=text("outcome = 'in_flight'"),
    ),
)


# Bounce and complaint reports (RFC 3464 DSNs, ARF) already read, one row per
# (report, recipient) so importing the same mailbox twice counts nothing twice. Like
# suppressions, only a hash of the address is kept.
bounces = Table(
    "bounces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", String(64), nullable=False),  # sha256 of the report's Message-ID (or bytes)
    Column("email_hash", String(64), nullable=False, index=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="SET NULL")),
    Column("kind", String(10), nullable=False),  # hard, soft, complaint
    Column("status", String(20), nullable=False, server_default=""),  # RFC 3463, e.g. 5.1.1
    Column("action", String(20), nullable=False, server_default=""),  # failed, delayed, ...
    Column("diagnostic", MaskedText, nullable=False, server_default=""),  # the address itself masked
    Column("received_at", UTCDateTime(), nullable=False),
    UniqueConstraint("report_id", "email_hash", name="uq_bounces_report_email"),
)


# What the scheduler decided for each (job, date): sent, skipped and why. One row per
# decision so several machines agree and an operator can read what happened.
schedule_runs = Table(
    "schedule_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job", String(50), nullable=False),
    Column("run_date", Date, nullable=False),
    Column("language", String(10), nullable=False, server_default=""),
    Column("outcome", String(20), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("at", UTCDateTime(), nullable=False),
    UniqueConstraint("job", "run_date", "language", name="uq_schedule_runs_job_date_language"),
)
