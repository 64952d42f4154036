"""Click and open events, their daily roll-ups, and per-person tracking consent.

Events name an edition, a story position and a variant, never an address or an IP
address (see :mod:`digest.store.tables.tracking`). The report reads raw events and
roll-ups alike, so a day rolled up still counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    text,
    union_all,
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


# --- reading ----------------------------------------------------------------------


def _reader() -> ColumnElement[Any]:
    """A reader: the client's keyed hash (IP address, user agent, day). A consenting
    subscriber's clicks carry their id too, but counting distinct clients keeps the
    report one cheap pass and the same whatever readers chose."""
    return E.client


@dataclass(frozen=True)
class EditionCounts:
    """One edition's events: per position, per topic (clicks), and its distinct clicking
    readers (human, machine)."""

    by_position: list[Count]
    by_topic: list[Count]
    clickers: tuple[int, int]


def edition_counts(store: Store, edition_id: int) -> EditionCounts:
    """Raw events and roll-ups of ``edition_id``, counted in one pass over its events.

    The events are first reduced to (position, kind, machine, reader) pairs with their
    counts (a hash aggregate), and the three figures are read from those pairs: far
    cheaper on a million events than three COUNT(DISTINCT ...) over the raw rows.
    """
    items = t.edition_items.c
    with store.engine.connect() as conn:
        topics = {
            int(position): str(category)
            for position, category in conn.execute(
                select(items.position, items.category).where(items.edition_id == edition_id)
            ).all()
        }
    pairs = (
        select(E.position, E.kind, E.machine, _reader().label("reader"), func.count().label("n"))
        .where(E.edition_id == edition_id)
        # In the order of ix_tracking_events_report: read from the index, already grouped.
        .group_by(E.kind, E.machine, E.position, _reader())
        .cte("pairs")
    )
    p = pairs.c
    # A story's topic by its position, as a CASE over the edition's dozen items: the
    # pairs need no join (PostgreSQL misjudged one as a nested loop over all of them).
    topic: ColumnElement[Any] = case(topics, value=p.position, else_=null()) if topics else null()
    per_position = select(
        literal("position").label("what"),
        cast(p.position, String).label("key"),
        p.kind,
        p.machine,
        func.sum(p.n).label("events"),
        func.count().label("readers"),
    ).group_by(p.position, p.kind, p.machine)
    topic_pairs = (
        select(topic.label("category"), p.kind, p.machine, p.reader, func.sum(p.n).label("n"))
        .where(p.kind == "click", topic.is_not(None))
        .group_by(topic, p.kind, p.machine, p.reader)
        .subquery()
    )
    tp = topic_pairs.c
    per_topic = select(
        literal("topic").label("what"),
        tp.category.label("key"),
        tp.kind,
        tp.machine,
        func.sum(tp.n).label("events"),
        func.count().label("readers"),
    ).group_by(tp.category, tp.kind, tp.machine)
    readers = select(p.kind, p.machine, p.reader).where(p.kind == "click").distinct().subquery()
    per_edition = select(
        literal("edition").label("what"),
        literal("").label("key"),
        readers.c.kind,
        readers.c.machine,
        literal(0).label("events"),
        func.count().label("readers"),
    ).group_by(readers.c.kind, readers.c.machine)
    merged: dict[tuple[str, Any, str, bool], list[int]] = {}
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The pairs of a million events fit in memory; PostgreSQL's default 4 MB
            # would spill the aggregate to disk and take seconds.
            conn.execute(text("SET LOCAL work_mem = '128MB'"))
            # A plain aggregate: compiling it (JIT, above jit_above_cost) costs more than it saves.
            conn.execute(text("SET LOCAL jit = off"))
            # The planner guesses a few hundred pairs where there are ~150,000 and sorts
            # them three times to group; hashing them is several times cheaper.
            conn.execute(text("SET LOCAL enable_sort = off"))
        for r in conn.execute(union_all(per_position, per_topic, per_edition)).all():
            key = int(r.key) if r.what == "position" else r.key
            slot = merged.setdefault((r.what, key, r.kind, bool(r.machine)), [0, 0])
            slot[0] += int(r.events or 0)
            slot[1] += int(r.readers or 0)
        for rolled in _rolled_up(conn, edition_id):
            slot = merged.setdefault(rolled[:4], [0, 0])
            slot[0] += rolled[4]
            slot[1] += rolled[5]

    def counts(what: str) -> list[Count]:
        return [Count(k[1], k[2], k[3], v[0], v[1]) for k, v in merged.items() if k[0] == what]

    human = merged.get(("edition", "", "click", False), [0, 0])[1]
    machine = merged.get(("edition", "", "click", True), [0, 0])[1]
    return EditionCounts(counts("position"), counts("topic"), (human, machine))


def _rolled_up(conn: Connection, edition_id: int) -> list[tuple[str, Any, str, bool, int, int]]:
    """The edition's daily totals, as (what, key, kind, machine, events, readers)."""
    items = t.edition_items.c
    out: list[tuple[str, Any, str, bool, int, int]] = []
    rows = conn.execute(
        select(DAILY.position, DAILY.kind, DAILY.machine, func.sum(DAILY.events), func.sum(DAILY.readers))
        .where(DAILY.edition_id == edition_id)
        .group_by(DAILY.position, DAILY.kind, DAILY.machine)
    ).all()
    for position, kind, machine, events, readers in rows:
        what = "edition" if position == EDITION_POSITION else "position"
        key = "" if what == "edition" else int(position)
        out.append((what, key, str(kind), bool(machine), int(events or 0), int(readers or 0)))
    for category, kind, machine, events, readers in conn.execute(
        select(items.category, DAILY.kind, DAILY.machine, func.sum(DAILY.events), func.sum(DAILY.readers))
        .join(t.edition_items, (items.edition_id == DAILY.edition_id) & (items.position == DAILY.position))
        .where(DAILY.edition_id == edition_id, DAILY.kind == "click")
        .group_by(items.category, DAILY.kind, DAILY.machine)
    ).all():
        out.append(("topic", category, str(kind), bool(machine), int(events or 0), int(readers or 0)))
    return out


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
