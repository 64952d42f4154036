"""Article queries: the store's side of ingest (upsert) and select (candidates)."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from digest.errors import StoreError
from digest.models import Article
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.engine import Joined
from digest.urls import host_of


def row_to_article(row: Any) -> Article:
    """An :class:`Article` from an ``articles`` row."""
    return t.model_from_row(Article, row)


def published_between(store: Store, start: datetime, end: datetime, language: str | None = None) -> list[Article]:
    """Articles with ``start <= published_at < end`` (optionally in one language), newest first."""
    query = select(t.articles).where(t.articles.c.published_at >= start, t.articles.c.published_at < end)
    if language is not None:
        query = query.where(t.articles.c.language == language)
    query = query.order_by(t.articles.c.published_at.desc(), t.articles.c.id)
    with store.engine.connect() as conn:
        return [row_to_article(r) for r in conn.execute(query)]


def iter_all(store: Store) -> Iterator[Article]:
    """Every stored article, oldest first."""
    with store.engine.connect() as conn:
        for r in conn.execute(select(t.articles).order_by(t.articles.c.published_at, t.articles.c.id)):
            yield row_to_article(r)


class UpsertResult(enum.StrEnum):
    """What storing an article did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class StoredArticle:
    """An article with the bookkeeping the store keeps beside it."""

    article: Article
    feed_id: int | None
    content_hash: str
    created_at: datetime
    updated_at: datetime


def content_hash(article: Article) -> str:
    """A digest of everything a reader could see change; equal hashes mean unchanged."""
    fields = [
        article.url,
        article.guid,
        article.title,
        article.body,
        article.body_html,
        article.summary,
        article.author,
        article.category,
        article.language,
        article.source,
        article.published_at.astimezone(UTC).isoformat(),
    ]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


def _find(conn: Connection, article: Article, feed_id: int | None) -> Any:
    """The stored row ``article`` is a new version of: same canonical URL, else the
    same GUID from the same feed or site (a bare GUID like "1234" is only unique
    within its publisher, so it never matches across sites)."""
    row = conn.execute(select(t.articles).where(t.articles.c.url == article.url)).first()
    if row is not None or not article.guid:
        return row
    host = host_of(article.url)
    for candidate in conn.execute(
        select(t.articles).where(t.articles.c.guid == article.guid).order_by(t.articles.c.id)
    ):
        if (feed_id is not None and candidate.feed_id == feed_id) or host_of(candidate.url) == host:
            return candidate
    return None


def _values(article: Article) -> dict[str, Any]:
    return {
        "url": article.url,
        "guid": article.guid,
        "title": article.title,
        "body": article.body,
        "body_html": article.body_html,
        "summary": article.summary,
        "author": article.author,
        "category": article.category,
        "language": article.language,
        "source": article.source,
        "published_at": article.published_at,
        "word_count": article.word_count,
        "reading_minutes": article.reading_minutes,
        "content_hash": content_hash(article),
    }


def upsert_article(
    store: Store,
    article: Article,
    *,
    now: datetime,
    feed_id: int | None = None,
    keep_published_at: bool = False,
) -> UpsertResult:
    """Store ``article``: add it, or update the row with the same canonical URL (or
    the same feed GUID), or leave that row alone when nothing changed.

    ``keep_published_at`` keeps a stored row's date: for sources that gave no date,
    whose ``published_at`` is only when the article was first seen. One article is
    one transaction (or joins the caller's :meth:`Store.transaction`, which then gets
    the IntegrityError of a concurrent insert to retry), so a failure never leaves half
    an article.
    """
    for attempt in (1, 2):
        try:
            with immediate(store.engine) as conn:
                return _upsert(conn, article, now=now, feed_id=feed_id, keep_published_at=keep_published_at)
        except IntegrityError as exc:
            # Another process inserted the same URL between our read and write (on
            # PostgreSQL; SQLite's write lock rules it out): the second pass updates it.
            # Inside a caller's transaction there is no second pass (PostgreSQL has
            # aborted it): the caller retries.
            if isinstance(store.engine, Joined):
                raise
            if attempt == 2:
                raise StoreError(f"cannot store article {article.url}: {exc.orig}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _upsert(
    conn: Connection, article: Article, *, now: datetime, feed_id: int | None, keep_published_at: bool
) -> UpsertResult:
    row = _find(conn, article, feed_id)
    if row is None:
        values = _values(article)
        conn.execute(insert(t.articles).values(**values, feed_id=feed_id, created_at=now, updated_at=now))
        return UpsertResult.ADDED
    if keep_published_at:
        article = replace(article, published_at=row.published_at)
    values = _values(article)
    same_feed = feed_id is None or row.feed_id == feed_id
    if values["content_hash"] == row.content_hash and same_feed:
        return UpsertResult.UNCHANGED
    if feed_id is None:
        feed_id = row.feed_id
    conn.execute(update(t.articles).where(t.articles.c.id == row.id).values(**values, feed_id=feed_id, updated_at=now))
    return UpsertResult.UPDATED


def count_articles(store: Store) -> int:
    """How many articles the store holds."""
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.articles)).scalar_one())


def list_stored(store: Store, start: datetime | None = None, end: datetime | None = None) -> list[StoredArticle]:
    """Articles with ``start <= published_at < end`` (either bound optional) and their
    bookkeeping, oldest first."""
    query = select(t.articles)
    if start is not None:
        query = query.where(t.articles.c.published_at >= start)
    if end is not None:
        query = query.where(t.articles.c.published_at < end)
    query = query.order_by(t.articles.c.published_at, t.articles.c.id)
    with store.engine.connect() as conn:
        return [
            StoredArticle(
                article=row_to_article(r),
                feed_id=r.feed_id,
                content_hash=r.content_hash,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in conn.execute(query)
        ]
