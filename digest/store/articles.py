"""Article queries: the store's side of ingest (upsert) and select (candidates)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from digest.models import Article
from digest.store import Store
from digest.store import tables as t


def row_to_article(row: Any) -> Article:
    """An :class:`Article` from an ``articles`` row."""
    return Article(
        id=row.id,
        url=row.url,
        guid=row.guid,
        title=row.title,
        body=row.body,
        body_html=row.body_html,
        summary=row.summary,
        author=row.author,
        category=row.category,
        language=row.language,
        source=row.source,
        published_at=row.published_at,
        word_count=row.word_count,
        reading_minutes=row.reading_minutes,
    )


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
