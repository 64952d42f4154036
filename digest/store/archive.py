"""Stored editions as the web shows them: the "view in browser" page, the public
archive and the admin API's edition list. Read-only (delivery status: digest.daily.status).

An edition is public once its first send time has passed and either all its sends are
finished (no delivery pending, sending, retrying or held) or its ``after`` time has
come: its latest send time by default, or, when the caller gives ``public_before``
(from ``[web] archive_after``), for editions dated before that day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select

from digest.models import DeliveryState, Edition, EditionStatus
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


#: Delivery states whose send is not finished.
OPEN_STATES = (
    DeliveryState.PENDING.value,
    DeliveryState.SENDING.value,
    DeliveryState.RETRY.value,
    DeliveryState.HELD.value,
)


def _sends() -> Any:
    """Per edition: its first and latest send times and how many sends are unfinished."""
    d = t.deliveries.c
    unfinished = func.sum(case((d.state.in_(OPEN_STATES), 1), else_=0))
    return (
        select(
            d.edition_id,
            func.min(d.due_at).label("first_send"),
            func.max(d.due_at).label("last_send"),
            unfinished.label("unfinished"),
        )
        .group_by(d.edition_id)
        .subquery()
    )


def _public(sends: Any, now: datetime, public_before: date | None) -> Any:
    """The condition for an edition (joined with :func:`_sends`) to be public at ``now``."""
    e = t.editions.c
    after = sends.c.last_send <= now if public_before is None else e.edition_date < public_before
    return (e.status != EditionStatus.SKIPPED.value) & (sends.c.first_send <= now) & ((sends.c.unfinished == 0) | after)


def published(
    store: Store, *, now: datetime, limit: int, offset: int = 0, public_before: date | None = None
) -> tuple[list[Edition], int]:
    """Public editions (see the module's docstring), newest first, without their items;
    and how many there are in all."""
    sends = _sends()
    e = t.editions.c
    past = _public(sends, now, public_before)
    joined = t.editions.join(sends, sends.c.edition_id == e.id)
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


def published_edition(
    store: Store, edition_date: date, language: str, *, now: datetime, public_before: date | None = None
) -> Edition | None:
    """The public edition of that date and language, with its items; None when there is
    none or it is not public yet."""
    sends = _sends()
    e = t.editions.c
    query = (
        select(e.id)
        .select_from(t.editions.join(sends, sends.c.edition_id == e.id))
        .where(e.edition_date == edition_date, e.language == language)
        .where(_public(sends, now, public_before))
        .order_by(e.id.desc())
        .limit(1)
    )
    with store.engine.connect() as conn:
        found = conn.execute(query).scalar()
    return find_by_id(store, int(found)) if found is not None else None


def is_published(store: Store, edition_id: int, *, now: datetime, public_before: date | None = None) -> bool:
    """Whether the edition is public at ``now``."""
    sends = _sends()
    e = t.editions.c
    query = (
        select(e.id)
        .select_from(t.editions.join(sends, sends.c.edition_id == e.id))
        .where(e.id == edition_id, _public(sends, now, public_before))
    )
    with store.engine.connect() as conn:
        return conn.execute(query).first() is not None
