"""The tracking report's reading: an edition's click and open counts per story position
and per topic, and the click rates per category the picking may learn from. Raw events
and daily roll-ups are read alike, so a day rolled up still counts (the events
themselves are written by :mod:`digest.store.tracking`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, case, cast, func, literal, null, select, text, union_all
from sqlalchemy.sql.elements import ColumnElement

from digest.store import Store
from digest.store import tables as t
from digest.store.tracking import DAILY, EDITION_POSITION, E, reader_key


@dataclass(frozen=True)
class Count:
    """Events of one kind at one position (or one topic), human or machine."""

    key: Any  # a position (int) or a category (str)
    kind: str
    machine: bool
    events: int
    readers: int


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
        select(E.position, E.kind, E.machine, reader_key().label("reader"), func.count().label("n"))
        .where(E.edition_id == edition_id)
        # In the order of ix_tracking_events_report: read from the index, already grouped.
        .group_by(E.kind, E.machine, E.position, reader_key())
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
