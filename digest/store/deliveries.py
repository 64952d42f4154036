"""The delivery table as the coordinator of every send: fan-out, claims, outcomes.

One row per (edition, subscriber), inserted once (``INSERT ... ON CONFLICT DO
NOTHING``), is the whole truth about who got what. Its life::

    pending --claim--> (pending, claimed_by=S) --mark_sending--> sending --250--> sent
                                                                  |--4xx--> retry (due later) --> ...
                                                                  |--5xx / too many 4xx--> failed
    sending, lease expired (S died mid-DATA) --> retry now (policy resend) | held (policy hold)

* A sender claims a batch of due rows with a lease (``claimed_by``, ``lease_until``):
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite, so two
  senders never hold the same row. Rows whose lease expired are claimed again.
* Every write after the claim is guarded by ``claimed_by``: a sender that lost its
  lease cannot overwrite what the new holder does.
* A row is ``sending`` from just before its SMTP transaction until its outcome is
  written, so after a crash the only uncertain rows are those; ``sent`` is written only
  after the server's 250.

Every query here is bounded by a batch (or is one ``INSERT ... SELECT``), never the
size of the list, so a 100k send costs ten times a 10k one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from digest.models import DeliveryState, EditionStatus, Subscriber, SubscriberStatus
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.bounces import apply_bounces
from digest.store.subscribers import row_to_subscriber

D = t.deliveries.c
S = t.subscribers.c

#: Rows waiting to be sent (claimable when due).
WAITING = (DeliveryState.PENDING.value, DeliveryState.RETRY.value)
#: States in which a row still needs something to happen.
OPEN = (*WAITING, DeliveryState.SENDING.value, DeliveryState.HELD.value)
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery row a sender holds, with its subscriber: what a composer needs."""

    id: int
    edition_id: int
    subscriber: Subscriber
    due_at: datetime
    attempts: int  # attempts already made (a crash-interrupted one included)
    state: DeliveryState  # PENDING or RETRY at claim time


@dataclass(frozen=True)
class AttemptResult:
    """The outcome of one SMTP transaction, to be written by :func:`record`.

    ``outcome`` is ``sent``, ``retry`` or ``failed``; ``retry_at`` is set for retry.
    ``suppress`` names a suppression reason (``hard_bounce``) when the address must
    never be mailed again; ``soft_bounce`` counts towards [bounces] soft_limit.
    """

    delivery_id: int
    subscriber_id: int
    outcome: str
    at: datetime
    code: int | None = None
    message: str = ""
    retry_at: datetime | None = None
    message_id: str = ""
    suppress: str = ""
    soft_bounce: bool = False


@dataclass(frozen=True)
class Recorded:
    """What :func:`record` wrote: counts by outcome, addresses suppressed, and rows
    whose lease had been lost (another sender holds them now; logged by the caller)."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    suppressed: int = 0
    lost: tuple[int, ...] = ()


# Fan-out -------------------------------------------------------------------------


def dialect_insert(conn: Connection) -> Any:
    """The INSERT construct of the connection's dialect (it has ON CONFLICT DO NOTHING)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def fan_out(
    store: Store,
    edition_id: int,
    *,
    language: str,
    due_at_for: Callable[[str, str], datetime],
    now: datetime,
) -> int:
    """Insert one pending row per confirmed subscriber of ``language`` for the edition;
    rows that exist already are left alone (re-runnable). Returns the rows added.

    Subscribers are grouped by their stored (timezone, send_at), ``due_at_for`` is
    called once per group, and each group is one ``INSERT ... SELECT``: the list is
    never loaded into memory.
    """
    added = 0
    groups = (
        select(S.timezone, S.send_at)
        .where(S.status == SubscriberStatus.CONFIRMED.value, S.language == language)
        .distinct()
    )
    with immediate(store.engine) as conn:
        for timezone, send_at in conn.execute(groups).all():
            due = due_at_for(timezone, send_at)
            source = select(
                literal(edition_id),
                S.id,
                literal(DeliveryState.PENDING.value),
                literal(due, t.deliveries.c.due_at.type),
                literal(now, t.deliveries.c.created_at.type),
                literal(now, t.deliveries.c.updated_at.type),
            ).where(
                S.status == SubscriberStatus.CONFIRMED.value,
                S.language == language,
                S.timezone == timezone,
                S.send_at == send_at,
            )
            columns = ["edition_id", "subscriber_id", "state", "due_at", "created_at", "updated_at"]
            statement = (
                dialect_insert(conn)(t.deliveries)
                .from_select(columns, source)
                .on_conflict_do_nothing(index_elements=["edition_id", "subscriber_id"])
            )
            # INSERT row counts are kept only on request (SQLAlchemy 2 preserve_rowcount)
            added += int(conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount or 0)
        e = t.editions.c
        conn.execute(
            update(t.editions)
            .where(e.id == edition_id)
            .values(
                fanned_out_at=func.coalesce(e.fanned_out_at, now),
                status=_case_status(e.status),
            )
        )
    return added


