"""The console's dashboard in numbers: today's editions, the schedule's last runs and
backlog, the feeds' health and the list's movements (one read for GET /admin)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from digest.config import Settings
from digest.daily.desk import edition_lines
from digest.store import Store, listings, schedule_runs
from digest.store.feeds import list_feeds
from digest.timing import edition_date_for


def overview(settings: Settings, store: Store, now: datetime) -> dict[str, Any]:
    """What the dashboard shows, by template name."""
    day = edition_date_for(now, settings.schedule.timezone)
    feeds = list_feeds(store, active_only=False)
    polled = [f.last_polled_at for f in feeds if f.last_polled_at is not None]
    confirmations, unsubscribes = listings.subscriber_activity(store, since=now - timedelta(days=7))
    return {
        "day": day,
        "lines": edition_lines(settings, store, day, now),
        "runs": schedule_runs.recent_runs(store, limit=5),
        "backlog": schedule_runs.backlog(store, now=now),
        "feeds": len(feeds),
        "feed_errors": sum(1 for f in feeds if f.last_error),
        "last_poll": max(polled) if polled else None,
        "statuses": listings.status_counts(store),
        "confirmations": confirmations,
        "unsubscribes": unsubscribes,
    }
