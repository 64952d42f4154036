"""Where editions' deliveries stand, read in three statements on one connection.

``digest status``, the admin API's edition status and the console read counts by state,
the next due row, the rows resent after a crash and the latest rows of the states that
need a look. Read one query each, that was a dozen round trips (and a pool ping each) per
edition; here it is three whatever the number of editions: the counts, the scalars, and
every listing in one UNION ALL, each branch an index range of at most ``limit`` entries
(``ix_deliveries_edition_state_updated`` read backwards), so a million-row edition costs
what a thousand-row one does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, literal, select, union_all

from digest.models import DeliveryState
from digest.store import Store
from digest.store import tables as t
from digest.store.deliveries import WAITING, D, S
from digest.store.delivery_admin import DeliveryRow

#: The states listed, in the report's order; ``pending`` lists only rows with a note
#: (put back untried, or given their attempt back).
LISTED = ("sending", "held", "failed", "retry", "pending")


@dataclass(frozen=True)
class Snapshot:
    """One edition's deliveries: counts, next due row, rows resent after a crash, and
    the latest rows (most recently changed first) of each state in :data:`LISTED`."""

    counts: dict[str, int]
    next_due: datetime | None = None
    resent_after_crash: int = 0
    rows: dict[str, list[DeliveryRow]] = field(default_factory=dict)


def counts_by_edition(store: Store, edition_ids: Collection[int]) -> dict[int, dict[str, int]]:
    """Rows per state of each edition (every state listed, zero included), one query."""
    with store.engine.connect() as conn:
        return _counts(conn, list(edition_ids))


def snapshots(store: Store, edition_ids: Sequence[int], *, limit: int = 1000) -> dict[int, Snapshot]:
    """Each edition's :class:`Snapshot`, listings capped at ``limit`` rows per state
    (``pending``: the rows with a note among its ``limit`` latest)."""
    ids = list(dict.fromkeys(edition_ids))
    if not ids:
        return {}
    with store.engine.connect() as conn:
        counts = _counts(conn, ids)
        scalars = _scalars(conn, ids)
        rows = _listings(conn, ids, limit)
    return {
        i: Snapshot(counts[i], scalars[i][0], scalars[i][1], {s: rows.get((i, s), []) for s in LISTED}) for i in ids
    }


def _counts(conn: Connection, ids: list[int]) -> dict[int, dict[str, int]]:
    out = {i: {s.value: 0 for s in DeliveryState} for i in ids}
    if not ids:
        return out
    if conn.dialect.name == "postgresql":  # the counters its triggers keep (migration 0014)
        c = t.delivery_counts.c
        query = select(c.edition_id, c.state, func.sum(c.n)).where(c.edition_id.in_(ids))
        query = query.group_by(c.edition_id, c.state)
    else:  # SQLite counts the rows (ix_deliveries_edition_state covers it)
        query = select(D.edition_id, D.state, func.count()).where(D.edition_id.in_(ids)).group_by(D.edition_id, D.state)
    for edition_id, state, n in conn.execute(query):
        out[int(edition_id)][str(state)] = int(n)
    return out


def _scalars(conn: Connection, ids: list[int]) -> dict[int, tuple[datetime | None, int]]:
    """(next due, resent after a crash) per edition: scalar subqueries, one row each.
    The next due is a MIN per (edition, waiting state), each the first entry of
    ix_deliveries_edition_state (an IN over states would read every waiting row)."""
    a = t.delivery_attempts.c
    branches = []
    for i in ids:
        firsts = [
            select(func.min(D.due_at)).where(D.edition_id == i, D.state == s).scalar_subquery().label(f"due_{s}")
            for s in WAITING
        ]
        resent = (
            select(func.count(func.distinct(a.delivery_id)))
            .select_from(t.delivery_attempts.join(t.deliveries, D.id == a.delivery_id))
            .where(D.edition_id == i, a.outcome == "in_flight")
            .scalar_subquery()
            .label("resent")
        )
        branches.append(select(literal(i).label("edition_id"), *firsts, resent))
    out: dict[int, tuple[datetime | None, int]] = {}
    for row in conn.execute(branches[0] if len(branches) == 1 else union_all(*branches)):
        dues = [_aware(v) for v in row[1:-1] if v is not None]
        out[int(row[0])] = (min(dues, default=None), int(row[-1] or 0))
    return out


def _aware(value: Any) -> datetime:
    # A scalar subquery's MIN() comes back untyped on SQLite: a string or a naive datetime.
    when: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_COLUMNS = (D.id, D.edition_id, D.subscriber_id, D.state, D.attempts, D.last_code, D.last_error, D.due_at, D.claimed_by,
            D.lease_until, D.updated_at, D.fault)  # fmt: skip


def listings_query(ids: Sequence[int], limit: int) -> Any:
    """Every (edition, state) listing in one UNION ALL: each branch takes its ``limit``
    latest rows off the index, then joins the subscriber of just those."""
    branches = []
    for i in ids:
        for state in LISTED:
            latest = (
                select(*_COLUMNS)
                .where(D.edition_id == i, D.state == state)
                .order_by(D.updated_at.desc(), D.id.desc())
                .limit(limit)
                .subquery()
            )
            c = latest.c
            # DeliveryRow's fields in their order: rows are built by position (a
            # thousand rows a state, name lookups were most of the report's time).
            branch = select(c.id, c.edition_id, S.email, c.state, c.attempts, c.last_code, c.last_error, c.due_at,
                            c.claimed_by, c.lease_until, c.updated_at, S.status, c.fault)  # fmt: skip
            branch = branch.join_from(latest, t.subscribers, S.id == c.subscriber_id)
            if state == DeliveryState.PENDING.value:
                branch = branch.where(c.last_error != "")
            branches.append(branch)
    return union_all(*branches)


def _listings(conn: Connection, ids: list[int], limit: int) -> dict[tuple[int, str], list[DeliveryRow]]:
    out: dict[tuple[int, str], list[DeliveryRow]] = {}
    for r in conn.execute(listings_query(ids, limit)).all():
        row = DeliveryRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8] or "", r[9], r[10], r[11], r[12])
        out.setdefault((row.edition_id, row.state), []).append(row)
    for rows in out.values():  # UNION ALL keeps no order: each listing's own, again
        rows.sort(key=lambda r: (r.updated_at, r.id), reverse=True)
    return out
