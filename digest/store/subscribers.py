"""Subscriber and suppression queries: the store's side of digest.subscribers.membership.

Addresses are stored normalised (see :func:`digest.subscribers.membership.normalise_address`).
The suppression list holds only :func:`address_hash` of an address, so a subscriber
whose data was erased stays suppressed without their address being kept.

Functions take a :class:`Store` (each call is its own transaction) or a :data:`Tx`
from :func:`transaction` (several calls in one unit of work).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Protocol

from sqlalchemy import Connection, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from digest import models
from digest.errors import StoreError
from digest.models import Consent, Subscriber, SubscriberStatus
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.engine import dialect_insert

#: A unit of work: pass it to the functions below to run them in one transaction.
Tx = Connection

#: Statuses that are not sent to and must not come back without a new consent.
SUPPRESSED_STATUSES = models.SUPPRESSED_STATUSES

_CHUNK = 500  # values per IN (...) list


@dataclass(frozen=True)
class Suppression:
    """An entry of the suppression list."""

    reason: str  # unsubscribed, hard_bounce, soft_bounce, complaint, forgotten, manual
    detail: str
    created_at: datetime


def address_hash(address: str) -> str:
    """SHA-256 (hex) of an address, trimmed and lower-cased: the suppression key."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


@contextmanager
def transaction(store: Store) -> Iterator[Tx]:
    """One unit of work holding the write lock (BEGIN IMMEDIATE on SQLite).

    A concurrent writer that got there first (same address inserted meanwhile) rolls
    the whole unit back and surfaces as a StoreError.
    """
    try:
        with immediate(store.engine) as conn:
            yield conn
    except IntegrityError as exc:
        raise StoreError(f"a concurrent change conflicted, nothing was written; try again ({exc.orig})") from None


@contextmanager
def _using(target: Store | Tx) -> Iterator[Connection]:
    if isinstance(target, Connection):
        yield target
    else:
        with target.engine.begin() as conn:
            yield conn


def _format_time(value: time | None) -> str:
    return value.strftime("%H:%M") if value is not None else ""


def _parse_time(value: str) -> time | None:
    if not value:
        return None
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


class HasProfile(Protocol):
    """What a subscriber and a request kept apart both have: the person-chosen fields."""

    @property
    def name(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def topics(self) -> tuple[str, ...]: ...
    @property
    def timezone(self) -> str: ...
    @property
    def send_at(self) -> time | None: ...


def profile_columns(profile: HasProfile, consent: Consent | None) -> dict[str, Any]:
    """Column values of the profile fields and the consent record, as the rows that
    keep them (subscribers, subscription requests) store them."""
    return {
        "name": profile.name,
        "language": profile.language,
        "topics": ";".join(profile.topics),
        "timezone": profile.timezone,
        "send_at": _format_time(profile.send_at),
        "consent_at": consent.at if consent else None,
        "consent_source": consent.source if consent else "",
        "consent_ip": consent.ip if consent else "",
        "consent_user_agent": consent.user_agent[:500] if consent else "",
        "consent_text_version": consent.text_version if consent else "",
    }


def row_profile(row: Any) -> dict[str, Any]:
    """The profile fields of such a row, as keyword arguments of a model."""
    return {
        "name": row.name,
        "language": row.language,
        "topics": tuple(x for x in row.topics.split(";") if x),
        "timezone": row.timezone,
        "send_at": _parse_time(row.send_at),
    }


def row_to_consent(row: Any) -> Consent | None:
    """The consent record of a row with ``consent_*`` columns (subscribers, requests)."""
    if row.consent_at is None:
        return None
    return Consent(
        at=row.consent_at,
        source=row.consent_source,
        ip=row.consent_ip,
        user_agent=row.consent_user_agent,
        text_version=row.consent_text_version,
    )


def row_to_subscriber(row: Any) -> Subscriber:
    """A :class:`Subscriber` from a ``subscribers`` row."""
    return Subscriber(
        id=row.id,
        email=row.email,
        **row_profile(row),
        status=SubscriberStatus(row.status),
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        unsubscribed_at=row.unsubscribed_at,
        consent=row_to_consent(row),
    )


def _row_values(sub: Subscriber) -> dict[str, Any]:
    """Column values for ``sub`` (everything but id and bookkeeping)."""
    return {
        "email": sub.email,
        **profile_columns(sub, sub.consent),
        "status": sub.status.value,
        "confirmed_at": sub.confirmed_at,
        "unsubscribed_at": sub.unsubscribed_at,
    }


# Reading --------------------------------------------------------------------------


def get(target: Store | Tx, subscriber_id: int) -> Subscriber | None:
    """The subscriber with this id, or None."""
    with _using(target) as conn:
        row = conn.execute(select(t.subscribers).where(t.subscribers.c.id == subscriber_id)).first()
    return row_to_subscriber(row) if row is not None else None


def by_email(target: Store | Tx, email: str) -> Subscriber | None:
    """The subscriber with this (normalised) address, or None."""
    with _using(target) as conn:
        row = conn.execute(select(t.subscribers).where(t.subscribers.c.email == email)).first()
    return row_to_subscriber(row) if row is not None else None


def by_emails(target: Store | Tx, emails: Iterable[str]) -> dict[str, Subscriber]:
    """Subscribers for each of these normalised addresses that exists, by address."""
    found: dict[str, Subscriber] = {}
    wanted = list(dict.fromkeys(emails))
    with _using(target) as conn:
        for i in range(0, len(wanted), _CHUNK):
            query = select(t.subscribers).where(t.subscribers.c.email.in_(wanted[i : i + _CHUNK]))
            for row in conn.execute(query):
                found[row.email] = row_to_subscriber(row)
    return found


def _filtered(query: Any, status: SubscriberStatus | None, search: str | None) -> Any:
    c = t.subscribers.c
    if status is not None:
        query = query.where(c.status == status.value)
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(func.lower(c.email).like(pattern, escape="\\"), func.lower(c.name).like(pattern, escape="\\"))
        )
    return query


