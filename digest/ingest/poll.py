"""`poll_feeds`: fetch every registered feed (conditional GET) and store what is new.

Fetches run a few at a time in threads (they wait on the network); parsing and
storing happen in the caller's thread. A feed that fails — unreachable, refused by
the address guard, HTTP error, not a feed — gets its error recorded in
``feeds.last_error`` and logged, and the others carry on.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from digest import metrics
from digest.config import Settings
from digest.errors import SourceError, StoreError, ValidationError
from digest.ingest.extract_pool import PageExtractor
from digest.ingest.feeds import ParsedFeed, parse_feed
from digest.ingest.fetch import ACCEPT_FEED, Fetcher, FetchResult, public_only
from digest.ingest.fulltext import FINAL_FAILURES, FULL_TEXT_CHOICES, PageReader, wants_page, with_page
from digest.ingest.importer import ImportReport, check_language, store_items
from digest.ingest.items import ItemError, canonical_url
from digest.models import Feed
from digest.store import Store
from digest.store.feeds import PageFetch, add_feed, known_pages, list_feeds, record_pages, record_poll
from digest.urls import is_ip_address

log = logging.getLogger(__name__)

# Feeds read at once: they mostly wait (network, the per-host delay), so many can. Each
# reads its items' pages [ingest] per_host_concurrency at a time, in its own threads, so
# a feed waiting on its host's delay never holds a thread another feed could use.
MAX_PARALLEL_FETCHES = 48


@dataclass
class FeedPoll:
    """One feed's poll: ``status`` is ``ok``, ``not_modified`` or ``error``."""

    url: str
    status: str
    report: ImportReport = field(default_factory=ImportReport)
    error: str = ""
    pages: Counter[str] = field(default_factory=Counter)  # this poll's article pages, by outcome


@dataclass
class PollReport:
    """Every feed's poll, and the totals."""

    feeds: list[FeedPoll] = field(default_factory=list)

    @property
    def totals(self) -> ImportReport:
        """All feeds' counts and lines together."""
        total = ImportReport()
        for poll in self.feeds:
            total.merge(poll.report)
        return total

    @property
    def errors(self) -> list[FeedPoll]:
        """The feeds that failed."""
        return [p for p in self.feeds if p.status == "error"]


def poll_feeds(store: Store, settings: Settings, *, now: datetime, fetcher: Fetcher | None = None) -> PollReport:
    """Poll every active feed once. Raises only StoreError (the database failed)."""
    feeds = list_feeds(store)
    report = PollReport()
    if not feeds:
        return report
    own = fetcher is None
    active = fetcher if fetcher is not None else Fetcher(settings)
    extractor = PageExtractor()
    reader = PageReader(active, obey_robots=bool(settings.ingest.obey_robots), extract=extractor)
    try:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_FETCHES, len(feeds))) as pool:
            pending = {pool.submit(_read_feed, store, active, reader, feed, now): feed for feed in feeds}
            done: dict[int, FeedPoll] = {}
            # Store each feed as soon as it is read: its pages are not held while others load.
            for future in as_completed(pending):
                feed = pending[future]
                assert feed.id is not None
                done[feed.id] = _finish(store, settings, feed, future, now)
            report.feeds.extend(done[f.id] for f in feeds if f.id is not None)
    finally:
        extractor.close()
        if own:
            active.close()
    log.info(
        "feeds polled",
        extra={"feeds": len(feeds), "errors": len(report.errors), "result": report.totals.summary()},
    )
    return report


def register_feed(
    store: Store,
    settings: Settings,
    url: str,
    *,
    now: datetime,
    category: str | None = None,
    language: str | None = None,
    full_text: str | None = None,
) -> tuple[Feed, bool]:
    """Check ``url`` and register it as a feed; returns (feed, created).

    An address literal the fetch guard would refuse is refused now, with the same
    reason; host names are checked at each fetch, since DNS answers change.
    """
    try:
        url = canonical_url(url)
    except ItemError as exc:
        raise ValidationError(str(exc).replace("url:", "feed URL:", 1)) from None
    host = urlsplit(url).hostname or ""
    if not settings.ingest.allow_private_networks and is_ip_address(host):
        reason = public_only(ipaddress.ip_address(host))
        if reason is not None:
            raise ValidationError(
                f"feed URL: {host} is a {reason} address (set [ingest] allow_private_networks to allow)"
            )
    language = check_language(language)
    if full_text is not None and full_text not in FULL_TEXT_CHOICES:
        raise ValidationError(f"full text: {full_text!r} is not one of {', '.join(FULL_TEXT_CHOICES)}")
    return add_feed(
        store, url, now=now, category=(category or "").strip(), language=language or "", full_text=full_text
    )


