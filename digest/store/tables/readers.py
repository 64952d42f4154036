"""Tables of the people who read: subscribers (their profile and consent), the
suppression list, subscription requests kept apart, confirmation mails and overrides."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from digest.store.tables.base import MaskedText, UTCDateTime, metadata


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
    Column("detail", MaskedText, nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
)


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
    Column("detail", MaskedText, nullable=False, server_default=""),
    Column("at", UTCDateTime(), nullable=False),
)

# The console's subscriber list sorts and filters on these (100,000 rows, < 300 ms).
Index("ix_subscribers_created_at", subscribers.c.created_at)
Index("ix_subscribers_language_status", subscribers.c.language, subscribers.c.status)
Index("ix_subscribers_name", subscribers.c.name)