def search(
    target: Store | Tx,
    *,
    status: SubscriberStatus | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Subscriber]:
    """Subscribers by id, optionally of one status and matching ``text`` in address or name."""
    query = _filtered(select(t.subscribers), status, text).order_by(t.subscribers.c.id)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    with _using(target) as conn:
        return [row_to_subscriber(r) for r in conn.execute(query)]


def count(target: Store | Tx, *, status: SubscriberStatus | None = None, text: str | None = None) -> int:
    """How many subscribers :func:`search` would return without a limit."""
    query = _filtered(select(func.count()).select_from(t.subscribers), status, text)
    with _using(target) as conn:
        return int(conn.execute(query).scalar_one())


def iter_all(store: Store, *, batch: int = 1000) -> Iterator[Subscriber]:
    """Every subscriber by id, read in batches (never the whole list in memory)."""
    return in_batches(store, [], batch=batch)


def in_batches(store: Store, conditions: Sequence[Any], *, batch: int) -> Iterator[Subscriber]:
    """The subscribers matching ``conditions``, by id, read ``batch`` rows at a time
    (keyset pagination: each query starts after the last id seen)."""
    last = 0
    while True:
        c = t.subscribers.c
        query = select(t.subscribers).where(*conditions, c.id > last).order_by(c.id).limit(batch)
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield row_to_subscriber(row)
        last = rows[-1].id


def known_categories(target: Store | Tx) -> list[str]:
    """Categories seen on stored articles and registered feeds, sorted."""
    query = select(t.articles.c.category).distinct().union(select(t.feeds.c.category).distinct())
    with _using(target) as conn:
        return sorted({c for (c,) in conn.execute(query) if c})


# Writing --------------------------------------------------------------------------


def insert_subscriber(target: Store | Tx, sub: Subscriber, *, now: datetime) -> int:
    """Insert ``sub`` (its ``created_at`` kept when set); returns the new id."""
    values = _row_values(sub) | {"created_at": sub.created_at or now, "updated_at": now}
    with _using(target) as conn:
        new_id = conn.execute(insert(t.subscribers).values(**values)).inserted_primary_key
    assert new_id is not None
    return int(new_id[0])


def insert_subscribers(target: Store | Tx, subs: Sequence[Subscriber], *, now: datetime) -> list[int]:
    """Insert ``subs`` in one statement per batch (an import's thousands of rows); their
    new ids, in order."""
    if not subs:
        return []
    rows = [_row_values(s) | {"created_at": s.created_at or now, "updated_at": now} for s in subs]
    statement = insert(t.subscribers).returning(t.subscribers.c.id, sort_by_parameter_order=True)
    with _using(target) as conn:
        return [int(r[0]) for r in conn.execute(statement, rows)]


