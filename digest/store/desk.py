"""The editor's desk in the store: story edits and the story order kept beside the
original, and approvals.

An edit never overwrites ``edition_items``: it is a row of ``edition_item_edits`` (text,
drop) or of ``edition_orders`` (the reading order, the pinned lead) that every read of
the edition applies on top (:func:`apply_desk`, called by :mod:`digest.store.editions`),
so the preview, the test send and the real send all show it, and the original stays one
click away. Every change is refused once the edition's first delivery row exists: every
subscriber of a date gets the same content.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, select

from digest.errors import EditionLocked, NotFoundError
from digest.models import Approval, EditionItem, EditionOrder, ItemEdit, ItemKind
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.engine import dialect_insert

__all__ = ["Approval", "EditionLocked", "EditionOrder", "ItemEdit"]


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


def apply_order(items: Sequence[EditionItem], order: EditionOrder | None) -> tuple[EditionItem, ...]:
    """The items in the editor's order, the pinned story first and a top story (pure).
    Stories the order does not list keep their built place after the listed ones."""
    if order is None:
        return tuple(items)
    rank = {position: i for i, position in enumerate(order.positions)}
    ranked = sorted(enumerate(items), key=lambda pair: rank.get(pair[1].position, len(rank) + pair[0]))
    out = [item for _, item in ranked]
    lead = next((i for i, item in enumerate(out) if item.position == order.lead), None)
    if lead is not None:
        pinned = out.pop(lead)
        out.insert(0, dataclasses.replace(pinned, kind=ItemKind.TOP))
    return tuple(out)


def apply_desk(conn: Connection, edition_id: int, items: Sequence[EditionItem]) -> tuple[EditionItem, ...]:
    """The stored items as readers get them: the editor's order, then edits and drops."""
    return apply_edits(apply_order(items, load_order(conn, edition_id)), load_edits(conn, edition_id))


def load_edits(conn: Connection, edition_id: int) -> dict[int, ItemEdit]:
    """The edits of one edition by position."""
    e = t.edition_item_edits.c
    rows = conn.execute(select(t.edition_item_edits).where(e.edition_id == edition_id)).all()
    return {r.position: _edit(r) for r in rows}


def edits(store: Store, edition_id: int) -> dict[int, ItemEdit]:
    """The edits of one edition by position."""
    with store.engine.connect() as conn:
        return load_edits(conn, edition_id)


def load_order(conn: Connection, edition_id: int) -> EditionOrder | None:
    """The editor's order of one edition, or None (as built)."""
    row = conn.execute(select(t.edition_orders).where(t.edition_orders.c.edition_id == edition_id)).first()
    if row is None:
        return None
    try:
        listed = json.loads(row.positions or "[]")
    except ValueError:
        listed = []
    positions = tuple(p for p in listed if isinstance(p, int)) if isinstance(listed, list) else ()
    return EditionOrder(positions, row.lead, row.edited_by, row.edited_at)


def order(store: Store, edition_id: int) -> EditionOrder | None:
    """The editor's order of one edition, or None (as built)."""
    with store.engine.connect() as conn:
        return load_order(conn, edition_id)


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


def require_open(conn: Connection, edition_id: int, what: str = "stories") -> None:
    """EditionLocked once the edition's first delivery row exists."""
    if _started(conn, edition_id):
        raise EditionLocked(f"edition {edition_id}: its delivery has started, {what} can no longer change")


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
        require_open(conn, edition_id)
        return _write_edit(conn, edition_id, original, headline, summary, dropped, by=by, now=now)


def _write_edit(
    conn: Connection,
    edition_id: int,
    original: Any,
    headline: str | None,
    summary: str | None,
    dropped: bool,
    *,
    by: str,
    now: datetime,
) -> ItemEdit | None:
    position = original.position
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


def save_order(
    store: Store, edition_id: int, positions: Sequence[int], *, lead: int | None, by: str, now: datetime
) -> EditionOrder:
    """Store the editor's order of one edition and its pinned lead. EditionLocked once a
    delivery exists; NotFoundError when ``lead`` names no story."""
    with immediate(store.engine) as conn:
        if lead is not None and original_item(conn, edition_id, lead) is None:
            raise NotFoundError(f"edition {edition_id} has no story at position {lead}")
        require_open(conn, edition_id, "its order")
        _write_order(conn, edition_id, positions, lead=lead, by=by, now=now)
    return EditionOrder(tuple(positions), lead, by, now)


def _write_order(
    conn: Connection, edition_id: int, positions: Sequence[int], *, lead: int | None, by: str, now: datetime
) -> None:
    conn.execute(delete(t.edition_orders).where(t.edition_orders.c.edition_id == edition_id))
    values = {"positions": json.dumps(list(positions)), "lead": lead, "edited_by": by, "edited_at": now}
    conn.execute(t.edition_orders.insert().values(edition_id=edition_id, **values))


def approve(store: Store, edition_id: int, *, by: str, now: datetime) -> Approval:
    """Mark the edition approved (a second approval keeps the first)."""
    with immediate(store.engine) as conn:
        if conn.execute(select(t.editions.c.id).where(t.editions.c.id == edition_id)).first() is None:
            raise NotFoundError(f"edition {edition_id} not found")
        stmt = dialect_insert(conn.dialect.name)(t.edition_reviews).values(
            edition_id=edition_id, approved_by=by, approved_at=now
        )
        conn.execute(stmt.on_conflict_do_nothing())
        row = conn.execute(select(t.edition_reviews).where(t.edition_reviews.c.edition_id == edition_id)).one()
    return Approval(edition_id, row.approved_by, row.approved_at)


def withdraw(store: Store, edition_id: int) -> Approval | None:
    """Take the edition's approval back (the one it had, or None when it had none).
    EditionLocked once a delivery exists: what was sent was approved."""
    with immediate(store.engine) as conn:
        if conn.execute(select(t.editions.c.id).where(t.editions.c.id == edition_id)).first() is None:
            raise NotFoundError(f"edition {edition_id} not found")
        require_open(conn, edition_id, "its approval")
        r = t.edition_reviews.c
        row = conn.execute(select(t.edition_reviews).where(r.edition_id == edition_id)).first()
        conn.execute(delete(t.edition_reviews).where(r.edition_id == edition_id))
    return None if row is None else Approval(edition_id, row.approved_by, row.approved_at)


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
    """A rebuilt edition has new stories: its edits, order and approval no longer apply
    as they are (:mod:`digest.store.desk_carry` carries them over by article URL)."""
    conn.execute(delete(t.edition_item_edits).where(t.edition_item_edits.c.edition_id == edition_id))
    conn.execute(delete(t.edition_orders).where(t.edition_orders.c.edition_id == edition_id))
    conn.execute(delete(t.edition_reviews).where(t.edition_reviews.c.edition_id == edition_id))
