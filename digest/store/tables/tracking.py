"""Tables of what readers do with an edition: click and open events, their daily
roll-ups, and each subscriber's consent to per-person tracking.

No event holds an address or an IP address: a click is an edition, a story position
and a variant; ``client`` is a keyed hash (64 bits of an HMAC of the IP address, user
agent and day, keyed with the app's secret) used only to tell bursts and unique clickers apart, and a
subscriber id is written only under ``[tracking] clicks = "per_subscriber"`` for a
reader who opted in.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from digest.store.tables.base import UTCDateTime, metadata

#: Position of an open event (an open names no story).
OPEN_POSITION = -1

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("edition_id", Integer, ForeignKey("editions.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # the story's position; -1 for an open
    Column("variant", String(16), nullable=False, server_default=""),  # "" = the full edition, else a topic-set key
    Column("kind", String(5), nullable=False),  # click, open
    Column("machine", Boolean, nullable=False, server_default="0"),
    Column("reason", String(10), nullable=False, server_default=""),  # early, head, scanner, proxy, burst
    Column("client", BigInteger, nullable=False, server_default="0"),  # keyed hash (64 bits), never an IP in clear
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE")),  # consented only
    Column("at", UTCDateTime(), nullable=False),
    # The report counts one edition's events by kind, machine flag, position and client
    # from this index alone (0015); the roll-up reads by time.
    Index("ix_tracking_events_report", "edition_id", "kind", "machine", "position", "client"),
    Index("ix_tracking_events_at", "at"),
    Index("ix_tracking_events_subscriber_id", "subscriber_id"),
    # A burst's earlier clicks are found by client and time.
    Index("ix_tracking_events_client_at", "client", "at"),
)


# Raw events older than [tracking] retention_days, counted per day: what the report
# reads for days whose raw events are gone. ``readers`` is the distinct clients (or
# consented subscribers) of that day, so unique readers over several days is a sum
# (an upper bound) once rolled up. Position -2 rows hold the day's distinct clicking
# readers of the whole edition (a reader of two stories is one reader).
tracking_daily = Table(
    "tracking_daily",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("edition_id", Integer, ForeignKey("editions.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("variant", String(16), nullable=False, server_default=""),
    Column("kind", String(5), nullable=False),
    Column("machine", Boolean, nullable=False),
    Column("events", Integer, nullable=False),
    Column("readers", Integer, nullable=False),
    UniqueConstraint("day", "edition_id", "position", "variant", "kind", "machine", name="uq_tracking_daily_key"),
    Index("ix_tracking_daily_edition_id", "edition_id"),
)


# Each time a reader agreed to per-person click tracking on their preferences page,
# recorded like the subscription consent (when, from where, which text); revoking it
# sets ``revoked_at``. The reader's consent is the row with no ``revoked_at``.
tracking_consents = Table(
    "tracking_consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("consent_at", UTCDateTime(), nullable=False),
    Column("consent_source", String(20), nullable=False, server_default=""),
    Column("consent_ip", String(64), nullable=False, server_default=""),
    Column("consent_user_agent", String(500), nullable=False, server_default=""),
    Column("consent_text_version", String(50), nullable=False, server_default=""),
    Column("revoked_at", UTCDateTime()),
)
