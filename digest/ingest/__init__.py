"""Articles in: RSS/Atom feeds, JSON Lines files and article pages -> the store.

* :func:`import_sources` imports files and URLs (``digest articles import``);
* :func:`poll_feeds` polls the registered feeds (``digest feeds poll``, the scheduler);
* :func:`register_feed` checks and registers a feed URL (``digest feeds add``).

Every fetch goes through :class:`~digest.ingest.fetch.Fetcher` (address guard,
timeouts, size cap, User-Agent); every item through
:func:`~digest.ingest.items.to_article` (canonical URL, clean paragraphs, nh3,
language, reading time).
"""

from __future__ import annotations

import logging

from digest.ingest.importer import ImportReport, import_sources
from digest.ingest.poll import FeedPoll, PollReport, poll_feeds, register_feed

# Library convention: without logging configured (plain CLI runs, where the report is
# printed instead), records are dropped rather than dumped by logging's last resort.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["FeedPoll", "ImportReport", "PollReport", "import_sources", "poll_feeds", "register_feed"]
