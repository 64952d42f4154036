"""Feed queries: registered RSS/Atom feeds, the outcome of their last poll, and the
article pages read for their items (the page cache, counted per feed)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from digest.errors import NotFoundError
from digest.models import Feed
from digest.store import Store, immediate
from digest.store import tables as t


def row_to_feed(row: Any) -> Feed:
    """A :class:`Feed` from a ``feeds`` row."""
    return t.model_from_row(Feed, row)


def add_feed(
    store: Store,
    url: str,
    *,
    now: datetime,
    category: str = "",
    language: str = "",
    full_text: str | None = None,
) -> tuple[Feed, bool]:
    """Register ``url`` (already validated); returns (feed, created).

    Adding a feed that is already registered updates its category and language (and
    ``full_text`` when given) and reactivates it, so ``feeds add`` can be re-run with
    new options.
    """
    options: dict[str, Any] = {"category": category, "language": language, "active": True}
    if full_text is not None:
        options["full_text"] = full_text
    for attempt in (1, 2):
        try:
            with immediate(store.engine) as conn:
                row = conn.execute(select(t.feeds).where(t.feeds.c.url == url)).first()
                if row is None:
                    new_id = conn.execute(
                        insert(t.feeds).values(url=url, created_at=now, **options).returning(t.feeds.c.id)
                    ).scalar_one()
                    created = True
                else:
                    new_id = row.id
                    conn.execute(update(t.feeds).where(t.feeds.c.id == row.id).values(**options))
                    created = False
                feed = row_to_feed(conn.execute(select(t.feeds).where(t.feeds.c.id == new_id)).one())
                return feed, created
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def list_feeds(store: Store, *, active_only: bool = True) -> list[Feed]:
    """Registered feeds in the order they were added."""
    query = select(t.feeds).order_by(t.feeds.c.id)
    if active_only:
        query = query.where(t.feeds.c.active.is_(True))
    with store.engine.connect() as conn:
        return [row_to_feed(r) for r in conn.execute(query)]


def remove_feed(store: Store, url: str) -> None:
    """Stop polling ``url``; its articles stay in the store."""
    with immediate(store.engine) as conn:
        found = conn.execute(delete(t.feeds).where(t.feeds.c.url == url)).rowcount
    if not found:
        raise NotFoundError(f"no feed registered with URL {url}")


def record_poll(
    store: Store,
    feed_id: int,
    *,
    polled_at: datetime,
    error: str = "",
    title: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> None:
    """Remember a poll's outcome. ``None`` leaves a field as it was: a failed poll
    keeps the validators of the last good one, so the next poll is still conditional."""
    values: dict[str, Any] = {"last_polled_at": polled_at, "last_error": error}
    if title:
        values["title"] = title[:500]
    if etag is not None:
        values["etag"] = etag[:500]
    if last_modified is not None:
        values["last_modified"] = last_modified[:100]
    with immediate(store.engine) as conn:
        conn.execute(update(t.feeds).where(t.feeds.c.id == feed_id).values(**values))


@dataclass(frozen=True)
class PageFetch:
    """An article page read (or not) for a feed item: ``outcome`` is ``read`` or why not
    (``robots``, ``timeout``, ``http_error``, ``paywall``, ``error``); ``body`` is the
    page's article text when read."""

    url: str
    feed_id: int | None
    outcome: str
    fetched_at: datetime
    reason: str = ""
    body: str = ""
    etag: str = ""
    last_modified: str = ""


def known_pages(store: Store, urls: Iterable[str]) -> dict[str, PageFetch]:
    """The page fetches already recorded for ``urls`` (item URLs, canonical)."""
    wanted = sorted(set(urls))
    found: dict[str, PageFetch] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), 500):  # bound the IN list
            rows = conn.execute(select(t.page_fetches).where(t.page_fetches.c.url.in_(wanted[start : start + 500])))
            for r in rows:
                found[r.url] = t.model_from_row(PageFetch, r)
    return found


def record_pages(store: Store, fetches: Iterable[PageFetch]) -> None:
    """Remember page fetches, replacing what was recorded for the same URL."""
    batch = list(fetches)
    if not batch:
        return
    with immediate(store.engine) as conn:
        conn.execute(delete(t.page_fetches).where(t.page_fetches.c.url.in_([f.url for f in batch])))
        conn.execute(
            insert(t.page_fetches),
            [
                {
                    "url": f.url,
                    "feed_id": f.feed_id,
                    "outcome": f.outcome,
                    "reason": f.reason,
                    "body": f.body,
                    "etag": f.etag[:500],
                    "last_modified": f.last_modified[:100],
                    "fetched_at": f.fetched_at,
                }
                for f in batch
            ],
        )


def page_outcomes(store: Store) -> dict[int, dict[str, int]]:
    """Per feed id, how many item pages had each outcome (``read``, ``robots``...)."""
    query = select(t.page_fetches.c.feed_id, t.page_fetches.c.outcome, func.count()).group_by(
        t.page_fetches.c.feed_id, t.page_fetches.c.outcome
    )
    out: dict[int, dict[str, int]] = {}
    with store.engine.connect() as conn:
        for feed_id, outcome, n in conn.execute(query):
            if feed_id is not None:
                out.setdefault(int(feed_id), {})[str(outcome)] = int(n)
    return out
