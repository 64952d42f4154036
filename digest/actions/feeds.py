"""Registered feeds, as editors manage them: add, remove, poll now, import and export
OPML feed lists (``feed.add``, ``feed.remove``, ``feed.poll``, ``feed.import``,
``feed.export``, whichever door).

The checks (canonical URL, the fetch guard) and the polling are :mod:`digest.ingest`'s.
"""

from __future__ import annotations

from digest.actions.core import Actor, Operations, declare
from digest.admins import Role
from digest.ingest import PollReport, poll_feeds, register_feed
from digest.ingest.feedlist import FeedListReport, export_feed_list, import_feed_list
from digest.ingest.items import ItemError, canonical_url
from digest.models import Feed
from digest.store import feeds as db

ADD = declare("feed.add", Role.EDITOR, "register a feed to poll (again: update its options)")
REMOVE = declare("feed.remove", Role.EDITOR, "stop polling a feed (its articles stay)")
POLL = declare("feed.poll", Role.EDITOR, "poll every feed now")
IMPORT_LIST = declare("feed.import", Role.EDITOR, "register every feed of an OPML file")
EXPORT_LIST = declare("feed.export", Role.VIEWER, "download the registered feeds as OPML")

__all__ = [
    "ADD",
    "EXPORT_LIST",
    "IMPORT_LIST",
    "POLL",
    "REMOVE",
    "FeedListReport",
    "PollReport",
    "add",
    "export_list",
    "feeds",
    "import_list",
    "page_outcomes",
    "poll",
    "remove",
]


def feeds(ops: Operations, *, active_only: bool = True) -> list[Feed]:
    """The registered feeds in the order they were added, with their last poll."""
    return db.list_feeds(ops.store, active_only=active_only)


def page_outcomes(ops: Operations) -> dict[int, dict[str, int]]:
    """Per feed id, how many item pages had each outcome (``read``, ``robots``...)."""
    return db.page_outcomes(ops.store)


def add(
    ops: Operations,
    actor: Actor,
    url: str,
    *,
    category: str | None = None,
    language: str | None = None,
    full_text: str | None = None,
) -> tuple[Feed, bool]:
    """Register ``url`` (or update its options); (the feed, whether it is new).
    ``full_text``: auto, always or never (None keeps the feed's, auto for a new one)."""
    with ops.act(actor, ADD) as act:
        feed, created = register_feed(
            act.store, ops.settings, url, now=act.now, category=category or None, language=language or None,
            full_text=full_text or None,
        )  # fmt: skip
        act.target = feed.url
        act.details(created=created, category=feed.category, language=feed.language, full_text=feed.full_text)
        return feed, created


def remove(ops: Operations, actor: Actor, url: str) -> str:
    """Stop polling the feed at ``url`` (in any spelling of it); the URL removed.
    NotFoundError when no feed has it."""
    try:
        url = canonical_url(url)
    except ItemError:
        url = url.strip()  # not a URL we would have registered: let the lookup say so
    with ops.act(actor, REMOVE, target=url) as act:
        db.remove_feed(act.store, url)
        return url


def poll(ops: Operations, actor: Actor) -> PollReport:
    """Fetch every registered feed now; the report (a failing feed does not stop the others).

    The fetches run outside the audit's transaction (they take seconds, and each
    feed's result is stored as it comes); the audit row follows with the counts.
    """
    ops.allow(actor, POLL)
    report = poll_feeds(ops.store, ops.settings, now=ops.clock())
    with ops.act(actor, POLL) as act:
        act.details(feeds=len(report.feeds), failed=len(report.errors), added=report.totals.added)
        return report


def import_list(ops: Operations, actor: Actor, content: bytes, name: str) -> FeedListReport:
    """Register every feed of the OPML document ``content`` (its folder as category);
    one report line per outline. SourceError (nothing written) when it is not OPML."""
    with ops.act(actor, IMPORT_LIST, target=name[:200]) as act:
        report = import_feed_list(act.store, ops.settings, content, name, now=act.now)
        act.details(added=report.added, updated=report.updated, rejected=report.rejected)
        return report


def export_list(ops: Operations, actor: Actor) -> bytes:
    """The registered feeds as an OPML 2.0 document (audited: who took the list)."""
    with ops.act(actor, EXPORT_LIST) as act:
        return export_feed_list(act.store, ops.settings, now=act.now)
