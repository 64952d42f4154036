"""Which language each category is written in, as stored articles and feeds show it
(the preferences page offers a reader the categories of their language only)."""

from __future__ import annotations

from sqlalchemy import select

from digest.store import Store
from digest.store import tables as t


def categories_by_language(store: Store) -> dict[str, set[str]]:
    """Language code -> the categories seen on its articles and feeds."""
    query = (
        select(t.articles.c.category, t.articles.c.language)
        .distinct()
        .union(select(t.feeds.c.category, t.feeds.c.language).distinct())
    )
    found: dict[str, set[str]] = {}
    with store.engine.connect() as conn:
        for category, language in conn.execute(query):
            if category and language:
                found.setdefault(language, set()).add(category)
    return found
