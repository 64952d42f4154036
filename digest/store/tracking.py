"""Click and open events, their daily roll-ups, and per-person tracking consent.

Events name an edition, a story position and a variant, never an address or an IP
address (see :mod:`digest.store.tables.tracking`). The report reads raw events and
roll-ups alike (:mod:`digest.store.tracking_report`), so a day rolled up still counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from digest.models import Consent
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.engine import dialect_insert

#: Position of a roll-up row counting the whole edition's distinct clicking readers of a day.
EDITION_POSITION = -2

E = t.tracking_events.c
DAILY = t.tracking_daily.c
C = t.tracking_consents.c


@dataclass(frozen=True)
class Event:
    """One click or open, as recorded."""

    edition_id: int
    position: int
    variant: str
    kind: str  # click, open
    machine: bool
    reason: str
    client: int  # keyed hash of IP address, user agent and day
    subscriber_id: int | None
    at: datetime


@dataclass(frozen=True)
class EditionTargets:
    """What the redirect needs of an edition: its date and language, and each story's URL."""

    edition_id: int
    edition_date: date
    language: str
    urls: dict[int, str]


# --- consent ----------------------------------------------------------------------


def tracking_consented(subscriber_id: Any) -> ColumnElement[bool]:
    """SQL: the subscriber has a standing consent to per-person tracking."""
    return exists().where(C.subscriber_id == subscriber_id, C.revoked_at.is_(None))


def has_consent(store: Store, subscriber_id: int) -> bool:
    """Whether the subscriber agreed to per-person tracking and has not revoked it."""
    with store.engine.connect() as conn:
        return bool(conn.execute(select(tracking_consented(subscriber_id))).scalar())


def grant(tx: Connection, subscriber_id: int, consent: Consent) -> bool:
    """Record ``consent`` to per-person tracking; False when one already stands."""
    if tx.execute(select(tracking_consented(subscriber_id))).scalar():
        return False
    tx.execute(
        insert(t.tracking_consents).values(
            subscriber_id=subscriber_id,
            consent_at=consent.at,
            consent_source=consent.source,
            consent_ip=consent.ip[:64],
            consent_user_agent=consent.user_agent[:500],
            consent_text_version=consent.text_version[:50],
        )
    )
    return True


