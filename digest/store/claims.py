"""The claim protocol: a sender leases a batch of due rows, marks each ``sending`` just
before its SMTP transaction, renews the lease while it works and gives back what it did
not start. Rows left ``sending`` by a sender that stopped are settled by the in-flight
policy before the next claim.

``FOR UPDATE SKIP LOCKED`` on PostgreSQL and ``BEGIN IMMEDIATE`` on SQLite: two senders
never hold the same row. Every write after the claim is guarded by ``claimed_by``.
Outcomes are written by :func:`digest.store.outcomes.record`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from digest.models import DeliveryState, Subscriber, SubscriberStatus
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.deliveries import CHUNK, WAITING, D, S, skip_rows
from digest.store.subscribers import row_to_subscriber
from digest.store.tracking import tracking_consented


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery row a sender holds, with its subscriber: what a message is made for."""

    id: int
    edition_id: int
    subscriber: Subscriber
    due_at: datetime
    attempts: int  # attempts already made (a crash-interrupted one included)
    state: DeliveryState  # PENDING or RETRY at claim time


def claim(
    store: Store,
    sender_id: str,
    *,
    batch: int,
    now: datetime,
    lease: timedelta,
    in_flight_policy: str = "resend",
    edition_ids: Collection[int] | None = None,
    dead_senders: Collection[str] = (),
) -> list[ClaimedDelivery]:
    """Claim up to ``batch`` due rows for ``sender_id`` until ``now + lease``.

    First, rows left ``sending`` by a sender whose lease expired (or that is known dead,
    ``dead_senders``) are settled by ``in_flight_policy`` (:func:`settle_in_flight`).
    Then due pending rows, then due retries, oldest first, are claimed. Rows whose
    subscriber is no longer confirmed are skipped, not returned.
    """
    dead = list(dead_senders)
    editions = list(edition_ids) if edition_ids is not None else None
    with immediate(store.engine) as conn:
        settle_in_flight(conn, now=now, policy=in_flight_policy, dead=dead, editions=editions)
        ids: list[int] = []
        # Equalities only (one state, one edition per query), so an index gives the
        # (due_at, id) order and the query stops after the batch: O(batch), not O(table).
        scopes = [(state, edition) for state in WAITING for edition in (editions if editions is not None else [None])]
        for state, edition in scopes:
            query = due_rows(state, now=now, edition=edition, dead=dead).limit(batch - len(ids))
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids += conn.execute(query).scalars().all()
            if len(ids) >= batch:
                break
        if not ids:
            return []
        conn.execute(
            update(t.deliveries)
            .where(D.id.in_(ids))
            .values(claimed_by=sender_id, lease_until=now + lease, updated_at=now)
        )
        rows = conn.execute(
            select(
                D.id.label("delivery_id"),
                D.edition_id,
                D.due_at,
                D.attempts,
                D.state.label("delivery_state"),
                t.subscribers,
                tracking_consented(S.id).label("tracking_consent"),
            )
            .join(t.subscribers, S.id == D.subscriber_id)
            .where(D.id.in_(ids))
            .order_by(D.due_at, D.id)
        ).all()
        gone: dict[str, list[int]] = {}
        for r in rows:
            if r.status != SubscriberStatus.CONFIRMED.value:
                gone.setdefault(r.status, []).append(r.delivery_id)
        for status, gone_ids in gone.items():
            skip_rows(conn, D.id.in_(gone_ids), reason=f"not sent: the subscriber is {status}", now=now)
    return [
        ClaimedDelivery(
            id=r.delivery_id,
            edition_id=r.edition_id,
            subscriber=replace(row_to_subscriber(r), tracking_consent=bool(r.tracking_consent)),
            due_at=r.due_at,
            attempts=r.attempts,
            state=DeliveryState(r.delivery_state),
        )
        for r in rows
        if r.status == SubscriberStatus.CONFIRMED.value
    ]


def due_rows(state: str, *, now: datetime, edition: int | None = None, dead: Collection[str] = ()) -> Any:
    """Ids of claimable rows in ``state`` (due, not leased to a live sender), oldest
    first: the query a claim limits to its batch."""
    free = or_(D.claimed_by.is_(None), D.lease_until < now)
    if dead:
        free = or_(free, D.claimed_by.in_(list(dead)))
    query = select(D.id).where(D.state == state, D.due_at <= now, free)
    if edition is not None:
        query = query.where(D.edition_id == edition)
    return query.order_by(D.due_at, D.id)


