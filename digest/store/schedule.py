"""The scheduler's side of the store: its recorded decisions (``schedule_runs``), the
send times subscribers chose, and the delivery backlog operators watch.

A decision is recorded once per (job, date, language): the first process to decide wins
(``INSERT ... ON CONFLICT DO NOTHING`` on the unique key) and every other process reads
and follows that decision, so two machines never disagree about an edition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select

from digest.models import DeliveryState, SubscriberStatus
from digest.store import Store
from digest.store import tables as t
from digest.store.deliveries import WAITING
from digest.store.engine import dialect_insert


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
    insert = dialect_insert(store.dialect)
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
    due_q = select(func.count()).where(and_(c.state.in_(WAITING), c.due_at <= now))
    flight_q = select(func.count()).where(c.state == DeliveryState.SENDING.value)
    with store.engine.connect() as conn:
        due = int(conn.execute(due_q).scalar_one())
        in_flight = int(conn.execute(flight_q).scalar_one())
    return Backlog(due=due, in_flight=in_flight)


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
