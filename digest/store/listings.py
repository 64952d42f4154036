"""Read queries of the admin console: the subscriber list with filters and sorting,
one subscriber's delivery history, the dashboard's counts, failures, the suppression
list and articles by date. Every list is paged, and the subscriber list's filters and
sort orders are served by indexes (see the 0002 migration), so a page costs the same
with 100,000 subscribers as with 100."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, literal, or_, select

from digest.models import Article, DeliveryState, Subscriber, SubscriberQuery, SubscriberStatus
from digest.store import Store
from digest.store import tables as t
from digest.store.articles import row_to_article
from digest.store.subscribers import address_hash, row_to_subscriber


def _like(text: str, *, lower: bool = True) -> str:
    """A LIKE pattern finding ``text`` anywhere (lower-cased: addresses are stored so)."""
    text = text.lower() if lower else text
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _subscriber_filters(q: SubscriberQuery, dialect: str) -> list[ColumnElement[bool]]:
    c = t.subscribers.c
    where: list[ColumnElement[bool]] = []
    if q.text:
        pattern = _like(q.text)
        # Addresses are stored lower-case. SQLite's LIKE ignores ASCII case by itself, and
        # lower() on every row would double the scan's cost; PostgreSQL needs ILIKE.
        name = c.name.ilike(pattern, escape="\\") if dialect == "postgresql" else c.name.like(pattern, escape="\\")
        where.append(or_(c.email.like(pattern, escape="\\"), name))
    # A text or topic search reads every row anyway: status and language are then checked
    # on that scan (``|| ''`` keeps the planner off their index, whose random reads of
    # most of the table would cost more than the scan itself).
    scan = bool(q.text or q.topic)
    if q.status:
        where.append((c.status.concat("") if scan else c.status) == q.status)
    if q.language:
        where.append((c.language.concat("") if scan else c.language) == q.language)
    if q.topic:
        # topics are ";"-joined: match a whole name, not a part of one (the plain LIKE
        # first: it is cheaper and rules out most rows)
        where.append(c.topics.like(_like(q.topic, lower=False), escape="\\"))
        where.append((literal(";") + c.topics + literal(";")).like(_like(f";{q.topic};", lower=False), escape="\\"))
    return where


def find_subscribers(store: Store, q: SubscriberQuery, *, limit: int, offset: int) -> tuple[list[Subscriber], int]:
    """One page of matching subscribers, and how many match in all.

    Filters on status and language use the indexes. A text or topic search reads the
    rows: when the matches are rare, one scan finds them all (their ids), and the page
    is those rows, sorted; when they are common, the count reads every row once and the
    page walks the sort column's index (the first ``limit`` matches are found early,
    where sorting them all would cost more).
    """
    c = t.subscribers.c
    column = {"created": c.created_at, "email": c.email, "name": c.name, "status": c.status,
              "language": c.language}.get(q.sort, c.created_at)  # fmt: skip
    where = _subscriber_filters(q, store.dialect)
    with store.engine.connect() as conn:
        key: Any = column
        # Walking the index visits about (offset + limit) * rows / total rows, each a random
        # read; a scan reads every row once, in order. Below 1 match in 8 rows needed, scan.
        rare = (offset + limit) * 8
        if (q.text or q.topic) and rare <= _FEW_IDS:
            ids = [r[0] for r in conn.execute(select(c.id).where(*where).limit(rare))]
            if len(ids) < rare:  # every match found by one scan: sort just those rows
                return _rows_by_ids(conn, ids, column, q.descending, limit=limit, offset=offset), len(ids)
        total = int(conn.execute(select(func.count()).select_from(t.subscribers).where(*where)).scalar_one())
        if total == 0 or offset >= total:
            return [], total
        if (q.text or q.topic) and rare > total:
            key = func.coalesce(column, column)  # the same order, but no index walk: sort the matches
        order = [key.desc(), c.id.desc()] if q.descending else [key.asc(), c.id.asc()]
        page = select(t.subscribers).where(*where).order_by(*order).limit(limit).offset(offset)
        return [row_to_subscriber(r) for r in conn.execute(page)], total


#: The most ids a search gathers in its one scan (they go into one IN list, which SQLite
#: caps at 999 parameters in older versions): the first two pages of a rare search.
_FEW_IDS = 900


def _rows_by_ids(
    conn: Any, ids: list[int], column: Any, descending: bool, *, limit: int, offset: int
) -> list[Subscriber]:
    """One page of the subscribers with these ids, in the list's order."""
    if not ids:
        return []
    c = t.subscribers.c
    key = func.coalesce(column, column)  # the same order, but no index walk
    order = [key.desc(), c.id.desc()] if descending else [key.asc(), c.id.asc()]
    found = select(t.subscribers).where(c.id.in_(ids)).order_by(*order).limit(limit).offset(offset)
    return [row_to_subscriber(r) for r in conn.execute(found)]


