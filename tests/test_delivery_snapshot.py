"""`digest status` and the console in a few statements: the same figures as the
query-at-a-time reads on a seeded mix of states, on SQLite and PostgreSQL; the query
plans that keep them O(page) on a million rows; PostgreSQL's counters linear in the
rows an UPDATE touches."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from database_support import new_sqlite_store
from delivery_support import add_edition, add_subscribers
from sqlalchemy import select, text, update

from digest.store import Store, fanout, listings
from digest.store import delivery_admin as admin
from digest.store import tables as t
from digest.store.delivery_snapshot import LISTED, counts_by_edition, listings_query, snapshots

CYCLE = ("sent", "sending", "held", "failed", "retry", "pending", "pending", "sent", "failed", "retry", "pending")


def _seed(store: Store, now: datetime) -> list[int]:
    """Two editions (fr, en) fanned out, then their rows put in a mix of every listed
    state one UPDATE per row (updated_at with ties, notes on some pending rows, a dead
    and a live sender, rows resent after a crash); the edition ids."""
    add_subscribers(store, 30, now=now)
    add_subscribers(store, 12, now=now, prefix="en", language="en")
    ids = []
    for language in ("fr", "en"):
        edition = add_edition(store, day=now.date(), now=now, language=language)
        fanout.fan_out(store, edition, language=language, due_at_for=lambda tz, at: now, now=now)
        ids.append(edition)
    d = t.deliveries.c
    with store.engine.begin() as conn:
        rows = conn.execute(select(d.id).order_by(d.id)).scalars().all()
        for i, row in enumerate(rows):
            state = CYCLE[i % len(CYCLE)]
            values = {"state": state, "updated_at": now - timedelta(seconds=(i * 7) % 5), "attempts": i % 3}
            if state == "pending" and i % 2:
                values["last_error"] = "put back untried when its sender stopped"
            if state in ("failed", "retry"):
                values |= {"last_code": 451 if state == "retry" else 550, "last_error": f"{state} reply {i}",
                           "fault": "temporary" if i % 2 else "reader"}  # fmt: skip
            if state in ("retry", "pending"):
                values["due_at"] = now + timedelta(minutes=i)
            if state == "sending":
                sender = f"{socket.gethostname()}:{999_999 if i % 2 else 1}:0"
                values |= {"claimed_by": sender, "lease_until": now + timedelta(minutes=5 - i % 7)}
            conn.execute(update(t.deliveries).where(d.id == row).values(**values))
            if state == "held":  # resent after a crash: two attempts in flight for some
                for _ in range(1 + i % 2):
                    conn.execute(t.delivery_attempts.insert().values(delivery_id=row, at=now, outcome="in_flight",
                                                                     sender="s:1:0"))  # fmt: skip
    return ids


@pytest.mark.parametrize("limit", [1000, 2])
def test_a_snapshot_gives_the_figures_of_the_query_at_a_time_reads(store: Store, now: datetime, limit: int) -> None:
    ids = _seed(store, now)
    snaps = snapshots(store, ids, limit=limit)
    assert counts_by_edition(store, ids) == {i: admin.counts(store, [i]) for i in ids}
    for i in ids:
        snap = snaps[i]
        assert snap.counts == admin.counts(store, [i])
        assert sum(snap.counts.values()) == (30 if i == ids[0] else 12)
        assert snap.next_due == admin.next_due(store, [i])
        assert snap.resent_after_crash == admin.resent_after_crash(store, [i]) > 0
        for state in LISTED:
            latest = admin.rows_in(store, [i], [state], limit=limit)
            want = [r for r in latest if r.last_error] if state == "pending" else latest
            assert snap.rows[state] == want, state
        assert snap.rows["sending"] and snap.rows["failed"] and snap.rows["pending"]
    assert snapshots(store, []) == {}


def test_status_lists_the_same_rows_for_every_edition_of_the_day(store: Store, now: datetime) -> None:
    """`digest status` (every edition of a day in one snapshot) and the API's one
    edition at a time agree, with the dead sender's rows flagged."""
    from digest.daily.status import edition_deliveries
    from digest.store.editions import get_edition

    ids = _seed(store, now)
    together = snapshots(store, ids)
    for i in ids:
        alone = edition_deliveries(store, get_edition(store, i), now=now)
        assert alone.counts == together[i].counts
        assert [line.row for line in alone.in_flight] == together[i].rows["sending"]
        for line in alone.in_flight:  # pid 999999 runs nowhere; pid 1 always does
            lease = line.row.lease_until
            assert line.sender_dead == (":999999:" in line.row.claimed_by or (lease is not None and lease < now))
        assert any(line.sender_dead for line in alone.in_flight) or i != ids[0]


def _plan(store: Store, query: object) -> str:
    compiled = query.compile(store.engine, compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
    with store.engine.connect() as conn:
        return " | ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))


def test_each_listing_reads_the_index_in_its_order(tmp_path: Path) -> None:
    """Each listing branch walks ix_deliveries_edition_state_updated in its own order and
    stops at the LIMIT: no scan of the delivery table, no sort of its rows (the only sort
    is of the UNION's few rows, done in Python)."""
    store = new_sqlite_store(tmp_path / "plan.db")
    try:
        plan = _plan(store, listings_query([1, 2], 1000))
    finally:
        store.close()
    assert "SCAN deliveries" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan
    assert plan.count("USING INDEX ix_deliveries_edition_state_updated") == 2 * len(LISTED), plan


def test_the_latest_failures_are_the_same_through_the_failed_rows_index(store: Store, now: datetime) -> None:
    ids = _seed(store, now)
    want = admin.rows_in(store, ids, ["failed"], limit=5)
    got = listings.failures(store, limit=5)
    assert [(f.delivery_id, f.email, f.last_code) for f in got] == [(r.id, r.email, r.last_code) for r in want]
    assert [f.delivery_id for f in listings.failures(store, edition_ids=[ids[1]], limit=3)] == [
        r.id for r in admin.rows_in(store, [ids[1]], ["failed"], limit=3)
    ]


def test_counters_stay_linear_after_a_small_update_in_the_same_session(store: Store, now: datetime) -> None:
    """0014's trigger joined old and new rows with a plan PL/pgSQL keeps per session: after
    a one-row UPDATE, a 6,000-row one took minutes (a nested loop). It must take well
    under the timeout, and the counters must be right."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's counters")
    edition = add_edition(store, day=now.date(), now=now)
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO subscribers (email, name, language, status, created_at, updated_at) "
                 "SELECT 'r' || g || '@example.org', '', 'fr', 'confirmed', :now, :now "
                 "FROM generate_series(1, 6000) g"),
            {"now": now},
        )  # fmt: skip
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE deliveries SET state = 'retry' WHERE id = (SELECT min(id) FROM deliveries)"))
        conn.execute(text("SET LOCAL statement_timeout = '8s'"))
        conn.execute(text("UPDATE deliveries SET state = CASE WHEN id % 3 = 0 THEN 'failed' ELSE 'sent' END"))
    counts = admin.counts(store, [edition])
    assert {k: v for k, v in counts.items() if v} == {"failed": 2000, "sent": 4000}
