"""Full text for excerpt-only feeds: read the page an item links to.

Most news feeds give a title, a link and a sentence or two. Per feed, ``full_text``
says when the linked page is read: ``never``; ``always``; or ``auto`` (the default),
when the item's own text is short (under :data:`SHORT_WORDS` words) or looks cut
short ("…", "[...]", "Read more"). The page's article text then replaces the
excerpt, and the excerpt becomes the standfirst unless it is the opening of the body.

A page that cannot be read keeps the item with its excerpt, and the reason is
recorded (:class:`~digest.store.feeds.PageFetch`, counted per feed): ``robots``
(robots.txt disallows it), ``timeout``, ``http_error`` (4xx/5xx), ``paywall`` (the
page's text is shorter than the excerpt), ``error`` (anything else). An item is
never dropped for it. A page once read is never fetched again for the same item.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from digest.errors import SourceError
from digest.ingest.fetch import ACCEPT_PAGE, DisallowedError, Fetcher, FetchError
from digest.ingest.items import Item
from digest.ingest.page import extract_page
from digest.ingest.polite import Robots
from digest.ingest.text import clean_line, html_to_paragraphs, is_excerpt_of, text_to_paragraphs
from digest.store.feeds import PageFetch
from digest.words import word_count

FULL_TEXT_CHOICES = ("auto", "always", "never")
#: Under this many words, an item's own text is taken for an excerpt.
SHORT_WORDS = 150
#: Outcomes not worth another fetch on the next poll (the answer will be the same).
FINAL_FAILURES = frozenset({"robots", "http_error", "paywall"})

_CUT_SHORT = re.compile(
    r"(?:…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\]|\b(?:read more|continue reading|lire la suite|la suite)\W*)\s*$", re.I
)


def item_text(item: Item) -> str:
    """The item's own text, plain, paragraphs joined by spaces."""
    paragraphs = html_to_paragraphs(item.body_html) if item.body_html.strip() else text_to_paragraphs(item.body)
    return " ".join(paragraphs)


def wants_page(mode: str, item: Item) -> bool:
    """Should the page behind ``item`` be read, under the feed's ``full_text`` mode?"""
    if mode == "never" or not item.url:
        return False
    if mode == "always":
        return True
    text = item_text(item)
    return word_count(text) < SHORT_WORDS or _CUT_SHORT.search(text) is not None


def with_page(item: Item, body: str) -> Item:
    """``item`` with the page's article text ``body`` in place of its excerpt."""
    excerpt = clean_line(item_text(item))
    summary = item.summary
    if not summary and excerpt and not is_excerpt_of(excerpt, body):
        summary = excerpt  # the publisher's own words about the story: a standfirst
    return replace(
        item,
        body=body,
        body_html="",  # rebuilt from the paragraphs by to_article (from_page)
        summary=summary,
        from_page=True,
    )


class PageExtract(Protocol):
    """Reads the article on a page: :func:`~digest.ingest.page.extract_page`'s signature."""

    def __call__(self, content: bytes, where: str, *, url: str = "") -> Item: ...


class PageReader:
    """Reads article pages for feed items through one :class:`Fetcher` (its per-host
    gate, address guard, size cap, timeout) and robots.txt when ``obey_robots``."""

    def __init__(self, fetcher: Fetcher, *, obey_robots: bool, extract: PageExtract = extract_page) -> None:
        self.fetcher = fetcher
        self.robots = Robots(self._robots_txt, fetcher.user_agent) if obey_robots else None
        self.extract = extract  # extract_page, or a PageExtractor reading in worker processes

    def _robots_txt(self, url: str) -> tuple[int, str]:
        try:
            result = self.fetcher.get(url, accept="text/plain")
        except FetchError as exc:
            return exc.status, ""
        return result.status, result.content.decode("utf-8", "replace")

    def read(self, item: Item, url: str, feed_id: int | None, *, now: datetime, known: PageFetch | None) -> PageFetch:
        """Fetch and read the page at ``url`` (the item's canonical URL); never raises
        for the page's own failures, which become the outcome."""
        allow = self.robots.allowed if self.robots is not None else None
        etag = known.etag if known is not None and known.body else ""
        last_modified = known.last_modified if known is not None and known.body else ""

        def failed(outcome: str, reason: str) -> PageFetch:
            return PageFetch(url, feed_id, outcome, now, reason=" ".join(reason.split())[:1000])

        try:
            result = self.fetcher.get(url, accept=ACCEPT_PAGE, etag=etag, last_modified=last_modified, allow=allow)
        except DisallowedError as exc:
            return failed("robots", str(exc))
        except FetchError as exc:
            outcome = "timeout" if exc.timed_out else "http_error" if exc.status else "error"
            return failed(outcome, str(exc))
        if result.not_modified and known is not None:
            return replace(known, fetched_at=now)
        try:
            page = self.extract(result.content, url, url=result.url)
        except SourceError as exc:
            return failed("error", str(exc))
        page_words, excerpt_words = word_count(page.body), word_count(item_text(item))
        if page_words < excerpt_words:
            return failed("paywall", f"{url}: the page's text ({page_words} words) is shorter than the excerpt")
        return PageFetch(
            url, feed_id, "read", now, body=page.body, etag=result.etag, last_modified=result.last_modified
        )