def _case_status(status: Any) -> Any:
    built = EditionStatus.BUILT.value
    return case((status == built, EditionStatus.SENDING.value), else_=status)


# Claims --------------------------------------------------------------------------


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
    ``dead_senders``) are settled by ``in_flight_policy``: ``resend`` makes them due
    now (an attempt ``in_flight`` records the possible duplicate), ``hold`` parks them
    as ``held`` for an operator. Then due pending rows, then due retries, oldest first,
    are claimed. Rows whose subscriber is no longer confirmed are skipped, not returned.
    """
    dead = list(dead_senders)
    editions = list(edition_ids) if edition_ids is not None else None
    with immediate(store.engine) as conn:
        _settle_in_flight(conn, now=now, policy=in_flight_policy, dead=dead, editions=editions)
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
            )
            .join(t.subscribers, S.id == D.subscriber_id)
            .where(D.id.in_(ids))
            .order_by(D.due_at, D.id)
        ).all()
        gone = [r for r in rows if r.status != SubscriberStatus.CONFIRMED.value]
        for r in gone:
            conn.execute(
                update(t.deliveries)
                .where(D.id == r.delivery_id)
                .values(
                    state=DeliveryState.SKIPPED.value,
                    claimed_by=None,
                    lease_until=None,
                    last_error=f"not sent: the subscriber is {r.status}",
                    updated_at=now,
                )
            )
    return [
        ClaimedDelivery(
            id=r.delivery_id,
            edition_id=r.edition_id,
            subscriber=row_to_subscriber(r),
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


def _settle_in_flight(
    conn: Connection, *, now: datetime, policy: str, dead: list[str], editions: list[int] | None
) -> None:
    """Apply the in-flight policy to rows whose sender stopped during their transaction."""
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


def _ours(conn: Connection, sender_id: str, ids: Iterable[int], states: Sequence[str]) -> set[int]:
    wanted = list(ids)
    found: set[int] = set()
    for i in range(0, len(wanted), _CHUNK):
        # The state is checked here, not in SQL: next to an IN list of ids a condition on
        # state would make SQLite walk the state index (the whole pending range).
        query = select(D.id, D.state).where(D.id.in_(wanted[i : i + _CHUNK]), D.claimed_by == sender_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        found.update(row.id for row in conn.execute(query) if row.state in states)
    return found


def _settle(**values: Any) -> Any:
    """An executemany UPDATE of one row by id that also ends the claim."""
    common: dict[str, Any] = {
        "claimed_by": None,
        "lease_until": None,
        "last_code": bindparam("b_code"),
        "updated_at": bindparam("b_at"),
    }
    # Guarded: only a row this sender still holds in ``sending`` changes.
    guard = (D.id == bindparam("b_id"), D.claimed_by == bindparam("b_sender"), D.state == DeliveryState.SENDING.value)
    return update(t.deliveries).where(*guard).values(**common, **values)


_SENT = _settle(state=DeliveryState.SENT.value, sent_at=bindparam("b_at"), message_id=bindparam("b_message_id"),
                last_error="")  # fmt: skip
_RETRY = _settle(state=DeliveryState.RETRY.value, due_at=bindparam("b_retry_at"), last_error=bindparam("b_message"))
_FAILED = _settle(state=DeliveryState.FAILED.value, last_error=bindparam("b_message"))
_STATEMENTS = {"sent": _SENT, "retry": _RETRY, "failed": _FAILED}


class _LeaseLost(Exception):
    """Some rows of a batch of outcomes are not this sender's any more."""


def record(store: Store, sender_id: str, results: Sequence[AttemptResult], *, soft_limit: int = 3) -> Recorded:
    """Write the outcomes of SMTP transactions in one transaction: the rows' new
    states, one ``delivery_attempts`` row each, and suppressions (hard bounces now,
    soft ones once a subscriber reached ``soft_limit``).

    Guarded by ``claimed_by``: a row this sender no longer holds in ``sending`` is
    left alone and reported in :attr:`Recorded.lost`.
    """
    if not results:
        return Recorded()
    try:  # the usual case: every row is still ours, the guarded updates say so
        return _record(store, sender_id, results, soft_limit=soft_limit, check_first=False)
    except _LeaseLost:  # rolled back: sort ours from the lost ones first
        return _record(store, sender_id, results, soft_limit=soft_limit, check_first=True)


