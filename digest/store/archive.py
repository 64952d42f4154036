"""Stored editions as the web shows them: the "view in browser" page and the admin
API's edition status (delivery counts by state). Read-only."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from digest.models import DeliveryState, Edition, EditionItem, EditionStatus, ItemKind, Link
from digest.store import Store
from digest.store import tables as t


def _links(raw: str) -> tuple[Link, ...]:
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return ()
    if not isinstance(data, list):
        return ()
    return tuple(
        Link(title=str(d.get("title", "")), url=str(d.get("url", "")), source=str(d.get("source", "")))
        for d in data
        if isinstance(d, dict) and d.get("url")
    )


def _item(row: Any) -> EditionItem:
    return EditionItem(
        position=row.position,
        kind=ItemKind(row.kind),
        category=row.category,
        title=row.title,
        url=row.url,
        summary=row.summary,
        reading_minutes=row.reading_minutes,
        article_id=row.article_id,
        also_read=_links(row.also_read),
    )


def edition(store: Store, edition_id: int) -> Edition | None:
    """The edition with this id and its items in order, or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(t.editions).where(t.editions.c.id == edition_id)).first()
        if row is None:
            return None
        items = conn.execute(
            select(t.edition_items)
            .where(t.edition_items.c.edition_id == edition_id)
            .order_by(t.edition_items.c.position)
        ).all()
    return Edition(
        id=row.id,
        edition_date=row.edition_date,
        language=row.language,
        items=tuple(_item(i) for i in items),
        word_count=row.word_count,
        reading_minutes=row.reading_minutes,
        newsletter=row.newsletter,
        status=EditionStatus(row.status),
        built_at=row.built_at,
    )


def delivery_counts(store: Store, edition_id: int) -> dict[str, int]:
    """How many delivery rows of the edition are in each state (every state listed)."""
    counts = {s.value: 0 for s in DeliveryState}
    c = t.deliveries.c
    query = select(c.state, func.count()).where(c.edition_id == edition_id).group_by(c.state)
    with store.engine.connect() as conn:
        for state, n in conn.execute(query):
            counts[state] = int(n)
    return counts


def recent_editions(store: Store, *, limit: int = 30) -> list[Edition]:
    """The latest editions (without their items), newest first."""
    e = t.editions.c
    query = select(t.editions).order_by(e.edition_date.desc(), e.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        Edition(
            id=r.id,
            edition_date=r.edition_date,
            language=r.language,
            items=(),
            word_count=r.word_count,
            reading_minutes=r.reading_minutes,
            newsletter=r.newsletter,
            status=EditionStatus(r.status),
            built_at=r.built_at,
        )
        for r in rows
    ]
