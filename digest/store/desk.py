"""The editor's desk in the store: story edits kept beside the original, and approvals.

An edit never overwrites ``edition_items``: it is a row of ``edition_item_edits`` that
every read of the edition applies on top (:func:`apply_edits`, called by
:mod:`digest.store.editions`), so the preview, the test send and the real send all
show it, and the original stays one click away. Edits are refused once the edition's
first delivery row exists: every subscriber of a date gets the same content.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from digest.errors import DigestError, NotFoundError
from digest.models import EditionItem
from digest.store import Store, immediate
from digest.store import tables as t


class EditionLocked(DigestError):
    """The edition's delivery has started: its content can no longer change."""

    exit_code = 1


@dataclass(frozen=True)
class ItemEdit:
    """An editor's change to the story at ``position`` (None keeps the original text)."""

    position: int
    headline: str | None
    summary: str | None
    dropped: bool
    edited_by: str
    edited_at: datetime


@dataclass(frozen=True)
class Approval:
    """Who approved an edition, and when."""

    edition_id: int
    approved_by: str
    approved_at: datetime


def apply_edits(items: Sequence[EditionItem], edits: Mapping[int, ItemEdit]) -> tuple[EditionItem, ...]:
    """The items as readers get them: edited text in place, dropped stories left out
    (pure; the original items are not changed)."""
    out: list[EditionItem] = []
    for item in items:
        edit = edits.get(item.position)
        if edit is None:
            out.append(item)
            continue
        if edit.dropped:
            continue
        out.append(
            dataclasses.replace(
                item,
                title=item.title if edit.headline is None else edit.headline,
                summary=item.summary if edit.summary is None else edit.summary,
            )
        )
    return tuple(out)


def load_edits(conn: Connection, edition_id: int) -> dict[int, ItemEdit]:
    """The edits of one edition by position."""
    e = t.edition_item_edits.c
    rows = conn.execute(select(t.edition_item_edits).where(e.edition_id == edition_id)).all()
    return {r.position: _edit(r) for r in rows}


def edits(store: Store, edition_id: int) -> dict[int, ItemEdit]:
    """The edits of one edition by position."""
    with store.engine.connect() as conn:
        return load_edits(conn, edition_id)


def _edit(row: Any) -> ItemEdit:
    return ItemEdit(
        position=row.position,
        headline=row.headline,
        summary=row.summary,
        dropped=bool(row.dropped),
        edited_by=row.edited_by,
        edited_at=row.edited_at,
    )


def _started(conn: Connection, edition_id: int) -> bool:
    return bool(conn.execute(select(exists().where(t.deliveries.c.edition_id == edition_id))).scalar())


def original_item(conn: Connection, edition_id: int, position: int) -> Any:
    """The stored (unedited) item row, or None."""
    i = t.edition_items.c
    return conn.execute(select(t.edition_items).where(i.edition_id == edition_id, i.position == position)).first()


def save_edit(
    store: Store,
    edition_id: int,
    position: int,
    *,
    headline: str | None,
    summary: str | None,
    dropped: bool,
    by: str,
    now: datetime,
) -> ItemEdit | None:
    """Store the edit of one story (text equal to the original counts as unedited);
    None when nothing differs any more from the original. EditionLocked once a
    delivery exists; NotFoundError for an unknown story."""
    with immediate(store.engine) as conn:
        original = original_item(conn, edition_id, position)
        if original is None:
            raise NotFoundError(f"edition {edition_id} has no story at position {position}")
        if _started(conn, edition_id):
            raise EditionLocked(f"edition {edition_id}: its delivery has started, stories can no longer change")
        headline = None if headline is None or headline == original.title else headline
        summary = None if summary is None or summary == original.summary else summary
        e = t.edition_item_edits.c
        conn.execute(delete(t.edition_item_edits).where(e.edition_id == edition_id, e.position == position))
        if headline is None and summary is None and not dropped:
            return None
        values = {
            "edition_id": edition_id,
            "position": position,
            "headline": headline,
            "summary": summary,
            "dropped": dropped,
            "edited_by": by,
            "edited_at": now,
        }
        conn.execute(t.edition_item_edits.insert().values(**values))
    return ItemEdit(position, headline, summary, dropped, by, now)


def approve(store: Store, edition_id: int, *, by: str, now: datetime) -> Approval:
    """Mark the edition approved (a second approval keeps the first)."""
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    with store.engine.begin() as conn:
        if conn.execute(select(t.editions.c.id).where(t.editions.c.id == edition_id)).first() is None:
            raise NotFoundError(f"edition {edition_id} not found")
        stmt = insert(t.edition_reviews).values(edition_id=edition_id, approved_by=by, approved_at=now)
        conn.execute(stmt.on_conflict_do_nothing())
        row = conn.execute(select(t.edition_reviews).where(t.edition_reviews.c.edition_id == edition_id)).one()
    return Approval(edition_id, row.approved_by, row.approved_at)


def approval(store: Store, edition_id: int) -> Approval | None:
    """The edition's approval, or None while it is not approved."""
    with store.engine.connect() as conn:
        row = conn.execute(select(t.edition_reviews).where(t.edition_reviews.c.edition_id == edition_id)).first()
    return None if row is None else Approval(edition_id, row.approved_by, row.approved_at)


def approvals(store: Store, edition_ids: Sequence[int]) -> dict[int, Approval]:
    """The approvals among ``edition_ids``."""
    if not edition_ids:
        return {}
    r = t.edition_reviews.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.edition_reviews).where(r.edition_id.in_(list(edition_ids)))).all()
    return {row.edition_id: Approval(row.edition_id, row.approved_by, row.approved_at) for row in rows}


def clear_on_rebuild(conn: Connection, edition_id: int) -> None:
    """A rebuilt edition has new stories: its edits and approval no longer apply."""
    conn.execute(delete(t.edition_item_edits).where(t.edition_item_edits.c.edition_id == edition_id))
    conn.execute(delete(t.edition_reviews).where(t.edition_reviews.c.edition_id == edition_id))
