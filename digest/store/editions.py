"""Editions and their items: saved once per (newsletter, date, language), read back whole.

An edition is what every subscriber of that date gets, so it is stored before any
delivery and never silently replaced: saving a second one for the same date returns
the first, and a rebuild is refused once a delivery row exists for it. On PostgreSQL
the rebuild holds ``FOR UPDATE`` on the edition row, which blocks a concurrent
fan-out's inserts (their foreign key takes ``FOR KEY SHARE`` on it) until the new
items are in; on SQLite ``BEGIN IMMEDIATE`` serialises the writers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, select, update

from digest.errors import EditionLocked, NotFoundError
from digest.models import Edition, EditionItem, EditionStatus, ItemKind, Link
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.desk import apply_desk, clear_on_rebuild
from digest.store.engine import dialect_insert

SKIP_REASON_EMPTY = "no article in the window"


#: The edition cannot be rebuilt: its delivery has started (one error for the desk and the build).
EditionLockedError = EditionLocked


def save_edition(store: Store, edition: Edition, *, rebuild: bool, now: datetime) -> Edition:
    """Store ``edition`` with its items and return it as stored (with ids).

    If an edition already exists for its newsletter, date and language, that one is
    returned unchanged, unless ``rebuild``: then its content is replaced in place
    (same id), which :class:`EditionLockedError` refuses once any delivery row
    exists for it.
    """
    with immediate(store.engine) as conn:
        existing = _find_row(conn, edition.newsletter, edition.edition_date, edition.language, lock=True)
        if existing is not None and not rebuild:
            edition_id = existing.id
        elif existing is not None:
            edition_id = existing.id
            if _has_deliveries(conn, edition_id):
                raise EditionLockedError(
                    f"edition {edition_id} ({edition.newsletter}, {edition.edition_date}, {edition.language}) "
                    "has deliveries: it cannot be rebuilt"
                )
            conn.execute(update(t.editions).where(t.editions.c.id == edition_id).values(**_row(edition, now)))
            conn.execute(delete(t.edition_items).where(t.edition_items.c.edition_id == edition_id))
            clear_on_rebuild(conn, edition_id)
            _insert_items(conn, edition_id, edition.items)
        else:
            inserted = _insert_edition(conn, edition, now)
            if inserted is None:  # another process stored it between our read and insert
                row = _find_row(conn, edition.newsletter, edition.edition_date, edition.language, lock=False)
                assert row is not None
                edition_id = row.id
            else:
                edition_id = inserted
                _insert_items(conn, edition_id, edition.items)
    return get_edition(store, edition_id)


def find_edition(store: Store, newsletter: str, edition_date: date, language: str) -> Edition | None:
    """The stored edition of ``newsletter`` for ``edition_date`` in ``language``, or None."""
    with store.engine.connect() as conn:
        row = _find_row(conn, newsletter, edition_date, language, lock=False)
        return None if row is None else _load(conn, row)


def get_edition(store: Store, edition_id: int) -> Edition:
    """The edition with this id and its items in order; NotFoundError when there is none."""
    with store.engine.connect() as conn:
        row = conn.execute(select(t.editions).where(t.editions.c.id == edition_id)).first()
        if row is None:
            raise NotFoundError(f"edition {edition_id} not found")
        return _load(conn, row)


def editions_for_date(store: Store, newsletter: str, edition_date: date) -> list[Edition]:
    """Every stored edition of ``newsletter`` for ``edition_date``, by language."""
    e = t.editions.c
    query = select(t.editions).where(e.newsletter == newsletter, e.edition_date == edition_date).order_by(e.language)
    with store.engine.connect() as conn:
        return [_load(conn, row) for row in conn.execute(query).all()]


def edition_rows_for_date(store: Store, newsletter: str, edition_date: date) -> list[Edition]:
    """:func:`editions_for_date` without the items (one query): what a report needs."""
    e = t.editions.c
    query = select(t.editions).where(e.newsletter == newsletter, e.edition_date == edition_date).order_by(e.language)
    with store.engine.connect() as conn:
        return [row_to_edition(row) for row in conn.execute(query).all()]


def has_deliveries(store: Store, edition_id: int) -> bool:
    """Whether any delivery row exists for the edition (its sending has started)."""
    with store.engine.connect() as conn:
        return _has_deliveries(conn, edition_id)


def _find_row(conn: Connection, newsletter: str, edition_date: date, language: str, *, lock: bool) -> Any:
    e = t.editions.c
    query = select(t.editions).where(e.newsletter == newsletter, e.edition_date == edition_date, e.language == language)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def _has_deliveries(conn: Connection, edition_id: int) -> bool:
    query = select(exists().where(t.deliveries.c.edition_id == edition_id))
    return bool(conn.execute(query).scalar())


def _row(edition: Edition, now: datetime) -> dict[str, Any]:
    skipped = edition.status is EditionStatus.SKIPPED and not edition.items
    return {
        "status": edition.status.value,
        "word_count": edition.word_count,
        "reading_minutes": edition.reading_minutes,
        "skip_reason": SKIP_REASON_EMPTY if skipped else "",
        "built_at": edition.built_at or now,
    }


def _insert_edition(conn: Connection, edition: Edition, now: datetime) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING; the new id, or None when the row exists."""
    values = {
        "newsletter": edition.newsletter,
        "edition_date": edition.edition_date,
        "language": edition.language,
        **_row(edition, now),
    }
    insert = dialect_insert(conn.dialect.name)
    stmt = insert(t.editions).values(**values).on_conflict_do_nothing().returning(t.editions.c.id)
    new_id = conn.execute(stmt).scalar()
    return None if new_id is None else int(new_id)


