"""The operator's side of the delivery table: what is due, stuck or failed, and the
explicit actions (send now, reopen rows the catch-up skipped, release held rows, retry
failures).

Senders use :mod:`digest.store.claims` and :mod:`digest.store.outcomes`; ``digest send``,
``digest status`` and the admin API use this module. Listings are bounded by ``limit`` and iterations go by
batches, so none of it loads a whole list.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, func, or_, select, update

from digest.models import DeliveryState, EditionStatus, Subscriber, SubscriberStatus
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.deliveries import OPEN, WAITING, D, S
from digest.store.subscribers import in_batches


def bring_forward(store: Store, edition_ids: Collection[int], *, now: datetime, retries: bool = False) -> int:
    """Make the editions' pending rows (waiting for their own send time) due at ``now``:
    an operator's explicit send means now. Rows waiting for a retry keep their backoff
    unless ``retries`` (``digest send --now``). Returns the rows moved."""
    if not edition_ids:
        return 0
    states = list(WAITING) if retries else [DeliveryState.PENDING.value]
    with immediate(store.engine) as conn:
        result = conn.execute(
            update(t.deliveries)
            .where(D.edition_id.in_(list(edition_ids)), D.state.in_(states), D.due_at > now)
            .values(due_at=now, updated_at=now)
        )
    return int(result.rowcount or 0)


def retry_temporary(store: Store, edition_ids: Collection[int], *, now: datetime) -> int:
    """Rows of these editions that ran out of attempts for a temporary reason or a fault
    of ours (never the reader's) get a new series of attempts, due ``now``, for
    subscribers still confirmed. The caller decides the editions are still fresh.
    Returns how many."""
    if not edition_ids:
        return 0
    with immediate(store.engine) as conn:
        result = conn.execute(
            update(t.deliveries)
            .where(
                D.edition_id.in_(list(edition_ids)),
                D.state == DeliveryState.FAILED.value,
                D.fault.in_(["temporary", "ours"]),
                D.subscriber_id.in_(_confirmed()),
            )
            .values(
                state=DeliveryState.RETRY.value,
                due_at=now,
                attempts=0,
                updated_at=now,
                claimed_by=None,
                lease_until=None,
            )
        )
    return int(result.rowcount or 0)


def run_counts(
    store: Store, edition_ids: Collection[int], senders: Sequence[str], *, since: datetime
) -> dict[str, int]:
    """Attempts written since ``since`` by the senders named (an id, or ``host:pid:`` for
    every sender of a process) on these editions' rows, by outcome: what one run did,
    whatever other senders did meanwhile."""
    out = {"sent": 0, "retry": 0, "failed": 0, "untried": 0, "in_flight": 0, "refunded": 0}
    if not edition_ids or not senders:
        return out
    a = t.delivery_attempts.c
    who = or_(*(a.sender.startswith(s, autoescape=True) if s.endswith(":") else a.sender == s for s in senders))
    query = (
        select(a.outcome, func.count())
        .select_from(t.delivery_attempts.join(t.deliveries, D.id == a.delivery_id))
        .where(D.edition_id.in_(list(edition_ids)), a.at >= since, who)
        .group_by(a.outcome)
    )
    with store.engine.connect() as conn:
        for outcome, n in conn.execute(query):
            out[outcome] = int(n)
    return out


def left_over(
    store: Store, edition_ids: Collection[int], *, now: datetime, fresh: Collection[int] = ()
) -> dict[str, int]:
    """Rows of these editions nobody has finished with, by why: ``waiting`` (pending,
    retry, sending, held, or — in the ``fresh`` editions, still retried by later sends —
    failed for a temporary reason or a fault of ours) and ``ours`` (those whose last
    refusal was ours). Rows another live sender holds (an unexpired lease: a concurrent
    send at work) are its to finish, not counted."""
    if not edition_ids:
        return {"waiting": 0, "ours": 0}
    retriable = (D.state == DeliveryState.FAILED.value) & D.fault.in_(["temporary", "ours"])
    open_or_retriable = or_(D.state.in_(list(OPEN)), retriable & D.edition_id.in_(list(fresh)))
    query = (
        select(D.fault, func.count())
        .where(D.edition_id.in_(list(edition_ids)), open_or_retriable, D.subscriber_id.in_(_confirmed()))
        .where(or_(D.claimed_by.is_(None), D.lease_until < now))
        .group_by(D.fault)
    )
    out = {"waiting": 0, "ours": 0}
    with store.engine.connect() as conn:
        for fault, n in conn.execute(query):
            out["waiting"] += int(n)
            if fault == "ours":
                out["ours"] += int(n)
    return out


def reopen_missed(store: Store, edition_ids: Collection[int], *, now: datetime) -> int:
    """An operator's explicit send overrides the catch-up rules: the editions' rows the
    scheduler skipped (never tried) become pending again, due ``now``, for subscribers
    who are still confirmed. Returns how many."""
    if not edition_ids:
        return 0
    statement = (
        update(t.deliveries)
        .where(
            D.edition_id.in_(list(edition_ids)),
            D.state == DeliveryState.SKIPPED.value,
            D.attempts == 0,
            D.subscriber_id.in_(_confirmed()),
        )
        .values(state=DeliveryState.PENDING.value, due_at=now, last_error="", updated_at=now)
    )
    with immediate(store.engine) as conn:
        return int(conn.execute(statement).rowcount or 0)


def release_held(store: Store, edition_ids: Collection[int], *, now: datetime) -> int:
    """Send the held rows (caught mid-DATA by a crash, ``in_flight_policy = hold``)
    again: they become due at ``now``. Returns how many."""
    return _reopen(store, edition_ids, DeliveryState.HELD, now=now, reason="released by an operator")


def retry_failed(store: Store, edition_ids: Collection[int], *, now: datetime) -> int:
    """Give the failed rows of still-confirmed subscribers a new chance, due at ``now``
    with a fresh attempt count (suppressed addresses stay failed). Returns how many."""
    return _reopen(store, edition_ids, DeliveryState.FAILED, now=now, reason="retried by an operator", reset=True)


def _confirmed() -> Any:
    return select(S.id).where(S.status == SubscriberStatus.CONFIRMED.value)


def _reopen(
    store: Store, edition_ids: Collection[int], state: DeliveryState, *, now: datetime, reason: str, reset: bool = False
) -> int:
    """The one writer of ``held -> retry`` and ``failed -> retry``: due ``now``, for
    subscribers who are still confirmed."""
    if not edition_ids:
        return 0
    values: dict[str, Any] = {"state": DeliveryState.RETRY.value, "due_at": now, "updated_at": now}
    values |= {"claimed_by": None, "lease_until": None, "last_error": reason}
    if reset:
        values["attempts"] = 0
    with immediate(store.engine) as conn:
        result = conn.execute(
            update(t.deliveries)
            .where(D.edition_id.in_(list(edition_ids)), D.state == state.value, D.subscriber_id.in_(_confirmed()))
            .values(**values)
        )
    return int(result.rowcount or 0)


def counts(store: Store, edition_ids: Collection[int]) -> dict[str, int]:
    """Rows of these editions per state (every state listed, zero included)."""
    out = {s.value: 0 for s in DeliveryState}
    if not edition_ids:
        return out
    query = select(D.state, func.count()).where(D.edition_id.in_(list(edition_ids))).group_by(D.state)
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # the counters its triggers keep (migration 0014)
            c = t.delivery_counts.c
            query = select(c.state, func.sum(c.n)).where(c.edition_id.in_(list(edition_ids))).group_by(c.state)
        for state, n in conn.execute(query):
            out[state] = int(n)
    return out


def due_count(store: Store, *, now: datetime, edition_ids: Collection[int] | None = None) -> int:
    """Rows due at ``now`` (pending or retry, unclaimed or with an expired lease)."""
    query = select(func.count()).where(
        D.state.in_(WAITING), D.due_at <= now, or_(D.claimed_by.is_(None), D.lease_until < now)
    )
    if edition_ids is not None:
        query = query.where(D.edition_id.in_(list(edition_ids)))
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def due_count_in(store: Store, edition_ids: Collection[int], state: str, *, now: datetime) -> int:
    """Rows of these editions in ``state`` due at ``now``."""
    if not edition_ids:
        return 0
    query = select(func.count()).where(D.edition_id.in_(list(edition_ids)), D.state == state, D.due_at <= now)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def next_due(store: Store, edition_ids: Collection[int]) -> datetime | None:
    """When the editions' next waiting row falls due (None when nothing waits)."""
    if not edition_ids:
        return None
    # One (edition, state) at a time: each is the first entry of ix_deliveries_edition_state,
    # where an IN over states would read every waiting row of a million-row edition.
    found: list[datetime] = []
    with store.engine.connect() as conn:
        for edition_id in edition_ids:
            for state in WAITING:
                query = select(func.min(D.due_at)).where(D.edition_id == edition_id, D.state == state)
                value: datetime | None = conn.execute(query).scalar()
                if value is not None:
                    found.append(value if value.tzinfo else value.replace(tzinfo=UTC))  # SQLite's MIN(): no type
    return min(found, default=None)


def finish_editions(store: Store, edition_ids: Collection[int], *, now: datetime) -> list[int]:
    """Mark ``sent`` the editions whose every row is settled; returns their ids."""
    done = []
    for edition_id in edition_ids:
        open_rows = select(func.count()).where(D.edition_id == edition_id, D.state.in_(OPEN))
        with immediate(store.engine) as conn:
            if int(conn.execute(open_rows).scalar_one()) == 0:
                conn.execute(
                    update(t.editions)
                    .where(t.editions.c.id == edition_id, t.editions.c.status == EditionStatus.SENDING.value)
                    .values(status=EditionStatus.SENT.value)
                )
                done.append(edition_id)
    return done


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery as ``digest status`` lists it."""

    id: int
    edition_id: int
    email: str
    state: str
    attempts: int
    last_code: int | None
    last_error: str
    due_at: datetime
    claimed_by: str
    lease_until: datetime | None
    updated_at: datetime
    subscriber_status: str
    fault: str = ""


def rows_in(
    store: Store, edition_ids: Collection[int], states: Sequence[str], *, limit: int = 100
) -> list[DeliveryRow]:
    """The editions' rows in ``states``, most recently changed first (at most ``limit``)."""
    if not edition_ids:
        return []
    query = (
        select(
            D.id,
            D.edition_id,
            S.email,
            D.state,
            D.attempts,
            D.last_code,
            D.last_error,
            D.due_at,
            D.claimed_by,
            D.lease_until,
            D.updated_at,
            S.status.label("subscriber_status"),
            D.fault,
        )
        .join(t.subscribers, S.id == D.subscriber_id)
        .where(D.edition_id.in_(list(edition_ids)), D.state.in_(list(states)))
        # ix_deliveries_edition_state_updated read backwards: 100 entries, not the edition
        .order_by(D.updated_at.desc(), D.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [t.model_from_row(DeliveryRow, r, claimed_by=r.claimed_by or "") for r in conn.execute(query)]


def resent_after_crash(store: Store, edition_ids: Collection[int]) -> int:
    """Deliveries of these editions that were in flight when their sender stopped
    (the only ones that may have reached their reader twice)."""
    if not edition_ids:
        return 0
    a = t.delivery_attempts.c
    query = (
        select(func.count(func.distinct(a.delivery_id)))
        .select_from(t.delivery_attempts.join(t.deliveries, D.id == a.delivery_id))
        .where(D.edition_id.in_(list(edition_ids)), a.outcome == "in_flight")
    )
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def possible_duplicates(store: Store, edition_ids: Collection[int], *, per_sender: int) -> int:
    """Of the rows resent after their sender stopped mid-send, how many can have reached
    their reader twice: a sender has at most one message on the wire per connection
    (the others it had marked were still queued), so at most ``per_sender`` per stopped
    sender, and only rows actually sent again."""
    if not edition_ids:
        return 0
    a = t.delivery_attempts.c
    resent = (
        select(a.sender, func.count(func.distinct(a.delivery_id)))
        .select_from(t.delivery_attempts.join(t.deliveries, D.id == a.delivery_id))
        .where(D.edition_id.in_(list(edition_ids)), a.outcome == "in_flight", D.state == DeliveryState.SENT.value)
        .group_by(a.sender)
    )
    with store.engine.connect() as conn:
        return sum(min(int(n), per_sender) for _, n in conn.execute(resent))


def recipients(store: Store, edition_id: int, *, language: str, batch: int = 500) -> Iterator[Subscriber]:
    """Confirmed subscribers of ``language`` the edition has not reached yet (no row,
    or a row still open), read in batches by id: what a send would mail now."""
    reached = exists().where(D.edition_id == edition_id, D.subscriber_id == S.id, D.state.not_in(OPEN))
    confirmed = S.status == SubscriberStatus.CONFIRMED.value
    return in_batches(store, [confirmed, S.language == language, ~reached], batch=batch)


def failed_elsewhere(store: Store, edition_ids: Collection[int]) -> dict[str, int]:
    """The editions' failed rows a retry leaves alone, by their subscriber's status
    (anything but confirmed: unsubscribed, bounced, forgotten...)."""
    if not edition_ids:
        return {}
    query = (
        select(S.status, func.count())
        .select_from(t.deliveries.join(t.subscribers, S.id == D.subscriber_id))
        .where(
            D.edition_id.in_(list(edition_ids)),
            D.state == DeliveryState.FAILED.value,
            S.status != SubscriberStatus.CONFIRMED.value,
        )
        .group_by(S.status)
    )
    with store.engine.connect() as conn:
        return {str(status): int(n) for status, n in conn.execute(query)}
