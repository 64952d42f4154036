"""The scheduler's side of the store: its recorded decisions (``schedule_runs``), the
send times subscribers chose, and the delivery backlog operators watch.

A decision is recorded once per (job, date, language): the first process to decide wins
(``INSERT ... ON CONFLICT DO NOTHING`` on the unique key) and every other process reads
and follows that decision, so two machines never disagree about an edition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from digest.models import DeliveryState, SubscriberStatus
from digest.store import Store, immediate
from digest.store import tables as t


@dataclass(frozen=True)
class ScheduleRun:
    """What the scheduler decided for one job, date and language, and why."""

    job: str
    run_date: date
    language: str
    outcome: str
    reason: str
    at: datetime


def _row_to_run(row: object) -> ScheduleRun:
    return ScheduleRun(
        job=row.job,  # type: ignore[attr-defined]
        run_date=row.run_date,  # type: ignore[attr-defined]
        language=row.language,  # type: ignore[attr-defined]
        outcome=row.outcome,  # type: ignore[attr-defined]
        reason=row.reason,  # type: ignore[attr-defined]
        at=row.at,  # type: ignore[attr-defined]
    )


def decide_once(
    store: Store, *, job: str, run_date: date, language: str, outcome: str, reason: str, now: datetime
) -> tuple[ScheduleRun, bool]:
    """Record a decision unless one is already recorded for (job, run_date, language).

    Returns the decision that stands and True when it is the one just proposed. Safe
    against several processes deciding at the same moment.
    """
    values = {"job": job, "run_date": run_date, "language": language, "outcome": outcome, "reason": reason, "at": now}
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    statement = insert(t.schedule_runs).values(values).on_conflict_do_nothing().returning(t.schedule_runs.c.id)
    with store.engine.begin() as conn:
        inserted = conn.execute(statement).first() is not None
    existing = decision(store, job=job, run_date=run_date, language=language)
    assert existing is not None  # just inserted, or inserted by someone else
    return existing, inserted


def decision(store: Store, *, job: str, run_date: date, language: str) -> ScheduleRun | None:
    """The decision recorded for (job, run_date, language), if any."""
    c = t.schedule_runs.c
    query = select(t.schedule_runs).where(c.job == job, c.run_date == run_date, c.language == language)
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return _row_to_run(row) if row is not None else None


def recent_runs(store: Store, *, limit: int = 20) -> list[ScheduleRun]:
    """The newest decisions, newest first."""
    c = t.schedule_runs.c
    query = select(t.schedule_runs).order_by(c.run_date.desc(), c.at.desc(), c.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        return [_row_to_run(r) for r in conn.execute(query)]


def send_times(store: Store, *, language: str) -> list[tuple[str, str]]:
    """The distinct (timezone, send_at) pairs of confirmed subscribers reading
    ``language``; empty strings stand for the newsletter's own timezone or send time."""
    c = t.subscribers.c
    query = (
        select(c.timezone, c.send_at)
        .where(c.status == SubscriberStatus.CONFIRMED.value, c.language == language)
        .distinct()
        .order_by(c.timezone, c.send_at)
    )
    with store.engine.connect() as conn:
        return [(row.timezone, row.send_at) for row in conn.execute(query)]


def edition_ids(store: Store, *, newsletter: str, edition_date: date) -> dict[str, int]:
    """The editions stored for ``edition_date``, by language (any status)."""
    c = t.editions.c
    query = select(c.language, c.id).where(c.newsletter == newsletter, c.edition_date == edition_date)
    with store.engine.connect() as conn:
        return {row.language: row.id for row in conn.execute(query)}


@dataclass(frozen=True)
class Backlog:
    """Delivery rows waiting to be sent now, and rows with DATA under way."""

    due: int
    in_flight: int


def backlog(store: Store, *, now: datetime) -> Backlog:
    """Rows due at ``now`` (pending or retry, due_at passed) and rows in flight.

    Both counts use the (state, due_at) index, so a scrape stays cheap on a large table.
    """
    c = t.deliveries.c
    waiting = (DeliveryState.PENDING.value, DeliveryState.RETRY.value)
    due_q = select(func.count()).where(and_(c.state.in_(waiting), c.due_at <= now))
    flight_q = select(func.count()).where(c.state == DeliveryState.SENDING.value)
    with store.engine.connect() as conn:
        due = int(conn.execute(due_q).scalar_one())
        in_flight = int(conn.execute(flight_q).scalar_one())
    return Backlog(due=due, in_flight=in_flight)


