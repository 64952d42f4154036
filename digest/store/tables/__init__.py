"""The schema: SQLAlchemy Core tables, one module per concept (content, readers,
delivery, console) on one shared metadata (base). Alembic migrations in ``migrations/``
create and upgrade it; the two must agree (tests/test_store.py checks there is no drift).

Code reads the tables as ``from digest.store import tables as t``; ``t.subscribers``.
"""

from digest.store.tables.base import NAMING, UTCDateTime, metadata, model_from_row
from digest.store.tables.console import (
    admin_sessions,
    admin_sign_in_failures,
    admins,
    api_keys,
    audit_log,
    edition_item_edits,
    edition_orders,
    edition_reviews,
    edition_story_decisions,
    import_jobs,
)
from digest.store.tables.content import articles, edition_items, editions, feeds, page_fetches, rewrites
from digest.store.tables.delivery import bounces, deliveries, delivery_attempts, delivery_counts, schedule_runs
from digest.store.tables.readers import (
    confirmation_mails,
    subscribers,
    subscription_requests,
    suppression_overrides,
    suppressions,
)
from digest.store.tables.tracking import OPEN_POSITION, tracking_consents, tracking_daily, tracking_events

__all__ = [
    "NAMING",
    "OPEN_POSITION",
    "UTCDateTime",
    "admin_sessions",
    "admin_sign_in_failures",
    "admins",
    "api_keys",
    "articles",
    "audit_log",
    "bounces",
    "confirmation_mails",
    "deliveries",
    "delivery_attempts",
    "delivery_counts",
    "edition_item_edits",
    "edition_items",
    "edition_orders",
    "edition_reviews",
    "edition_story_decisions",
    "editions",
    "feeds",
    "import_jobs",
    "metadata",
    "model_from_row",
    "page_fetches",
    "rewrites",
    "schedule_runs",
    "subscribers",
    "subscription_requests",
    "suppression_overrides",
    "suppressions",
    "tracking_consents",
    "tracking_daily",
    "tracking_events",
]
