"""Stored editions as the web shows them: the "view in browser" page and the admin
API's edition list. Read-only (delivery status: digest.daily.status)."""

from __future__ import annotations

from sqlalchemy import select

from digest.models import Edition
from digest.store import Store
from digest.store import tables as t
from digest.store.editions import find_by_id, row_to_edition


def edition(store: Store, edition_id: int) -> Edition | None:
    """The edition with this id and its items in order, or None."""
    return find_by_id(store, edition_id)


def recent_editions(store: Store, *, limit: int = 30) -> list[Edition]:
    """The latest editions (without their items), newest first."""
    e = t.editions.c
    query = select(t.editions).order_by(e.edition_date.desc(), e.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [row_to_edition(r) for r in rows]
