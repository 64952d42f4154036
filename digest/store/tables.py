"""The schema: SQLAlchemy Core tables. Alembic migrations in ``migrations/`` create
and upgrade it; the two must agree (tests/test_store.py checks there is no drift).

Every timestamp is stored as UTC (naive on SQLite, see :class:`UTCDateTime`).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    M = TypeVar("M", bound=DataclassInstance)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no timezone type, so values are normalised to naive UTC on the way in
    and tagged UTC on the way out; naive input is refused to catch clock bugs early.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),
    Column("title", String(500), nullable=False, server_default=""),
    Column("category", String(100), nullable=False, server_default=""),
    Column("language", String(10), nullable=False, server_default=""),
    Column("etag", String(500), nullable=False, server_default=""),
    Column("last_modified", String(100), nullable=False, server_default=""),
    Column("last_polled_at", UTCDateTime()),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("full_text", String(10), nullable=False, server_default="auto"),  # auto, always, never
)

# Article pages read for excerpt-only feed items: the cache that keeps a page from being
# fetched twice for the same item, and the outcome counted per feed.
page_fetches = Table(
    "page_fetches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),  # the item's canonical URL
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), index=True),
    Column("outcome", String(20), nullable=False),  # read, robots, timeout, http_error, paywall, error
    Column("reason", Text, nullable=False, server_default=""),
    Column("body", Text, nullable=False, server_default=""),  # the page's article text when read
    Column("etag", String(500), nullable=False, server_default=""),
    Column("last_modified", String(100), nullable=False, server_default=""),
    Column("fetched_at", UTCDateTime(), nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),  # canonical URL
    Column("guid", String(2048), nullable=False, server_default="", index=True),
    Column("title", String(1000), nullable=False),
    Column("body", Text, nullable=False),
    Column("body_html", Text, nullable=False, server_default=""),  # sanitised with nh3
    Column("summary", Text, nullable=False, server_default=""),
    Column("author", String(500), nullable=False, server_default=""),
    Column("category", String(100), nullable=False, server_default=""),
    Column("language", String(10), nullable=False),
    Column("source", String(500), nullable=False, server_default=""),
    Column("published_at", UTCDateTime(), nullable=False, index=True),
    Column("word_count", Integer, nullable=False, server_default="0"),
    Column("reading_minutes", Integer, nullable=False, server_default="0"),
    Column("content_hash", String(64), nullable=False, server_default=""),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)


def _profile_columns() -> list[Column[Any]]:
    """The person-chosen fields, as subscribers and their requests kept apart both store them."""
    return [
        Column("name", String(200), nullable=False, server_default=""),
        Column("language", String(10), nullable=False),
        Column("topics", Text, nullable=False, server_default=""),  # ";"-joined categories
        Column("timezone", String(64), nullable=False, server_default=""),
        Column("send_at", String(5), nullable=False, server_default=""),  # "HH:MM" or ""
    ]


def _consent_columns(*, recorded: bool) -> list[Column[Any]]:
    """The consent record; ``recorded``: every row has one (``consent_at`` NOT NULL)."""
    return [
        Column("consent_at", UTCDateTime(), nullable=not recorded),
        Column("consent_source", String(20), nullable=False, server_default=""),
        Column("consent_ip", String(64), nullable=False, server_default=""),
        Column("consent_user_agent", String(500), nullable=False, server_default=""),
        Column("consent_text_version", String(50), nullable=False, server_default=""),
    ]


subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # normalised address
    *_profile_columns(),
    Column("status", String(20), nullable=False, index=True),
    *_consent_columns(recorded=False),
    Column("soft_bounces", Integer, nullable=False, server_default="0"),  # since the last delivery
    Column("created_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime()),
    Column("unsubscribed_at", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("soft_bounce_since", UTCDateTime()),  # the first soft bounce since the last delivery
)

# Suppressions hold only a hash of the normalised address, so an erased ("forgotten")
# subscriber stays suppressed without keeping their address.
suppressions = Table(
    "suppressions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email_hash", String(64), nullable=False, unique=True),
    # unsubscribed, hard_bounce, soft_bounce, complaint, forgotten, manual
    Column("reason", String(20), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
)

editions = Table(
    "editions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("newsletter", String(200), nullable=False),
    Column("edition_date", Date, nullable=False),
    Column("language", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("word_count", Integer, nullable=False, server_default="0"),
    Column("reading_minutes", Integer, nullable=False, server_default="0"),
    Column("skip_reason", Text, nullable=False, server_default=""),
    Column("built_at", UTCDateTime(), nullable=False),
    Column("fanned_out_at", UTCDateTime()),
    UniqueConstraint("newsletter", "edition_date", "language", name="uq_editions_newsletter_date_language"),
)

edition_items = Table(
    "edition_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("edition_id", Integer, ForeignKey("editions.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("category", String(100), nullable=False, server_default=""),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("url", String(2048), nullable=False),
    Column("title", String(1000), nullable=False),
    Column("summary", Text, nullable=False, server_default=""),
    Column("reading_minutes", Integer, nullable=False, server_default="0"),
    Column("also_read", Text, nullable=False, server_default="[]"),  # JSON list of {title,url,source}
    Column("source", String(500), nullable=False, server_default=""),  # the publisher's name; "" shows the host
    UniqueConstraint("edition_id", "position", name="uq_edition_items_edition_position"),
)

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
    Column("last_error", Text, nullable=False, server_default=""),
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
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("code", Integer),
    Column("message", Text, nullable=False, server_default=""),
    Column("outcome", String(20), nullable=False),  # sent, retry, failed, in_flight
    Column("sender", String(200), nullable=False, server_default=""),
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
    Column("diagnostic", Text, nullable=False, server_default=""),  # the address itself masked
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

# The admin console (issue 13) -------------------------------------------------------

# People who sign in to /admin. Only an argon2 hash of the password is kept.
admins = Table(
    "admins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("role", String(10), nullable=False),  # owner, editor, viewer
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Who changed what: console, API and admin CLI commands alike.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor", String(320), nullable=False),  # admin address, "api", or "cli:<os user>"
    Column("action", String(50), nullable=False),
    Column("target", String(200), nullable=False, server_default=""),
    Column("details", Text, nullable=False, server_default="{}"),  # JSON object
)

# An editor's change to one story of an edition, kept beside the original item: the
# original stays in edition_items, and every read of the edition applies this on top.
edition_item_edits = Table(
    "edition_item_edits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("edition_id", Integer, ForeignKey("editions.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("headline", Text),  # None: the original title
    Column("summary", Text),  # None: the original summary
    Column("dropped", Boolean, nullable=False, server_default="0"),
    Column("edited_by", String(320), nullable=False),
    Column("edited_at", UTCDateTime(), nullable=False),
    UniqueConstraint("edition_id", "position", name="uq_edition_item_edits_edition_position"),
)

# An edition's approval on the editor's desk ([schedule] review = "approve").
edition_reviews = Table(
    "edition_reviews",
    metadata,
    Column("edition_id", Integer, ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True),
    Column("approved_by", String(320), nullable=False),
    Column("approved_at", UTCDateTime(), nullable=False),
)

# The editor's order of an edition's stories and the story pinned as its lead.
edition_orders = Table(
    "edition_orders",
    metadata,
    Column("edition_id", Integer, ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True),
    Column("positions", Text, nullable=False, server_default=""),  # JSON list, reading order; "": as built
    Column("lead", Integer),  # the pinned story's position; None: the build's lead
    Column("edited_by", String(320), nullable=False),
    Column("edited_at", UTCDateTime(), nullable=False),
)

# Failed console sign-ins, one row each, so the limit holds across processes.
admin_sign_in_failures = Table(
    "admin_sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False),  # "pair:<hash>:<address>", "ip:<address>" or "email:<hash>"
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_admin_sign_in_failures_key_at", "key", "at"),
)

# Signed-in console sessions (issue 25): the cookie carries a random token, the table
# only its SHA-256, so a copy of the database opens no session. Deleting a row ends the
# session at once (sign-out, password or role change, removal).
admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("admin_id", Integer, ForeignKey("admins.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("client_ip", String(64), nullable=False, server_default=""),
    Column("user_agent", String(500), nullable=False, server_default=""),
)

# The console's subscriber list sorts and filters on these (100,000 rows, < 300 ms).
Index("ix_subscribers_created_at", subscribers.c.created_at)
Index("ix_subscribers_language_status", subscribers.c.language, subscribers.c.status)
Index("ix_subscribers_name", subscribers.c.name)
# A subscription asked for through the anonymous web form for an address already on the
# list: kept apart, so that nobody can rewrite a subscriber's profile or consent record
# by typing their address. Applied only when the person confirms through the emailed link.
subscription_requests = Table(
    "subscription_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False, index=True),
    *_profile_columns(),
    *_consent_columns(recorded=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("applied_at", UTCDateTime()),
)

# Each confirmation mail an anonymous visitor caused, so that the limits per address and
# per hour hold across processes and restarts. Only a hash of the address is kept.
confirmation_mails = Table(
    "confirmation_mails",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email_hash", String(64), nullable=False, index=True),
    Column("sent_at", UTCDateTime(), nullable=False, index=True),
)

# Each time an admin put a suppressed address back on the list: who, when, and what
# suppression was lifted.
suppression_overrides = Table(
    "suppression_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email_hash", String(64), nullable=False, index=True),
    Column("reason", String(20), nullable=False),  # the suppression lifted
    Column("source", String(20), nullable=False),  # cli, api
    Column("detail", Text, nullable=False, server_default=""),
    Column("at", UTCDateTime(), nullable=False),
)


# What the operator's language model wrote for a story, once per (article content
# hash, style, language, model, prompt version): a rebuild, a second language or a
# restart reads it here instead of calling the model again. Rejected answers are kept
# too (the same input gets the same answer) with the guard's reason, for the desk.
rewrites = Table(
    "rewrites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("style", String(40), nullable=False),
    Column("language", String(10), nullable=False),
    Column("model", String(200), nullable=False),
    Column("prompt_version", String(50), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL"), index=True),
    Column("source", Text, nullable=False),  # the headline and the sentences given, one per line
    Column("answer", Text, nullable=False),  # the model's text as it came
    Column("truncated", Boolean, nullable=False),  # the server stopped at its length limit
    Column("accepted", Boolean, nullable=False),  # the guard's verdict when it was written
    Column("reason", String(20), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("milliseconds", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("content_hash", "style", "language", "model", "prompt_version"),
)


def model_from_row(model: type[M], row: Any, **converted: Any) -> M:
    """A ``model`` dataclass from a row whose columns bear the names of its fields;
    ``converted`` gives the fields that take more than a copy of their column."""
    copied = {f.name: getattr(row, f.name) for f in dataclasses.fields(model) if f.name not in converted}
    return model(**copied, **converted)