@dataclass
class _FeedRead:
    """A feed fetched and parsed in a worker thread, its items' pages read."""

    result: FetchResult
    parsed: ParsedFeed | None = None
    pages: list[PageFetch] = field(default_factory=list)


def _read_feed(store: Store, fetcher: Fetcher, reader: PageReader, feed: Feed, now: datetime) -> _FeedRead:
    """Fetch and parse ``feed``, then read the pages its items need."""
    result = fetcher.get(feed.url, accept=ACCEPT_FEED, etag=feed.etag, last_modified=feed.last_modified)
    if result.not_modified:
        return _FeedRead(result)
    parsed = parse_feed(result.content, feed.url, url=result.url, content_type=result.content_type)
    wanted: dict[int, str] = {}
    for n, item in enumerate(parsed.items):
        if wants_page(feed.full_text, item):
            try:
                wanted[n] = canonical_url(item.url)
            except ItemError:
                continue  # the item is rejected for its URL when stored
    known = known_pages(store, wanted.values()) if wanted else {}
    todo: dict[int, PageFetch | None] = {}
    for n, url in wanted.items():
        cached = known.get(url)
        if cached is not None and cached.outcome == "read":
            parsed.items[n] = with_page(parsed.items[n], cached.body)  # the cache: no second fetch
        elif cached is None or cached.outcome not in FINAL_FAILURES:
            todo[n] = cached
    fetched: list[PageFetch] = []
    if todo:
        with ThreadPoolExecutor(max_workers=reader.fetcher.gate.concurrency) as pages:
            futures = {
                n: pages.submit(reader.read, parsed.items[n], wanted[n], feed.id, now=now, known=cached)
                for n, cached in todo.items()
            }
            for n, page_future in futures.items():
                page = page_future.result()
                fetched.append(page)
                if page.outcome == "read":
                    parsed.items[n] = with_page(parsed.items[n], page.body)
    return _FeedRead(result, parsed, fetched)


def _finish(store: Store, settings: Settings, feed: Feed, future: Future[_FeedRead], now: datetime) -> FeedPoll:
    assert feed.id is not None
    try:
        read = future.result()
        result = read.result
        if result.not_modified or read.parsed is None:
            # A 304 may carry fresher validators; keep the old ones when it does not.
            record_poll(
                store, feed.id, polled_at=now, etag=result.etag or None, last_modified=result.last_modified or None
            )
            metrics.feed_polled(ok=True)
            return FeedPoll(feed.url, "not_modified")
        parsed = read.parsed
        imported = store_items(
            store,
            settings,
            parsed.items,
            now=now,
            category=feed.category or None,
            language=feed.language or None,
            feed_id=feed.id,
        )
        imported.warnings[:0] = parsed.warnings
        record_pages(store, read.pages)
        outcomes = Counter(page.outcome for page in read.pages)
        for page in read.pages:
            metrics.article_page(feed.id, page.outcome)
            if page.outcome != "read":
                extra = {"feed": feed.url, "outcome": page.outcome, "error": page.reason}
                log.info("article page not read", extra=extra)
    except StoreError:
        raise
    except Exception as exc:  # one feed's failure, whatever it is, must not stop the others
        message = str(exc) if isinstance(exc, SourceError) else f"{feed.url}: {type(exc).__name__}: {exc}"
        message = " ".join(message.split())
        unexpected = not isinstance(exc, SourceError)
        log.warning("feed poll failed", extra={"feed": feed.url, "error": message}, exc_info=unexpected)
        record_poll(store, feed.id, polled_at=now, error=message)
        metrics.feed_polled(ok=False)
        return FeedPoll(feed.url, "error", error=message)
    record_poll(
        store,
        feed.id,
        polled_at=now,
        title=parsed.title,
        etag=result.etag,
        last_modified=result.last_modified,
    )
    metrics.feed_polled(ok=True)
    return FeedPoll(feed.url, "ok", report=imported, pages=outcomes)
