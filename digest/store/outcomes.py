"""Outcomes of SMTP transactions written on the rows a sender holds in ``sending``:
``sent`` (only after the server's 250), ``retry`` (due again later), ``failed``, or
``untried`` (nothing reached the reader's server: the row goes back to wait and gets its
attempt back), one ``delivery_attempts`` row each, and the suppressions the replies call
for. :func:`refund` gives back the attempts of rows refused for a fault of ours once a
send has stopped for it.

Guarded by ``claimed_by``: a sender that lost its lease cannot overwrite what the new
holder does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, case, insert, select, update

from digest.models import DeliveryState
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.bounces import apply_bounces
from digest.store.deliveries import CHUNK, D

if TYPE_CHECKING:
    from digest.store.outcome_writer import OutcomeWriter


@dataclass(frozen=True)
class AttemptResult:
    """The outcome of one SMTP transaction, to be written by :func:`record`.

    ``outcome`` is ``sent``, ``retry``, ``failed`` or ``untried``; ``retry_at`` is set
    for retry and untried. ``suppress`` names a suppression reason (``hard_bounce``) when
    the address must never be mailed again; ``soft_bounce`` counts towards [bounces]
    soft_bounce_limit; ``fault`` says whose fault a refusal was (reader, temporary, ours).
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
    fault: str = ""


@dataclass(frozen=True)
class Recorded:
    """What :func:`record` wrote: counts by outcome, addresses suppressed, and rows
    whose lease had been lost (another sender holds them now; logged by the caller)."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    suppressed: int = 0
    lost: tuple[int, ...] = ()
    untried: int = 0


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
                last_error="", fault="")  # fmt: skip
_RETRY = _settle(state=DeliveryState.RETRY.value, due_at=bindparam("b_retry_at"), last_error=bindparam("b_message"),
                 fault=bindparam("b_fault"))  # fmt: skip
_FAILED = _settle(state=DeliveryState.FAILED.value, last_error=bindparam("b_message"), fault=bindparam("b_fault"))
# Nothing reached the reader's server: the attempt mark_sending counted is given back.
_UNTRIED = _settle(
    state=case((D.attempts > 1, DeliveryState.RETRY.value), else_=DeliveryState.PENDING.value),
    attempts=D.attempts - 1,
    due_at=bindparam("b_retry_at"),
    last_error=bindparam("b_message"),
    fault=bindparam("b_fault"),
)
_STATEMENTS = {"sent": _SENT, "retry": _RETRY, "failed": _FAILED, "untried": _UNTRIED}


class _LeaseLost(Exception):
    """Some rows of a batch of outcomes are not this sender's any more."""


def record(
    store: Store,
    sender_id: str,
    results: Sequence[AttemptResult],
    *,
    soft_limit: int = 3,
    soft_days: float = 0.0,
    prepared: OutcomeWriter | None = None,
) -> Recorded:
    """Write the outcomes of SMTP transactions in one transaction: the rows' new
    states, one ``delivery_attempts`` row each, and suppressions (hard bounces now,
    soft ones once a subscriber reached ``soft_limit`` over ``soft_days``; a delivery
    resets the count).

    Guarded by ``claimed_by``: a row this sender no longer holds in ``sending`` is
    left alone and reported in :attr:`Recorded.lost`.

    ``prepared`` (a sender's :class:`OutcomeWriter`) writes the common outcomes with
    its SQL prepared once, on its own connection; what it does not handle comes here.
    """
    if not results:
        return Recorded()
    if prepared is not None:
        written = prepared.write(results)
        if written is not None:
            return written
    try:  # the usual case: every row is still ours, the guarded updates say so
        return _record(store, sender_id, results, soft_limit=soft_limit, soft_days=soft_days, check_first=False)
    except _LeaseLost:  # rolled back: sort ours from the lost ones first
        return _record(store, sender_id, results, soft_limit=soft_limit, soft_days=soft_days, check_first=True)


def _record(
    store: Store,
    sender_id: str,
    results: Sequence[AttemptResult],
    *,
    soft_limit: int,
    soft_days: float,
    check_first: bool,
) -> Recorded:
    with immediate(store.engine) as conn:
        kept, lost = list(results), tuple[int, ...]()
        if check_first:
            ours = _sending_for(conn, sender_id, [r.delivery_id for r in results])
            kept = [r for r in results if r.delivery_id in ours]
            lost = tuple(r.delivery_id for r in results if r.delivery_id not in ours)
        counts = {"sent": 0, "retry": 0, "failed": 0, "untried": 0}
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
        suppressed = apply_bounces(conn, kept, soft_limit=soft_limit, soft_days=soft_days)
    return Recorded(counts["sent"], counts["retry"], counts["failed"], suppressed, lost, counts["untried"])


def _sending_for(conn: Connection, sender_id: str, ids: Iterable[int]) -> set[int]:
    """The rows among ``ids`` this sender still holds in ``sending`` (locked on PostgreSQL)."""
    wanted = list(ids)
    found: set[int] = set()
    for i in range(0, len(wanted), CHUNK):
        # The state is checked here, not in SQL: next to an IN list of ids a condition on
        # state would make SQLite walk the state index (the whole pending range).
        query = select(D.id, D.state).where(D.id.in_(wanted[i : i + CHUNK]), D.claimed_by == sender_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        found.update(row.id for row in conn.execute(query) if row.state == DeliveryState.SENDING.value)
    return found


def _params(r: AttemptResult, sender_id: str) -> dict[str, Any]:
    return {
        "b_id": r.delivery_id,
        "b_sender": sender_id,
        "b_at": r.at,
        "b_code": r.code,
        "b_message": r.message,
        "b_message_id": r.message_id,
        "b_retry_at": r.retry_at or r.at,
        "b_fault": r.fault,
    }


def refund(store: Store, delivery_ids: Sequence[int], *, now: datetime, note: str) -> int:
    """Give back the attempt of rows refused for a fault that stopped the send (ours,
    or a temporary one that hit everyone): a row still waiting or failed with that
    refusal and no claim on it becomes due ``now`` with one attempt less. Returns how
    many rows changed."""
    changed = 0
    reopen = (DeliveryState.RETRY.value, DeliveryState.FAILED.value)
    with immediate(store.engine) as conn:
        for i in range(0, len(delivery_ids), CHUNK):
            ids = list(delivery_ids[i : i + CHUNK])
            statement = (
                update(t.deliveries)
                .where(D.id.in_(ids), D.state.in_(reopen), D.claimed_by.is_(None), D.attempts > 0)
                .values(
                    state=case((D.attempts > 1, DeliveryState.RETRY.value), else_=DeliveryState.PENDING.value),
                    attempts=D.attempts - 1,
                    due_at=now,
                    last_error=note,
                    updated_at=now,
                )
            )
            changed += int(conn.execute(statement).rowcount or 0)
            conn.execute(
                insert(t.delivery_attempts),
                [{"delivery_id": i, "at": now, "code": None, "message": note, "outcome": "refunded", "sender": ""}
                 for i in ids],
            )  # fmt: skip
    return changed
