"""upsert_articles: a feed's items stored in one transaction give what storing them one
by one (upsert_article) gives, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from digest.models import Article
from digest.store import Store
from digest.store.articles import UpsertResult, list_stored, upsert_article, upsert_articles


def _article(n: int, now: datetime, **changes: object) -> Article:
    base = Article(
        url=f"https://news.example/a-{n}",
        guid=f"item-{n}",
        title=f"Story {n}",
        body=f"Body of story {n}.",
        published_at=now - timedelta(minutes=n),
        language="en",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _rows(store: Store) -> list[tuple[str, str, str, str, int | None]]:
    return sorted(
        (s.article.url, s.article.guid, s.article.title, s.article.body, s.feed_id) for s in list_stored(store)
    )


def _batch(now: datetime) -> list[tuple[Article, bool]]:
    """New articles, an update of a stored one, one unchanged, one found by its GUID
    after its link changed, and the same article twice in the batch."""
    return [
        (_article(1, now), False),  # unchanged
        (_article(2, now, title="Story 2, updated"), False),  # updated by URL
        (_article(3, now, url="https://news.example/a-3-moved", title="Moved"), False),  # by GUID
        (_article(4, now), False),  # new
        (_article(5, now), False),  # new...
        (_article(5, now, body="Body of story 5, corrected."), False),  # ...then again in the same batch
        (_article(5, now, body="Body of story 5, corrected twice."), False),  # ...and a third time
        (_article(6, now, guid=""), False),  # new, no GUID
        (_article(7, now, url="https://elsewhere.example/x", guid="item-1"), False),  # GUID of another site
    ]


def test_a_batch_stores_what_one_by_one_stores(store: Store, tmp_path: object, now: datetime) -> None:
    for n in (1, 2, 3):
        upsert_article(store, _article(n, now), now=now)
    batch = _batch(now)
    results = upsert_articles(store, batch, now=now + timedelta(hours=1))
    assert results == [
        UpsertResult.UNCHANGED,
        UpsertResult.UPDATED,
        UpsertResult.UPDATED,
        UpsertResult.ADDED,
        UpsertResult.ADDED,
        UpsertResult.UPDATED,
        UpsertResult.UPDATED,
        UpsertResult.ADDED,
        UpsertResult.ADDED,
    ]
    batched = _rows(store)
    assert len(batched) == 7  # 1-6 and the other site's article; a-3 moved, not copied
    assert ("https://news.example/a-5", "item-5", "Story 5", "Body of story 5, corrected twice.", None) in batched
    assert ("https://news.example/a-3-moved", "item-3", "Moved", "Body of story 3.", None) in batched


def test_a_batch_and_the_same_articles_one_by_one_leave_the_same_rows(store: Store, now: datetime) -> None:
    for n in (1, 2, 3):
        upsert_article(store, _article(n, now), now=now, feed_id=None)
    upsert_articles(store, _batch(now), now=now)
    batched = _rows(store)
    # The same again, one by one, on top: everything is already there.
    again = [upsert_article(store, a, now=now, keep_published_at=k) for a, k in _batch(now)]
    assert _rows(store) == batched
    # Storing 5 three times leaves the last version; re-storing the first one updates it back.
    assert again[4:7] == [UpsertResult.UPDATED] * 3
    assert again[:4] == [UpsertResult.UNCHANGED] * 4


def test_a_batch_of_new_articles_adds_each_once(store: Store, now: datetime) -> None:
    batch = [(_article(n, now), False) for n in range(1, 1201)]  # more than one IN (...) chunk
    assert upsert_articles(store, batch, now=now) == [UpsertResult.ADDED] * 1200
    assert upsert_articles(store, batch, now=now) == [UpsertResult.UNCHANGED] * 1200
    assert len(list_stored(store)) == 1200