def _confirmed_in_group(language: str, timezone: str, send_at: str) -> Any:
    c = t.subscribers.c
    return select(c.id).where(
        c.status == SubscriberStatus.CONFIRMED.value,
        c.language == language,
        c.timezone == timezone,
        c.send_at == send_at,
    )


def skip_missed(
    store: Store,
    edition_id: int,
    *,
    language: str,
    timezone: str,
    send_at: str,
    due: datetime,
    reason: str,
    now: datetime,
    pending_too: bool = False,
) -> int:
    """Record that one send-time group (subscribers with this stored ``timezone`` and
    ``send_at``) will not get the edition: the catch-up rules skipped their send time.

    Members without a row get a skipped one with ``reason``, so a later fan-out (ON
    CONFLICT DO NOTHING) cannot send it late; with ``pending_too`` (after downtime),
    their untouched pending rows due by now are skipped as well. Rows a live sender
    holds, or already tried, are left to it. Returns the rows skipped or added.
    """
    d = t.deliveries.c
    members = _confirmed_in_group(language, timezone, send_at)
    free = or_(d.claimed_by.is_(None), d.lease_until < now)
    update_stmt = (
        update(t.deliveries)
        .where(
            d.edition_id == edition_id,
            d.state == DeliveryState.PENDING.value,
            d.attempts == 0,
            d.due_at <= now,
            free,
            d.subscriber_id.in_(members),
        )
        .values(state=DeliveryState.SKIPPED.value, last_error=reason, claimed_by=None, lease_until=None, updated_at=now)
    )
    c = t.subscribers.c
    source = select(
        literal(edition_id),
        c.id,
        literal(DeliveryState.SKIPPED.value),
        literal(due, d.due_at.type),
        literal(reason),
        literal(now, d.created_at.type),
        literal(now, d.updated_at.type),
    ).where(c.id.in_(members))
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    columns = ["edition_id", "subscriber_id", "state", "due_at", "last_error", "created_at", "updated_at"]
    insert_stmt = (
        insert(t.deliveries)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["edition_id", "subscriber_id"])
    )
    with immediate(store.engine) as conn:
        changed = int(conn.execute(update_stmt).rowcount or 0) if pending_too else 0
        changed += int(conn.execute(insert_stmt.execution_options(preserve_rowcount=True)).rowcount or 0)
    return changed


def skip_overdue(store: Store, *, before: datetime, reason: str, now: datetime) -> int:
    """Skip every untouched pending row due before ``before`` (now minus the catch-up
    grace), of any edition: after downtime, they were missed for too long. Uses the
    (state, due_at) index."""
    d = t.deliveries.c
    statement = (
        update(t.deliveries)
        .where(
            d.state == DeliveryState.PENDING.value,
            d.due_at < before,
            d.attempts == 0,
            or_(d.claimed_by.is_(None), d.lease_until < now),
        )
        .values(state=DeliveryState.SKIPPED.value, last_error=reason, claimed_by=None, lease_until=None, updated_at=now)
    )
    with immediate(store.engine) as conn:
        return int(conn.execute(statement).rowcount or 0)


def audience_fingerprint(store: Store, *, language: str) -> tuple[int, int, datetime | None]:
    """(count, highest id, latest update) of confirmed subscribers of ``language``: when
    it has not changed, a fan-out would add nothing and can be skipped."""
    c = t.subscribers.c
    query = select(func.count(), func.max(c.id), func.max(c.updated_at)).where(
        c.status == SubscriberStatus.CONFIRMED.value, c.language == language
    )
    with store.engine.connect() as conn:
        count, top, latest = conn.execute(query).one()
    return int(count), int(top or 0), latest


def reopen_missed(store: Store, edition_ids: Sequence[int], *, now: datetime) -> int:
    """An operator's explicit send overrides the catch-up rules: the editions' rows the
    scheduler skipped (never tried) become pending again, due ``now``, for subscribers
    who are still confirmed. Returns how many."""
    if not edition_ids:
        return 0
    d, c = t.deliveries.c, t.subscribers.c
    confirmed = select(c.id).where(c.status == SubscriberStatus.CONFIRMED.value)
    statement = (
        update(t.deliveries)
        .where(
            d.edition_id.in_(list(edition_ids)),
            d.state == DeliveryState.SKIPPED.value,
            d.attempts == 0,
            d.subscriber_id.in_(confirmed),
        )
        .values(state=DeliveryState.PENDING.value, due_at=now, last_error="", updated_at=now)
    )
    with immediate(store.engine) as conn:
        return int(conn.execute(statement).rowcount or 0)
