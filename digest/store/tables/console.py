"""Tables of the admin console: accounts, sessions and failed sign-ins, the audit log,
and the editor's desk (story edits, approvals, the story order and pinned lead)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from digest.store.tables.base import UTCDateTime, metadata

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


# The editor's decisions on stories (merge two, split one, the "Et enfin" slot), keyed
# by article URLs so a rebuild re-applies them; applied in ``id`` order.
edition_story_decisions = Table(
    "edition_story_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("edition_id", Integer, ForeignKey("editions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("what", String(16), nullable=False),  # digest.models.StoryChange
    Column("url", Text, nullable=False),
    Column("other", Text, nullable=False, server_default=""),
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


# Per-admin API keys (issue 25): named, with a role no higher than their admin's. Only
# the SHA-256 of the secret is kept (the secret is 256 random bits, so a fast hash is as
# safe as a slow one, and checking a key on every API request stays cheap); ``hint`` is
# the secret's first characters, to tell keys apart. A revoked key keeps its row (and
# its history) with ``revoked_at`` set; removing the admin deletes their keys.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("admin_id", Integer, ForeignKey("admins.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("role", String(10), nullable=False),  # owner, editor, viewer: at most the admin's
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("hint", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)


# A subscriber import the console runs in the background (files over [web]
# import_background_rows rows): its progress while it runs, its report once done.
import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file_name", String(200), nullable=False),
    Column("actor", String(320), nullable=False),  # who started it (the audit row's actor)
    Column("role", String(10), nullable=False),  # the role they acted with
    Column("door", String(10), nullable=False),
    Column("confirmed", Boolean, nullable=False, server_default="0"),
    Column("state", String(10), nullable=False),  # queued, running, done, failed
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("rows_done", Integer, nullable=False, server_default="0"),
    Column("added", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("report", Text, nullable=False, server_default="{}"),  # JSON: rejected rows and warnings by line
    Column("error", Text, nullable=False, server_default=""),  # why a failed job stopped
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("heartbeat_at", UTCDateTime(), nullable=False),  # the worker's last sign of life
    Column("finished_at", UTCDateTime()),
)