def settle_in_flight(
    conn: Connection, *, now: datetime, policy: str, dead: list[str], editions: list[int] | None
) -> None:
    """Apply the in-flight policy to rows whose sender stopped during their transaction:
    ``resend`` makes them due now (an attempt ``in_flight`` records the possible
    duplicate), ``hold`` parks them as ``held`` for an operator."""
    expired = or_(D.lease_until < now, D.claimed_by.in_(dead)) if dead else D.lease_until < now
    query = select(D.id, D.claimed_by).where(D.state == DeliveryState.SENDING.value, expired)
    if editions is not None:
        query = query.where(D.edition_id.in_(editions))
    rows = conn.execute(query).all()
    if not rows:
        return
    hold = policy == "hold"
    for row in rows:
        who = row.claimed_by or "a sender"
        if hold:
            note = f"in flight when {who} stopped: held for an operator (in_flight_policy = hold)"
        else:
            note = f"in flight when {who} stopped: sent again, possibly a duplicate (in_flight_policy = resend)"
        conn.execute(
            update(t.deliveries)
            .where(D.id == row.id, D.state == DeliveryState.SENDING.value)
            .values(
                state=DeliveryState.HELD.value if hold else DeliveryState.RETRY.value,
                due_at=now,
                claimed_by=None,
                lease_until=None,
                last_error=note,
                updated_at=now,
            )
        )
        conn.execute(
            insert(t.delivery_attempts).values(
                delivery_id=row.id, at=now, code=None, message=note, outcome="in_flight", sender=row.claimed_by or ""
            )
        )


# One row per execution (executemany), by id: an IN list of ids next to a condition on
# ``state`` lets SQLite walk the whole state index instead of the primary key.
_MARK_SENDING = (
    update(t.deliveries)
    .where(
        D.id == bindparam("b_id"),
        D.claimed_by == bindparam("b_sender"),
        or_(*(D.state == state for state in WAITING)),  # no expanding IN under executemany
    )
    .values(
        state=DeliveryState.SENDING.value,
        attempts=D.attempts + 1,
        lease_until=bindparam("b_lease_until"),
        updated_at=bindparam("b_now"),
    )
)
_SENDING = select(D.id).where(D.id == bindparam("b_id"), D.claimed_by == bindparam("b_sender"), D.state == "sending")


def mark_sending(store: Store, sender_id: str, ids: Sequence[int], *, now: datetime, lease: timedelta) -> set[int]:
    """Mark rows ``sending`` just before their SMTP transactions; returns the ids that
    are still this sender's (a row whose lease was lost is not sent)."""
    if not ids:
        return set()
    until = now + lease
    params = [{"b_id": i, "b_sender": sender_id, "b_lease_until": until, "b_now": now} for i in ids]
    with immediate(store.engine) as conn:
        if conn.execute(_MARK_SENDING, params).rowcount == len(params):
            return set(ids)  # the usual case: every row still ours
        ours = (conn.execute(_SENDING, {"b_id": i, "b_sender": sender_id}).scalar() for i in ids)
        return {i for i in ours if i is not None}


def renew(store: Store, sender_id: str, ids: Sequence[int], *, until: datetime) -> int:
    """Extend this sender's lease on ``ids`` (the rows it still holds) to ``until``."""
    if not ids:
        return 0
    renewed = 0
    with immediate(store.engine) as conn:
        for i in range(0, len(ids), CHUNK):
            result = conn.execute(
                update(t.deliveries)
                # Only claimed rows carry claimed_by: no condition on state is needed.
                .where(D.id.in_(list(ids[i : i + CHUNK])), D.claimed_by == sender_id)
                .values(lease_until=until)
            )
            renewed += int(result.rowcount or 0)
    return renewed


def release(store: Store, sender_id: str, ids: Sequence[int] | None = None, *, now: datetime) -> int:
    """Give back this sender's claim on rows it has not started (pending, retry), so
    another sender can take them at once. ``ids`` limits it to those rows."""
    # A claimed row is pending, retry or sending (the others carry no claimed_by), so
    # "not sending" is the waiting ones, without an IN on state that would send SQLite
    # down the state index instead of the ids.
    query = update(t.deliveries).where(D.claimed_by == sender_id, D.state != DeliveryState.SENDING.value)
    if ids is not None:
        if not ids:
            return 0
        query = query.where(D.id.in_(list(ids)))
    with immediate(store.engine) as conn:
        result = conn.execute(query.values(claimed_by=None, lease_until=None, updated_at=now))
    return int(result.rowcount or 0)


def claimants(store: Store, *, now: datetime) -> list[str]:
    """Senders holding an unexpired lease on some row (to tell live ones from dead)."""
    query = select(D.claimed_by).where(D.claimed_by.is_not(None), D.lease_until >= now).distinct()
    with store.engine.connect() as conn:
        return [c for c in conn.execute(query).scalars().all() if c]
