"""Articles in the store, as editors bring them in and look at them: import files and
URLs (``article.import``), and the reads of the CLI's list and the console's page.

The parsing, checks and upserts are :mod:`digest.ingest`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from digest.actions.core import Actor, Operations, declare
from digest.admins import Role
from digest.ingest import ImportReport, import_sources
from digest.models import Article
from digest.store import listings
from digest.store.articles import StoredArticle, list_stored

IMPORT = declare("article.import", Role.EDITOR, "import articles from files, feeds or pages")

__all__ = ["IMPORT", "ImportReport", "StoredArticle", "between", "import_", "stored"]


def stored(ops: Operations, start: datetime | None = None, end: datetime | None = None) -> list[StoredArticle]:
    """Articles published in [start, end) (either bound optional) with their bookkeeping, oldest first."""
    return list_stored(ops.store, start, end)


def between(ops: Operations, start: datetime, end: datetime, *, text: str = "") -> list[Article]:
    """Articles published in [start, end), newest first, ``text`` in their title when given."""
    return listings.articles_between(ops.store, start, end, text=text)


def import_(
    ops: Operations,
    actor: Actor,
    sources: Sequence[str],
    *,
    category: str | None = None,
    language: str | None = None,
    page_url: str | None = None,
) -> ImportReport:
    """Import articles from ``sources`` (paths or URLs); the report. ``page_url`` is the
    address of a local page without a canonical link. The fetches run before the audit
    row is written (each article is stored as it comes)."""
    ops.allow(actor, IMPORT)
    report = import_sources(
        ops.store, ops.settings, list(sources), category=category, language=language, now=ops.clock(),
        page_url=page_url,
    )  # fmt: skip
    with ops.act(actor, IMPORT, target=",".join(sources)[:200]) as act:
        act.details(sources=len(sources), added=report.added, rejected=report.rejected)
        return report