def _record(
    store: Store, sender_id: str, results: Sequence[AttemptResult], *, soft_limit: int, check_first: bool
) -> Recorded:
    with immediate(store.engine) as conn:
        kept, lost = list(results), tuple[int, ...]()
        if check_first:
            ours = _ours(conn, sender_id, [r.delivery_id for r in results], (DeliveryState.SENDING.value,))
            kept = [r for r in results if r.delivery_id in ours]
            lost = tuple(r.delivery_id for r in results if r.delivery_id not in ours)
        counts = {"sent": 0, "retry": 0, "failed": 0}
        for outcome, statement in _STATEMENTS.items():
            params = [_params(r, sender_id) for r in kept if r.outcome == outcome]
            if params:
                counts[outcome] = int(conn.execute(statement, params).rowcount)
        if sum(counts.values()) != len(kept):
            raise _LeaseLost()
        if kept:
            conn.execute(
                insert(t.delivery_attempts),
                [
                    {
                        "delivery_id": r.delivery_id,
                        "at": r.at,
                        "code": r.code,
                        "message": r.message,
                        "outcome": r.outcome,
                        "sender": sender_id,
                    }
                    for r in kept
                ],
            )
        suppressed = apply_bounces(conn, kept, soft_limit=soft_limit)
    return Recorded(counts["sent"], counts["retry"], counts["failed"], suppressed, lost)


def mark_sent(store: Store, sender_id: str, delivery_id: int, subscriber_id: int, *, now: datetime,
              code: int = 250, message: str = "", message_id: str = "") -> bool:  # fmt: skip
    """Record a 250 for one row this sender holds in ``sending``; False when it lost the row."""
    result = AttemptResult(delivery_id, subscriber_id, "sent", now, code, message, message_id=message_id)
    return not record(store, sender_id, [result]).lost


def mark_retry(store: Store, sender_id: str, delivery_id: int, subscriber_id: int, *, now: datetime,
               retry_at: datetime, code: int | None, message: str) -> bool:  # fmt: skip
    """Record a temporary failure: the row is due again at ``retry_at``."""
    result = AttemptResult(delivery_id, subscriber_id, "retry", now, code, message, retry_at=retry_at)
    return not record(store, sender_id, [result]).lost


def mark_failed(store: Store, sender_id: str, delivery_id: int, subscriber_id: int, *, now: datetime,
                code: int | None, message: str, suppress: str = "") -> bool:  # fmt: skip
    """Record a permanent failure, suppressing the address when ``suppress`` names a reason."""
    result = AttemptResult(delivery_id, subscriber_id, "failed", now, code, message, suppress=suppress)
    return not record(store, sender_id, [result]).lost


def _params(r: AttemptResult, sender_id: str) -> dict[str, Any]:
    return {
        "b_id": r.delivery_id,
        "b_sender": sender_id,
        "b_at": r.at,
        "b_code": r.code,
        "b_message": r.message,
        "b_message_id": r.message_id,
        "b_retry_at": r.retry_at or r.at,
    }


# Leases --------------------------------------------------------------------------


def renew(store: Store, sender_id: str, ids: Sequence[int], *, until: datetime) -> int:
    """Extend this sender's lease on ``ids`` (the rows it still holds) to ``until``."""
    if not ids:
        return 0
    renewed = 0
    with immediate(store.engine) as conn:
        for i in range(0, len(ids), _CHUNK):
            result = conn.execute(
                update(t.deliveries)
                # Only claimed rows carry claimed_by: no condition on state is needed.
                .where(D.id.in_(list(ids[i : i + _CHUNK])), D.claimed_by == sender_id)
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


# Reading -------------------------------------------------------------------------


def counts(store: Store, edition_ids: Collection[int]) -> dict[str, int]:
    """Rows of these editions per state (every state listed, zero included)."""
    out = {s.value: 0 for s in DeliveryState}
    if not edition_ids:
        return out
    query = select(D.state, func.count()).where(D.edition_id.in_(list(edition_ids))).group_by(D.state)
    with store.engine.connect() as conn:
        for state, n in conn.execute(query):
            out[state] = int(n)
    return out
