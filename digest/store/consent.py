"""Subscription requests kept apart, the confirmation-mail log and recorded overrides.

* A request made through the anonymous form for an address already on the list is a
  row of ``subscription_requests``; the subscriber row is untouched until the person
  confirms through the emailed link (:func:`take_request`).
* ``confirmation_mails`` counts the confirmation mails anonymous visitors caused, per
  address hash and in total, so the limits hold across processes and restarts.
* ``suppression_overrides`` records each time an admin put a suppressed address back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import delete, func, insert, select, text, update

from digest.models import Consent
from digest.store import tables as t
from digest.store.subscribers import HasProfile, Tx, address_hash, profile_columns, row_profile, row_to_consent


@dataclass(frozen=True)
class Request:
    """A pending request to (re)subscribe an address already on the list."""

    id: int
    subscriber_id: int
    name: str
    language: str
    topics: tuple[str, ...]
    timezone: str
    send_at: time | None
    consent: Consent
    applied_at: datetime | None


def add_request(tx: Tx, subscriber_id: int, profile: HasProfile, *, consent: Consent, now: datetime) -> int:
    """Store a request for ``subscriber_id``; its id (the emailed link names it)."""
    result = tx.execute(
        insert(t.subscription_requests).values(
            subscriber_id=subscriber_id, **profile_columns(profile, consent), created_at=now
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_request(tx: Tx, request_id: int) -> Request | None:
    """The request with this id, or None."""
    r = t.subscription_requests.c
    row = tx.execute(select(t.subscription_requests).where(r.id == request_id)).first()
    if row is None:
        return None
    consent = row_to_consent(row)
    assert consent is not None  # a request always records its consent (NOT NULL)
    return Request(
        id=row.id,
        subscriber_id=row.subscriber_id,
        **row_profile(row),
        consent=consent,
        applied_at=row.applied_at,
    )


def mark_applied(tx: Tx, request: Request, *, now: datetime) -> None:
    """The person confirmed ``request``: it is done, and their other open requests
    (made by anyone, never confirmed) are dropped."""
    r = t.subscription_requests.c
    tx.execute(update(t.subscription_requests).where(r.id == request.id).values(applied_at=now))
    tx.execute(
        delete(t.subscription_requests).where(
            r.subscriber_id == request.subscriber_id, r.id != request.id, r.applied_at.is_(None)
        )
    )


def forget_requests(tx: Tx, subscriber_id: int) -> None:
    """Erase every request of a subscriber (their personal data)."""
    tx.execute(delete(t.subscription_requests).where(t.subscription_requests.c.subscriber_id == subscriber_id))


def reserve_confirmation(tx: Tx, address: str, *, per_address_per_day: int, per_hour: int, now: datetime) -> bool:
    """Count one confirmation mail to ``address`` unless that would pass a limit
    (``per_address_per_day`` to one address in 24 hours, ``per_hour`` in total); True
    when the mail may go. Run it in a :func:`~digest.store.subscribers.transaction`."""
    if tx.dialect.name == "postgresql":
        # SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs a lock so
        # that two processes cannot both count "one left" and both send.
        tx.execute(text("SELECT pg_advisory_xact_lock(160016)"))
    c = t.confirmation_mails.c
    key = address_hash(address)
    tx.execute(delete(t.confirmation_mails).where(c.sent_at < now - timedelta(days=2)))
    to_address = tx.execute(
        select(func.count()).where(c.email_hash == key, c.sent_at > now - timedelta(days=1))
    ).scalar_one()
    in_hour = tx.execute(select(func.count()).where(c.sent_at > now - timedelta(hours=1))).scalar_one()
    if to_address >= per_address_per_day or in_hour >= per_hour:
        return False
    tx.execute(insert(t.confirmation_mails).values(email_hash=key, sent_at=now))
    return True


def record_override(tx: Tx, address: str, *, reason: str, source: str, detail: str, now: datetime) -> None:
    """Record that an admin lifted ``address``'s suppression (``reason``)."""
    tx.execute(
        insert(t.suppression_overrides).values(
            email_hash=address_hash(address), reason=reason, source=source, detail=detail[:500], at=now
        )
    )


def overrides(tx: Tx, address: str) -> list[tuple[str, str, datetime]]:
    """The recorded overrides of ``address``: (reason lifted, source, when), oldest first."""
    o = t.suppression_overrides.c
    rows = tx.execute(
        select(o.reason, o.source, o.at).where(o.email_hash == address_hash(address)).order_by(o.id)
    ).all()
    return [(r.reason, r.source, r.at) for r in rows]
