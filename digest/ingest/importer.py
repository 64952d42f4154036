"""`import_sources`: files and URLs of any supported kind -> articles in the store.

Each source is read whole, its kind recognised (feed, JSON Lines, page), its items
validated and stored one by one. A bad source or item is reported in one line and
skipped; everything valid around it is still stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from digest.config import Settings
from digest.errors import SourceError, ValidationError
from digest.ingest.feeds import looks_like_feed, parse_feed
from digest.ingest.fetch import ACCEPT_ANY, Fetcher
from digest.ingest.items import Item, ItemError, to_article
from digest.ingest.jsonl import looks_like_jsonl, parse_jsonl
from digest.ingest.language import normalize_language
from digest.ingest.page import extract_page, looks_like_html
from digest.models import Article
from digest.store import Store
from digest.store.articles import UpsertResult, upsert_article, upsert_articles

log = logging.getLogger(__name__)

_FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass
class ImportReport:
    """What an import did: counts, and one line per rejected item or source."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """How many items or sources were refused."""
        return len(self.rejections)

    def count(self, result: UpsertResult) -> None:
        """Count one stored article."""
        if result is UpsertResult.ADDED:
            self.added += 1
        elif result is UpsertResult.UPDATED:
            self.updated += 1
        else:
            self.unchanged += 1

    def merge(self, other: ImportReport) -> None:
        """Add ``other``'s counts and lines to this report."""
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejections.extend(other.rejections)
        self.warnings.extend(other.warnings)

    def summary(self) -> str:
        """``added 3, updated 1, unchanged 0, rejected 2``."""
        return f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"


def check_language(language: str | None, option: str = "--language") -> str | None:
    """A language override normalised to its code; ValidationError when it is not one."""
    if language is None:
        return None
    code = normalize_language(language)
    if code is None:
        raise ValidationError(f"{option}: {language!r} is not a language code (e.g. fr, en)")
    return code


def import_sources(
    store: Store,
    settings: Settings,
    sources: Sequence[str],
    *,
    category: str | None = None,
    language: str | None = None,
    now: datetime,
    fetcher: Fetcher | None = None,
    page_url: str | None = None,
) -> ImportReport:
    """Import every source (a path or an http(s) URL of a feed, JSON Lines file or
    article page); ``category``/``language`` override what the sources say;
    ``page_url`` is the address of the one local page imported (``--url``), for a
    page without a canonical link.

    Never raises for bad input: unreadable sources and invalid items become
    rejection lines. Raises StoreError if the database fails, ValidationError for a
    bad override.
    """
    language = check_language(language)
    if page_url is not None:
        if len(sources) != 1 or _is_url(sources[0]):
            raise ValidationError("--url: names the address of one local page; give exactly one file")
        if not _is_url(page_url):
            raise ValidationError(f"--url: expected an absolute http(s) URL, got {page_url!r}")
    report = ImportReport()
    own_fetcher = fetcher is None and any(_is_url(s) for s in sources)
    if own_fetcher:
        fetcher = Fetcher(settings)
    try:
        for source in sources:
            try:
                items, parsed_report = read_source(source, fetcher, page_url=page_url or "")
            except SourceError as exc:
                report.rejections.append(str(exc))
                log.warning("source rejected", extra={"source": source, "error": str(exc)})
                continue
            report.merge(parsed_report)
            report.merge(
                store_items(store, settings, items, now=now, category=category, language=language, feed_id=None)
            )
    finally:
        if own_fetcher and fetcher is not None:
            fetcher.close()
    log.info("articles imported", extra={"sources": len(sources), "result": report.summary()})
    return report


def store_items(
    store: Store,
    settings: Settings,
    items: Iterable[Item],
    *,
    now: datetime,
    category: str | None,
    language: str | None,
    feed_id: int | None,
) -> ImportReport:
    """Validate and store ``items``; each invalid one becomes a rejection line.

    The items are validated first, then written in one transaction: one commit per
    source rather than per article (a feed of 30 items is one write, not 30).
    """
    report = ImportReport()
    default_language = str(settings.newsletter.language)
    valid: list[tuple[Article, bool]] = []
    for item in items:
        warned: list[str] = []
        try:
            article = to_article(
                item,
                fallback_published_at=now,
                default_language=default_language,
                category=category,
                language=language,
                now=now,
                warn=warned.append,
            )
        except ItemError as exc:
            report.rejections.append(f"{item.where}: {exc}")
            continue
        report.warnings.extend(f"{item.where}: {line}" for line in warned)
        valid.append((article, item.published_at is None))
    if not valid:
        return report
    try:
        results = upsert_articles(store, valid, now=now, feed_id=feed_id)
    except IntegrityError:
        # Another import inserted one of these articles meanwhile (PostgreSQL aborts the
        # whole transaction then): store them one by one, each with its own retry.
        results = [
            upsert_article(store, article, now=now, feed_id=feed_id, keep_published_at=undated)
            for article, undated in valid
        ]
    for result in results:
        report.count(result)
    return report


def read_source(source: str, fetcher: Fetcher | None, *, page_url: str = "") -> tuple[list[Item], ImportReport]:
    """The items of one source, and the lines its parser refused or warned about
    (``page_url``: the address of a local page, when it is one)."""
    url = ""
    content_type = ""
    if _is_url(source):
        if fetcher is None:
            raise SourceError(f"{source}: cannot fetch URLs here")
        result = fetcher.get(source, accept=ACCEPT_ANY)
        content, url, content_type = result.content, result.url, result.content_type
        suffix = Path(result.url.split("?", 1)[0]).suffix.lower()
    else:
        content = _read_file(source)
        suffix = Path(source).suffix.lower()
        url = page_url
    kind = _kind(content, suffix, content_type, source)
    report = ImportReport()
    if kind == "jsonl":
        lines = parse_jsonl(content, source)
        report.rejections.extend(lines.rejections)
        report.warnings.extend(lines.warnings)
        return lines.items, report
    if kind == "feed":
        feed = parse_feed(content, source, url=url, content_type=content_type)
        report.warnings.extend(feed.warnings)
        return feed.items, report
    return [extract_page(content, source, url=url)], report


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None


def _kind(content: bytes, suffix: str, content_type: str, where: str) -> str:
    """``feed``, ``jsonl`` or ``page``, from the content first, then the name and type."""
    if not content.strip():
        raise SourceError(f"{where}: empty")
    if looks_like_feed(content):
        return "feed"
    if looks_like_jsonl(content):
        return "jsonl"
    if looks_like_html(content):
        return "page"
    ctype = content_type.split(";", 1)[0].strip().lower()
    if suffix in _JSONL_SUFFIXES or "json" in ctype:
        return "jsonl"
    if suffix in _FEED_SUFFIXES or any(k in ctype for k in ("rss", "atom", "xml")):
        return "feed"
    if suffix in _HTML_SUFFIXES or "html" in ctype:
        return "page"
    raise SourceError(f"{where}: not a feed, a JSON Lines file or an HTML page")
