"""Feed lists people already have: import an OPML file (one report line per feed
outline), export the registered feeds as OPML 2.0."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from digest.config import Settings
from digest.errors import SourceError, ValidationError
from digest.ingest.opml import export_opml, parse_opml
from digest.ingest.poll import register_feed
from digest.store import Store
from digest.store.feeds import list_feeds


@dataclass
class FeedListReport:
    """What an OPML import did: one line per feed outline, and the counts."""

    lines: list[str] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    rejected: int = 0

    def summary(self) -> str:
        """``added 3, updated 1, rejected 0``."""
        return f"added {self.added}, updated {self.updated}, rejected {self.rejected}"


def import_feed_list(store: Store, settings: Settings, content: bytes, where: str, *, now: datetime) -> FeedListReport:
    """Register every feed of the OPML document in ``content`` (its folder as category).

    Raises SourceError when the file is not OPML; a bad outline is a rejected line,
    the others are still registered.
    """
    report = FeedListReport()
    outlines = parse_opml(content, where)
    if not outlines:
        raise SourceError(f"{where}: no feed outline (an <outline> with an xmlUrl)")
    for outline in outlines:
        at = f"{where}:{outline.line}"
        try:
            feed, created = register_feed(store, settings, outline.url, now=now, category=outline.category or None)
        except ValidationError as exc:
            report.rejected += 1
            report.lines.append(f"rejected: {at}: {exc}")
            continue
        if created:
            report.added += 1
        else:
            report.updated += 1
        shown = f" ({feed.category})" if feed.category else ""
        report.lines.append(f"{'added' if created else 'updated'}: {at}: {feed.url}{shown}")
    return report


def export_feed_list(store: Store, settings: Settings, *, now: datetime) -> bytes:
    """The registered feeds as an OPML 2.0 document."""
    return export_opml(list_feeds(store), title=f"{settings.newsletter.name}: feeds", now=now)
