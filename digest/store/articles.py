"""Article queries: the store's side of ingest (upsert) and select (candidates)."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterator, Sequence
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
    candidates = conn.execute(select(t.articles).where(t.articles.c.guid == article.guid).order_by(t.articles.c.id))
    return _same_publisher(list(candidates), article, feed_id)


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


def upsert_articles(
    store: Store, articles: Sequence[tuple[Article, bool]], *, now: datetime, feed_id: int | None = None
) -> list[UpsertResult]:
    """Store ``articles`` (each with its ``keep_published_at``) as :func:`upsert_article`
    would one after the other, in one transaction, with one query to find their stored
    rows and one multi-row insert for the new ones (a feed's 30 items were 60 statements).

    Raises IntegrityError when another writer inserted one of them meanwhile (PostgreSQL):
    the caller retries one by one, as with :func:`upsert_article` in a transaction.
    """
    with immediate(store.engine) as conn:
        by_url = _rows_by(conn, t.articles.c.url, {a.url for a, _ in articles})
        guids = {a.guid for a, _ in articles if a.guid and a.url not in by_url}
        by_guid: dict[str, list[Any]] = {}
        for chunk in _chunks(sorted(guids)):
            query = select(t.articles).where(t.articles.c.guid.in_(chunk)).order_by(t.articles.c.id)
            for found in conn.execute(query):
                by_guid.setdefault(found.guid, []).append(found)
        results: list[UpsertResult] = []
        pending: list[dict[str, Any]] = []  # new rows, inserted together
        pending_keys: set[str] = set()
        for article, keep in articles:
            if article.url in pending_keys or (article.guid and article.guid in pending_keys):
                # The same article twice in one batch: the second must see the first
                # written, so insert what is pending and take the one-by-one path.
                _insert(conn, pending)
                results.append(_upsert(conn, article, now=now, feed_id=feed_id, keep_published_at=keep))
                continue
            row = by_url.get(article.url)
            if row is None and article.guid:
                row = _same_publisher(by_guid.get(article.guid, []), article, feed_id)
            if row is None:
                pending.append({**_values(article), "feed_id": feed_id, "created_at": now, "updated_at": now})
                results.append(UpsertResult.ADDED)
            else:
                results.append(_update(conn, row, article, now=now, feed_id=feed_id, keep_published_at=keep))
            # A later copy in this batch must not be compared with a row read before this write.
            pending_keys.update(k for k in (article.url, article.guid) if k)
        _insert(conn, pending)
        return results


_CHUNK = 500  # bound parameters per IN (...) query, well under SQLite's limit


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _rows_by(conn: Connection, column: Any, values: set[str]) -> dict[str, Any]:
    """Stored rows whose ``column`` is one of ``values``, by that value."""
    found: dict[str, Any] = {}
    for chunk in _chunks(sorted(values)):
        for row in conn.execute(select(t.articles).where(column.in_(chunk))):
            found[getattr(row, column.key)] = row
    return found


def _same_publisher(candidates: list[Any], article: Article, feed_id: int | None) -> Any:
    """The first of ``candidates`` (rows with the article's GUID, by id) from the same feed or site."""
    host = host_of(article.url)
    for candidate in candidates:
        if (feed_id is not None and candidate.feed_id == feed_id) or host_of(candidate.url) == host:
            return candidate
    return None


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (one executemany) and empty the list."""
    if rows:
        conn.execute(insert(t.articles), rows)
        rows.clear()


def _upsert(
    conn: Connection, article: Article, *, now: datetime, feed_id: int | None, keep_published_at: bool
) -> UpsertResult:
    row = _find(conn, article, feed_id)
    if row is None:
        values = _values(article)
        conn.execute(insert(t.articles).values(**values, feed_id=feed_id, created_at=now, updated_at=now))
        return UpsertResult.ADDED
    return _update(conn, row, article, now=now, feed_id=feed_id, keep_published_at=keep_published_at)


def _update(
    conn: Connection, row: Any, article: Article, *, now: datetime, feed_id: int | None, keep_published_at: bool
) -> UpsertResult:
    """Update stored ``row`` to ``article``, or leave it when nothing changed."""
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