def _insert_items(conn: Connection, edition_id: int, items: Sequence[EditionItem]) -> None:
    if not items:
        return
    rows = [
        {
            "edition_id": edition_id,
            "position": item.position,
            "kind": item.kind.value,
            "category": item.category,
            "article_id": item.article_id,
            "url": item.url,
            "title": item.title,
            "summary": item.summary,
            "reading_minutes": item.reading_minutes,
            "also_read": json.dumps(
                [{"title": link.title, "url": link.url, "source": link.source} for link in item.also_read],
                ensure_ascii=False,
            ),
            "source": item.source,
        }
        for item in items
    ]
    conn.execute(t.edition_items.insert(), rows)


def _load(conn: Connection, row: Any) -> Edition:
    items = conn.execute(
        select(t.edition_items).where(t.edition_items.c.edition_id == row.id).order_by(t.edition_items.c.position)
    ).all()
    # An editor's edits (digest.store.desk) are applied on every read: the preview,
    # the test send and the real send all get the edited edition.
    return row_to_edition(row, apply_desk(conn, row.id, [_item(i) for i in items]))


def row_to_edition(row: Any, items: tuple[EditionItem, ...] = ()) -> Edition:
    """An :class:`Edition` from an ``editions`` row and its items (none for a listing)."""
    return Edition(
        id=row.id,
        edition_date=row.edition_date,
        language=row.language,
        items=items,
        word_count=row.word_count,
        reading_minutes=row.reading_minutes,
        newsletter=row.newsletter,
        status=EditionStatus(row.status),
        built_at=row.built_at,
    )


def find_by_id(store: Store, edition_id: int) -> Edition | None:
    """The edition with this id and its items in order, or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(t.editions).where(t.editions.c.id == edition_id)).first()
        return None if row is None else _load(conn, row)


def _item(row: Any) -> EditionItem:
    return t.model_from_row(EditionItem, row, kind=ItemKind(row.kind), also_read=_links(row.also_read))


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


def original_items(store: Store, edition_id: int) -> tuple[EditionItem, ...]:
    """The edition's stories as built, editors' edits not applied (the admin desk shows
    both)."""
    i = t.edition_items.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.edition_items).where(i.edition_id == edition_id).order_by(i.position)).all()
    return tuple(_item(r) for r in rows)