def matching_subscriber_ids(store: Store, q: SubscriberQuery, *, limit: int | None = None) -> list[int]:
    """The ids of every subscriber matching the console's filters (not its sort), in id
    order: what a bulk action on "all matching this filter" works on."""
    where = _subscriber_filters(q, store.dialect)
    query = select(t.subscribers.c.id).where(*where).order_by(t.subscribers.c.id)
    if limit is not None:
        query = query.limit(limit)
    with store.engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(query)]


def subscribers_by_ids(store: Store, ids: Sequence[int]) -> list[Subscriber]:
    """The subscribers with these ids, in id order (unknown ids are left out)."""
    found: list[Subscriber] = []
    with store.engine.connect() as conn:
        for first in range(0, len(ids), 500):  # bound the size of each IN list
            part = list(ids[first : first + 500])
            rows = conn.execute(select(t.subscribers).where(t.subscribers.c.id.in_(part)))
            found.extend(row_to_subscriber(r) for r in rows)
    return sorted(found, key=lambda s: s.id or 0)


@dataclass(frozen=True)
class Attempt:
    """One try at sending a delivery, with the server's reply."""

    at: datetime
    code: int | None
    message: str
    outcome: str


@dataclass(frozen=True)
class HistoryRow:
    """One edition's delivery to a subscriber."""

    delivery_id: int
    edition_id: int
    edition_date: Any
    language: str
    state: str
    sent_at: datetime | None
    last_code: int | None
    last_error: str
    attempts: tuple[Attempt, ...]


