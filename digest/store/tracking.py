"""Click and open events, their daily roll-ups, and per-person tracking consent.

Events name an edition, a story position and a variant, never an address or an IP
address (see :mod:`digest.store.tables.tracking`). The report reads raw events and
roll-ups alike, so a day rolled up still counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, String, cast, delete, exists, func, insert, literal, select, text, union_all, update
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
    client: str
    subscriber_id: int | None
    at: datetime


@dataclass(frozen=True)
class EditionTargets:
    """What the redirect needs of an edition: its date and language, and each story's URL."""

    edition_id: int
    edition_date: date
    language: str
    urls: dict[int, str]


@dataclass(frozen=True)
class Count:
    """Events of one kind at one position (or one topic), human or machine."""

    key: Any  # a position (int) or a category (str)
    kind: str
    machine: bool
    events: int
    readers: int


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


def record(store: Store, events: Sequence[Event]) -> list[int]:
    """Write ``events``; their ids, in order."""
    if not events:
        return []
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
    with immediate(store.engine) as conn:
        if len(rows) == 1:
            return [int(conn.execute(insert(t.tracking_events).values(**rows[0])).inserted_primary_key[0])]  # type: ignore[index]
        result = conn.execute(insert(t.tracking_events).returning(E.id, sort_by_parameter_order=True), rows)
        return [int(r[0]) for r in result]


def mark_machine(store: Store, ids: Iterable[int], reason: str) -> None:
    """Count events ``ids`` as machine events (a burst found after they were written)."""
    wanted = list(ids)
    if not wanted:
        return
    with immediate(store.engine) as conn:
        conn.execute(
            update(t.tracking_events).where(E.id.in_(wanted), E.machine.is_(False)).values(machine=True, reason=reason)
        )


# --- reading ----------------------------------------------------------------------


def _reader() -> ColumnElement[Any]:
    """A reader: the consenting subscriber when known, else the client's keyed hash."""
    return func.coalesce(cast(E.subscriber_id, String), E.client)


def counts_by_position(store: Store, edition_id: int) -> list[Count]:
    """Events per (position, kind, machine) of one edition, raw events and roll-ups."""
    raw = (
        select(
            E.position.label("key"),
            E.kind,
            E.machine,
            func.count().label("events"),
            func.count(func.distinct(_reader())).label("readers"),
        )
        .where(E.edition_id == edition_id)
        .group_by(E.position, E.kind, E.machine)
    )
    rolled = (
        select(
            DAILY.position.label("key"),
            DAILY.kind,
            DAILY.machine,
            func.sum(DAILY.events).label("events"),
            func.sum(DAILY.readers).label("readers"),
        )
        .where(DAILY.edition_id == edition_id)
        .group_by(DAILY.position, DAILY.kind, DAILY.machine)
    )
    return _merged(store, [raw, rolled])


def counts_by_topic(store: Store, edition_id: int) -> list[Count]:
    """Human and machine clicks per category of one edition (unique readers per topic)."""
    items = t.edition_items.c
    raw = (
        select(
            items.category.label("key"),
            E.kind,
            E.machine,
            func.count().label("events"),
            func.count(func.distinct(_reader())).label("readers"),
        )
        .join(t.edition_items, (items.edition_id == E.edition_id) & (items.position == E.position))
        .where(E.edition_id == edition_id, E.kind == "click")
        .group_by(items.category, E.kind, E.machine)
    )
    rolled = (
        select(
            items.category.label("key"),
            DAILY.kind,
            DAILY.machine,
            func.sum(DAILY.events).label("events"),
            func.sum(DAILY.readers).label("readers"),
        )
        .join(t.edition_items, (items.edition_id == DAILY.edition_id) & (items.position == DAILY.position))
        .where(DAILY.edition_id == edition_id, DAILY.kind == "click")
        .group_by(items.category, DAILY.kind, DAILY.machine)
    )
    return _merged(store, [raw, rolled])


def unique_clickers(store: Store, edition_id: int) -> tuple[int, int]:
    """(human, machine) distinct clicking readers of the edition (roll-ups add their
    daily figures: an upper bound once events are rolled up)."""
    out = [0, 0]
    with store.engine.connect() as conn:
        for machine, n in conn.execute(
            select(E.machine, func.count(func.distinct(_reader())))
            .where(E.edition_id == edition_id, E.kind == "click")
            .group_by(E.machine)
        ).all():
            out[bool(machine)] += int(n)
        for machine, n in conn.execute(
            select(DAILY.machine, func.sum(DAILY.readers))
            .where(DAILY.edition_id == edition_id, DAILY.kind == "click", DAILY.position == EDITION_POSITION)
            .group_by(DAILY.machine)
        ).all():
            out[bool(machine)] += int(n or 0)
    return out[0], out[1]


def _merged(store: Store, queries: list[Any]) -> list[Count]:
    merged: dict[tuple[Any, str, bool], list[int]] = {}
    with store.engine.connect() as conn:
        for r in conn.execute(union_all(*queries)).all():
            slot = merged.setdefault((r.key, r.kind, bool(r.machine)), [0, 0])
            slot[0] += int(r.events or 0)
            slot[1] += int(r.readers or 0)
    return [Count(k[0], k[1], k[2], v[0], v[1]) for k, v in sorted(merged.items(), key=lambda kv: str(kv[0]))]


def click_rates(store: Store, edition_ids: Sequence[int]) -> dict[str, tuple[int, int]]:
    """Per category over ``edition_ids``: (human clicks, stories shown), for the
    click-through rate that may teach the picking."""
    if not edition_ids:
        return {}
    items = t.edition_items.c
    with store.engine.connect() as conn:
        shown: dict[str, int] = {
            str(c): int(n)
            for c, n in conn.execute(
                select(items.category, func.count())
                .where(items.edition_id.in_(list(edition_ids)))
                .group_by(items.category)
            ).all()
        }
        clicks: dict[str, int] = {}
        for table, col in ((E, func.count()), (DAILY, func.sum(DAILY.events))):
            q = (
                select(items.category, col)
                .join(t.edition_items, (items.edition_id == table.edition_id) & (items.position == table.position))
                .where(table.edition_id.in_(list(edition_ids)), table.kind == "click", table.machine.is_(False))
                .group_by(items.category)
            )
            for category, n in conn.execute(q).all():
                clicks[category] = clicks.get(category, 0) + int(n or 0)
    return {c: (clicks.get(c, 0), n) for c, n in shown.items()}


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
                func.count(func.distinct(_reader())).label("readers"),
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
                func.count(func.distinct(_reader())).label("readers"),
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
