"""Stored editions as the web shows them: the "view in browser" page, the public
archive (editions whose first send time has passed) and the admin API's edition list.
Read-only (delivery status: digest.daily.status)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from digest.models import Edition, EditionStatus
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


def _first_send() -> Any:
    """Editions with the time their first delivery was due (the edition's send time)."""
    d = t.deliveries.c
    return select(d.edition_id, func.min(d.due_at).label("first_send")).group_by(d.edition_id).subquery()


def published(store: Store, *, now: datetime, limit: int, offset: int = 0) -> tuple[list[Edition], int]:
    """Past editions for the public archive (their first send time has passed), newest
    first, without their items; and how many there are in all."""
    first = _first_send()
    e = t.editions.c
    past = (e.status != EditionStatus.SKIPPED.value) & (first.c.first_send <= now)
    joined = t.editions.join(first, first.c.edition_id == e.id)
    query = (
        select(t.editions)
        .select_from(joined)
        .where(past)
        .order_by(e.edition_date.desc(), e.language, e.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
        total = conn.execute(select(func.count()).select_from(joined).where(past)).scalar_one()
    return [row_to_edition(r) for r in rows], int(total)


def published_edition(store: Store, edition_date: date, language: str, *, now: datetime) -> Edition | None:
    """The past edition of that date and language, with its items; None when there is
    none or its first send time has not come yet."""
    first = _first_send()
    e = t.editions.c
    query = (
        select(e.id)
        .select_from(t.editions.join(first, first.c.edition_id == e.id))
        .where(e.edition_date == edition_date, e.language == language)
        .where(e.status != EditionStatus.SKIPPED.value, first.c.first_send <= now)
        .order_by(e.id.desc())
        .limit(1)
    )
    with store.engine.connect() as conn:
        found = conn.execute(query).scalar()
    return find_by_id(store, int(found)) if found is not None else None


def is_published(store: Store, edition_id: int, *, now: datetime) -> bool:
    """Whether the edition is in the public archive (its first send time has passed)."""
    d = t.deliveries.c
    with store.engine.connect() as conn:
        first = conn.execute(select(func.min(d.due_at)).where(d.edition_id == edition_id)).scalar()
    return first is not None and first <= now