def revoke(tx: Connection, subscriber_id: int, *, now: datetime) -> bool:
    """Revoke the standing consent (its record stays, dated); the reader's past events
    lose their id and count on anonymously. False when none stood."""
    done = tx.execute(
        update(t.tracking_consents)
        .where(C.subscriber_id == subscriber_id, C.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    tx.execute(update(t.tracking_events).where(E.subscriber_id == subscriber_id).values(subscriber_id=None))
    return bool(done)


def forget(tx: Connection, subscriber_id: int) -> None:
    """Erase a forgotten subscriber's per-person events and consent records."""
    tx.execute(delete(t.tracking_events).where(E.subscriber_id == subscriber_id))
    tx.execute(delete(t.tracking_consents).where(C.subscriber_id == subscriber_id))


def consents(store: Store, subscriber_id: int) -> list[tuple[datetime, datetime | None]]:
    """The subscriber's consent records, (given, revoked or None), oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(C.consent_at, C.revoked_at).where(C.subscriber_id == subscriber_id).order_by(C.id)
        ).all()
    return [(r.consent_at, r.revoked_at) for r in rows]


# --- recording --------------------------------------------------------------------


def targets(store: Store, edition_id: int) -> EditionTargets | None:
    """The edition's date, language and story URLs, or None when there is no such edition."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(t.editions.c.edition_date, t.editions.c.language).where(t.editions.c.id == edition_id)
        ).first()
        if row is None:
            return None
        items = conn.execute(
            select(t.edition_items.c.position, t.edition_items.c.url).where(t.edition_items.c.edition_id == edition_id)
        ).all()
    return EditionTargets(edition_id, row.edition_date, row.language, {i.position: i.url for i in items if i.url})


def record(store: Store, events: Sequence[Event]) -> None:
    """Write ``events`` (one statement, many rows)."""
    if not events:
        return
    rows = [
        {
            "edition_id": e.edition_id,
            "position": e.position,
            "variant": e.variant,
            "kind": e.kind,
            "machine": e.machine,
            "reason": e.reason,
            "client": e.client,
            "subscriber_id": e.subscriber_id,
            "at": e.at,
        }
        for e in events
    ]
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # A click is worth less than a disk flush: losing the last few on a crash
            # is acceptable, waiting for fsync on every redirect is not.
            conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
        conn.execute(insert(t.tracking_events), rows)


def mark_burst(store: Store, edition_id: int, client: int, *, since: datetime, until: datetime | None = None) -> int:
    """Count the client's clicks on the edition since ``since`` (until ``until``, when
    given) as a machine's burst; how many were re-flagged."""
    window = [E.at >= since] if until is None else [E.at >= since, E.at <= until]
    with store.engine.begin() as conn:
        done = conn.execute(
            update(t.tracking_events)
            .where(
                E.edition_id == edition_id,
                E.kind == "click",
                E.client == client,
                *window,
                E.machine.is_(False),
            )
            .values(machine=True, reason="burst")
        ).rowcount
    return int(done)


def reader_key() -> ColumnElement[Any]:
    """A reader: the client's keyed hash (IP address, user agent, day). A consenting
    subscriber's clicks carry their id too, but counting distinct clients keeps the
    report one cheap pass and the same whatever readers chose."""
    return E.client


# --- retention --------------------------------------------------------------------


def roll_up(store: Store, *, before: datetime) -> int:
    """Count raw events older than ``before`` into ``tracking_daily`` (one row per
    day, edition, position, variant, kind and machine flag) and delete them; the
    number of raw events rolled up."""
    day = func.date(E.at) if store.dialect == "sqlite" else cast(E.at, t.tracking_daily.c.day.type)
    with store.engine.connect() as conn:  # most ticks: nothing to do, and no write lock taken
        if not conn.execute(select(exists().where(E.at < before))).scalar():
            return 0
    with immediate(store.engine) as conn:
        if conn.dialect.name == "postgresql":
            # SQLite's BEGIN IMMEDIATE serialises writers; on PostgreSQL two processes
            # must not both count the same events before either deletes them.
            conn.execute(text("SELECT pg_advisory_xact_lock(270027)"))
        rows = conn.execute(
            select(
                day.label("day"),
                E.edition_id,
                E.position,
                E.variant,
                E.kind,
                E.machine,
                func.count().label("events"),
                func.count(func.distinct(reader_key())).label("readers"),
            )
            .where(E.at < before)
            .group_by(day, E.edition_id, E.position, E.variant, E.kind, E.machine)
        ).all()
        # Each day's distinct clicking readers of the whole edition, apart: a reader of
        # two stories is one reader, which per-story rows cannot tell.
        whole = conn.execute(
            select(
                day.label("day"),
                E.edition_id,
                literal(EDITION_POSITION).label("position"),
                literal("").label("variant"),
                E.kind,
                E.machine,
                literal(0).label("events"),
                func.count(func.distinct(reader_key())).label("readers"),
            )
            .where(E.at < before, E.kind == "click")
            .group_by(day, E.edition_id, E.kind, E.machine)
        ).all()
        if not rows:
            return 0
        upsert = dialect_insert(conn.dialect.name)(t.tracking_daily)
        statement = upsert.on_conflict_do_update(
            index_elements=["day", "edition_id", "position", "variant", "kind", "machine"],
            set_={
                "events": t.tracking_daily.c.events + upsert.excluded.events,
                "readers": t.tracking_daily.c.readers + upsert.excluded.readers,
            },
        )
        values = [
            {
                "day": r.day if isinstance(r.day, date) else date.fromisoformat(str(r.day)),
                "edition_id": r.edition_id,
                "position": r.position,
                "variant": r.variant,
                "kind": r.kind,
                "machine": bool(r.machine),
                "events": int(r.events),
                "readers": int(r.readers),
            }
            for r in [*rows, *whole]
        ]
        for value in values:
            conn.execute(statement, value)
        gone = conn.execute(delete(t.tracking_events).where(E.at < before)).rowcount
    return int(gone)


def raw_count(store: Store, edition_id: int | None = None) -> int:
    """Raw events kept (of one edition)."""
    query = select(func.count()).select_from(t.tracking_events)
    if edition_id is not None:
        query = query.where(E.edition_id == edition_id)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