def delivery_history(store: Store, subscriber_id: int, *, limit: int = 30) -> list[HistoryRow]:
    """The subscriber's latest deliveries, newest edition first, each with its attempts."""
    d, e, a = t.deliveries.c, t.editions.c, t.delivery_attempts.c
    query = (
        select(d.id, d.edition_id, e.edition_date, e.language, d.state, d.sent_at, d.last_code, d.last_error)
        .join(t.editions, e.id == d.edition_id)
        .where(d.subscriber_id == subscriber_id)
        .order_by(e.edition_date.desc(), d.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
        ids = [r.id for r in rows]
        attempts: dict[int, list[Attempt]] = {}
        if ids:
            for r in conn.execute(select(t.delivery_attempts).where(a.delivery_id.in_(ids)).order_by(a.at, a.id)):
                attempts.setdefault(r.delivery_id, []).append(Attempt(r.at, r.code, r.message, r.outcome))
    return [
        HistoryRow(
            r.id,
            r.edition_id,
            r.edition_date,
            r.language,
            r.state,
            r.sent_at,
            r.last_code,
            r.last_error,
            tuple(attempts.get(r.id, ())),
        )
        for r in rows
    ]


def subscriber_activity(store: Store, *, since: datetime) -> tuple[int, int]:
    """(confirmations, unsubscribes) since ``since``."""
    c = t.subscribers.c
    with store.engine.connect() as conn:
        confirmed = conn.execute(select(func.count()).where(c.confirmed_at >= since)).scalar_one()
        left = conn.execute(select(func.count()).where(c.unsubscribed_at >= since)).scalar_one()
    return int(confirmed), int(left)


@dataclass(frozen=True)
class Failure:
    """A delivery that failed for good, with the server's last reply."""

    delivery_id: int
    edition_id: int
    edition_date: Any
    language: str
    subscriber_id: int
    email: str
    attempts: int
    last_code: int | None
    last_error: str
    updated_at: datetime


def failures(store: Store, *, edition_ids: Sequence[int] | None = None, limit: int = 100) -> list[Failure]:
    """The latest failed deliveries, newest first."""
    with store.engine.connect() as conn:
        return [Failure(*row) for row in conn.execute(failures_query(edition_ids=edition_ids, limit=limit))]


def failures_query(*, edition_ids: Sequence[int] | None = None, limit: int = 100) -> Any:
    """:func:`failures`' query: the failed rows off ix_deliveries_failed_updated (0016),
    newest first, and the edition and subscriber of just those."""
    d, e, s = t.deliveries.c, t.editions.c, t.subscribers.c
    query = (
        select(
            d.id,
            d.edition_id,
            e.edition_date,
            e.language,
            d.subscriber_id,
            s.email,
            d.attempts,
            d.last_code,
            d.last_error,
            d.updated_at,
        )
        .join(t.editions, e.id == d.edition_id)
        .join(t.subscribers, s.id == d.subscriber_id)
        .where(d.state == DeliveryState.FAILED.value)
        .order_by(d.updated_at.desc(), d.id.desc())
        .limit(limit)
    )
    if edition_ids is not None:
        query = query.where(d.edition_id.in_(list(edition_ids)))
    return query


@dataclass(frozen=True)
class SuppressionRow:
    """An entry of the suppression list (only a hash of the address is kept)."""

    id: int
    email_hash: str
    reason: str
    detail: str
    created_at: datetime


def suppressions(
    store: Store, *, address: str = "", limit: int = 50, offset: int = 0
) -> tuple[list[SuppressionRow], int]:
    """One page of the suppression list, newest first; ``address`` finds its entry."""
    c = t.suppressions.c
    where = [c.email_hash == address_hash(address)] if address else []
    page = select(t.suppressions).where(*where).order_by(c.created_at.desc(), c.id.desc()).limit(limit).offset(offset)
    with store.engine.connect() as conn:
        rows = [SuppressionRow(r.id, r.email_hash, r.reason, r.detail, r.created_at) for r in conn.execute(page)]
        total = int(conn.execute(select(func.count()).select_from(t.suppressions).where(*where)).scalar_one())
    return rows, total


def remove_suppression(store: Store, suppression_id: int) -> SuppressionRow | None:
    """Delete one entry; the entry removed, or None when there was none."""
    c = t.suppressions.c
    with store.engine.begin() as conn:
        row = conn.execute(select(t.suppressions).where(c.id == suppression_id)).first()
        if row is None:
            return None
        conn.execute(delete(t.suppressions).where(c.id == suppression_id))
    return SuppressionRow(row.id, row.email_hash, row.reason, row.detail, row.created_at)


def articles_between(
    store: Store, start: datetime, end: datetime, *, text: str = "", limit: int = 200
) -> list[Article]:
    """Articles published in [start, end), newest first, optionally matching ``text`` in the title."""
    c = t.articles.c
    where = [and_(c.published_at >= start, c.published_at < end)]
    if text:
        where.append(func.lower(c.title).like(_like(text), escape="\\"))
    query = select(t.articles).where(*where).order_by(c.published_at.desc(), c.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        return [row_to_article(r) for r in conn.execute(query)]


def status_counts(store: Store) -> dict[str, int]:
    """Subscribers by status (every status listed)."""
    counts = {s.value: 0 for s in SubscriberStatus}
    c = t.subscribers.c
    with store.engine.connect() as conn:
        for status, n in conn.execute(select(c.status, func.count()).group_by(c.status)):
            counts[status] = int(n)
    return counts