def update_subscriber(target: Store | Tx, sub: Subscriber, *, now: datetime) -> None:
    """Write every field of ``sub`` (which must have an id) back to its row."""
    assert sub.id is not None
    with _using(target) as conn:
        conn.execute(
            update(t.subscribers).where(t.subscribers.c.id == sub.id).values(**_row_values(sub), updated_at=now)
        )


def erase(target: Store | Tx, subscriber_id: int, *, now: datetime) -> None:
    """Erase a subscriber's personal data, keeping an anonymous row so that edition
    statistics still add up. The address also disappears from delivery errors."""
    with _using(target) as conn:
        row = conn.execute(select(t.subscribers.c.email).where(t.subscribers.c.id == subscriber_id)).first()
        if row is None:
            return
        email = row.email
        conn.execute(
            update(t.subscribers)
            .where(t.subscribers.c.id == subscriber_id)
            .values(
                # .invalid is reserved (RFC 2606): never a real address, and unique by id.
                email=f"forgotten-{subscriber_id}@forgotten.invalid",
                name="",
                topics="",
                timezone="",
                send_at="",
                status=SubscriberStatus.FORGOTTEN.value,
                consent_ip="",
                consent_user_agent="",
                unsubscribed_at=func.coalesce(t.subscribers.c.unsubscribed_at, now),
                updated_at=now,
            )
        )
        d = t.deliveries.c
        conn.execute(
            update(t.deliveries)
            .where(d.subscriber_id == subscriber_id)
            .values(last_error=func.replace(d.last_error, email, "[erased]"))
        )
        ids = select(d.id).where(d.subscriber_id == subscriber_id).scalar_subquery()
        a = t.delivery_attempts.c
        conn.execute(
            update(t.delivery_attempts)
            .where(a.delivery_id.in_(ids))
            .values(message=func.replace(a.message, email, "[erased]"))
        )


# Suppressions ---------------------------------------------------------------------


def suppression(target: Store | Tx, address: str) -> Suppression | None:
    """The suppression entry for ``address``, or None."""
    s = t.suppressions.c
    with _using(target) as conn:
        row = conn.execute(
            select(s.reason, s.detail, s.created_at).where(s.email_hash == address_hash(address))
        ).first()
    return Suppression(row.reason, row.detail, row.created_at) if row is not None else None


def suppressions_for(target: Store | Tx, addresses: Sequence[str]) -> dict[str, Suppression]:
    """Suppression entries of the suppressed ones among ``addresses``, by address."""
    by_hash = {address_hash(a): a for a in addresses}
    hashes = list(by_hash)
    out: dict[str, Suppression] = {}
    s = t.suppressions.c
    with _using(target) as conn:
        for i in range(0, len(hashes), _CHUNK):
            query = select(s.email_hash, s.reason, s.detail, s.created_at).where(
                s.email_hash.in_(hashes[i : i + _CHUNK])
            )
            for row in conn.execute(query):
                out[by_hash[row.email_hash]] = Suppression(row.reason, row.detail, row.created_at)
    return out


def suppress(target: Store | Tx, address: str, reason: str, *, now: datetime, detail: str = "") -> bool:
    """Add ``address`` to the suppression list; False when it already was there (the
    first reason is kept)."""
    values = {"email_hash": address_hash(address), "reason": reason, "detail": detail, "created_at": now}
    with _using(target) as conn:
        insert_ = dialect_insert(conn.dialect.name)
        stmt = insert_(t.suppressions).values(**values).on_conflict_do_nothing(index_elements=["email_hash"])
        return bool(conn.execute(stmt).rowcount)


def suppress_many(target: Store | Tx, entries: Sequence[tuple[str, str, datetime, str]]) -> None:
    """Add each ``(address, reason, when, detail)`` to the suppression list in one
    statement (an import's unsubscribed rows); an address already there keeps its entry."""
    if not entries:
        return
    rows = [{"email_hash": address_hash(a), "reason": r, "detail": d, "created_at": w} for a, r, w, d in entries]
    with _using(target) as conn:
        insert_ = dialect_insert(conn.dialect.name)
        conn.execute(insert_(t.suppressions).on_conflict_do_nothing(index_elements=["email_hash"]), rows)


def unsuppress(target: Store | Tx, address: str) -> bool:
    """Remove ``address`` from the suppression list; False when it was not there."""
    with _using(target) as conn:
        result = conn.execute(delete(t.suppressions).where(t.suppressions.c.email_hash == address_hash(address)))
    return bool(result.rowcount)
