"""The delivery table as coordinator: fan-out, claims and leases, guarded outcomes,
the in-flight policy, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from database_support import new_sqlite_store
from delivery_support import add_edition, add_subscribers, subscriber_id
from sqlalchemy import select

import digest
from digest.models import DeliveryState
from digest.store import Store, claims, fanout, outcomes
from digest.store import delivery_admin as admin
from digest.store import tables as t
from digest.store.subscribers import suppression

LEASE = timedelta(minutes=5)


def _states(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.deliveries.c.state)).scalars().all()
    out: dict[str, int] = {}
    for s in rows:
        out[s] = out.get(s, 0) + 1
    return out


def _sent(store: Store, sender: str, delivery_id: int, subscriber: int, *, now: datetime, message_id: str = "") -> bool:
    """Record a 250 for one row; False when ``sender`` no longer holds it in ``sending``."""
    result = outcomes.AttemptResult(delivery_id, subscriber, "sent", now, 250, "queued", message_id=message_id)
    return not outcomes.record(store, sender, [result]).lost


def test_fan_out_inserts_one_row_per_confirmed_subscriber_and_is_rerunnable(store: Store, now: datetime) -> None:
    add_subscribers(store, 5, now=now)
    add_subscribers(store, 2, now=now, prefix="en", language="en")
    add_subscribers(store, 3, now=now, prefix="pending", status="pending")
    edition = add_edition(store, day=now.date(), now=now)
    calls: list[tuple[str, str]] = []

    def due(tz: str, at: str) -> datetime:
        calls.append((tz, at))
        return now

    assert fanout.fan_out(store, edition, language="fr", due_at_for=due, now=now) == 5
    assert fanout.fan_out(store, edition, language="fr", due_at_for=due, now=now) == 0
    add_subscribers(store, 1, now=now, prefix="late")
    assert fanout.fan_out(store, edition, language="fr", due_at_for=due, now=now) == 1
    assert _states(store) == {"pending": 6}
    assert calls == [("", "")] * 3  # one group, due time computed once per run
    with store.engine.connect() as conn:
        status, fanned = conn.execute(select(t.editions.c.status, t.editions.c.fanned_out_at)).one()
    assert status == "sending" and fanned == now


def test_fan_out_computes_due_time_once_per_timezone_and_send_time(store: Store, now: datetime) -> None:
    add_subscribers(store, 3, now=now, prefix="paris", timezone="Europe/Paris", send_at="07:30")
    add_subscribers(store, 2, now=now, prefix="tokyo", timezone="Asia/Tokyo", send_at="06:00")
    add_subscribers(store, 1, now=now, prefix="default")
    edition = add_edition(store, day=now.date(), now=now)
    offsets = {("Europe/Paris", "07:30"): 1, ("Asia/Tokyo", "06:00"): 2, ("", ""): 3}
    fanout.fan_out(
        store, edition, language="fr", due_at_for=lambda tz, at: now + timedelta(hours=offsets[tz, at]), now=now
    )
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(t.subscribers.c.email, t.deliveries.c.due_at).join(
                t.deliveries, t.deliveries.c.subscriber_id == t.subscribers.c.id
            )
        ).all()
    due = {email: at for email, at in rows}
    assert due["paris0@example.org"] == now + timedelta(hours=1)
    assert due["tokyo1@example.org"] == now + timedelta(hours=2)
    assert due["default0@example.org"] == now + timedelta(hours=3)


def test_claims_never_overlap_and_take_only_due_rows(store: Store, now: datetime) -> None:
    add_subscribers(store, 10, now=now)
    add_subscribers(store, 4, now=now, prefix="later", timezone="Asia/Tokyo", send_at="09:00")
    edition = add_edition(store, day=now.date(), now=now)
    soon = now + timedelta(minutes=1)  # within the first claims' lease
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: soon if tz else now, now=now)
    a = claims.claim(store, "host:1:0", batch=6, now=now, lease=LEASE)
    b = claims.claim(store, "host:2:0", batch=6, now=now, lease=LEASE)
    c = claims.claim(store, "host:3:0", batch=6, now=now, lease=LEASE)
    assert len(a) == 6 and len(b) == 4 and c == []
    assert not {d.id for d in a} & {d.id for d in b}
    assert all(d.subscriber.email.startswith("reader") for d in a + b)
    later = claims.claim(store, "host:3:0", batch=10, now=soon, lease=LEASE)
    assert sorted(d.subscriber.email for d in later) == [f"later{i}@example.org" for i in range(4)]


def test_expired_lease_is_claimed_again_and_the_old_holder_cannot_write(store: Store, now: datetime) -> None:
    add_subscribers(store, 1, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    (first,) = claims.claim(store, "old:1:0", batch=5, now=now, lease=LEASE)
    assert claims.claim(store, "new:2:0", batch=5, now=now + LEASE / 2, lease=LEASE) == []
    later = now + LEASE + timedelta(seconds=1)
    (again,) = claims.claim(store, "new:2:0", batch=5, now=later, lease=LEASE)
    assert again.id == first.id
    assert claims.mark_sending(store, "old:1:0", [first.id], now=later, lease=LEASE) == set()
    assert claims.mark_sending(store, "new:2:0", [first.id], now=later, lease=LEASE) == {first.id}
    sid = first.subscriber.id
    assert sid is not None
    assert not _sent(store, "old:1:0", first.id, sid, now=later)
    assert _sent(store, "new:2:0", first.id, sid, now=later, message_id="<m@x>")
    assert _states(store) == {"sent": 1}


def test_sent_only_from_sending_and_every_attempt_recorded(store: Store, now: datetime) -> None:
    add_subscribers(store, 3, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    rows = claims.claim(store, "s:1:0", batch=5, now=now, lease=LEASE)
    ids = [r.id for r in rows]
    sid = [r.subscriber.id or 0 for r in rows]
    assert not _sent(store, "s:1:0", ids[0], sid[0], now=now)  # not marked sending yet
    claims.mark_sending(store, "s:1:0", ids, now=now, lease=LEASE)
    later = now + timedelta(minutes=1)
    result = outcomes.record(
        store,
        "s:1:0",
        [
            outcomes.AttemptResult(ids[0], sid[0], "sent", now, 250, "queued", message_id="<a@x>"),
            outcomes.AttemptResult(ids[1], sid[1], "retry", now, 451, "451 4.3.0 later", retry_at=later),
            outcomes.AttemptResult(ids[2], sid[2], "failed", now, 550, "550 5.1.1 unknown", suppress="hard_bounce"),
        ],
    )
    assert (result.sent, result.retry, result.failed, result.suppressed, result.lost) == (1, 1, 1, 1, ())
    assert _states(store) == {"sent": 1, "retry": 1, "failed": 1}
    assert suppression(store, rows[2].subscriber.email) is not None
    with store.engine.connect() as conn:
        attempts = conn.execute(select(t.delivery_attempts.c.outcome, t.delivery_attempts.c.code)).all()
        status = conn.execute(select(t.subscribers.c.status).where(t.subscribers.c.id == sid[2])).scalar_one()
    assert sorted(attempts) == [("failed", 550), ("retry", 451), ("sent", 250)]
    assert status == "bounced"
    assert claims.claim(store, "s:1:0", batch=5, now=now, lease=LEASE) == []  # the retry is not due yet
    (retry,) = claims.claim(store, "s:1:0", batch=5, now=later, lease=LEASE)
    assert retry.id == ids[1] and retry.attempts == 1 and retry.state is DeliveryState.RETRY


def test_possible_duplicates_count_at_most_one_per_connection_of_each_stopped_sender(
    store: Store, now: datetime
) -> None:
    add_subscribers(store, 6, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    rows = claims.claim(store, "dead:1:0", batch=6, now=now, lease=LEASE)
    claims.mark_sending(store, "dead:1:0", [r.id for r in rows[:5]], now=now, lease=LEASE)  # a window of 5
    later = now + LEASE * 2
    again = claims.claim(store, "live:2:0", batch=6, now=later, lease=LEASE)
    claims.mark_sending(store, "live:2:0", [r.id for r in again], now=later, lease=LEASE)
    sent = [outcomes.AttemptResult(r.id, r.subscriber.id or 0, "sent", later, 250, "250 OK") for r in again]
    outcomes.record(store, "live:2:0", sent)
    assert admin.resent_after_crash(store, [edition]) == 5
    # two connections: of the five marked sending, at most two were on the wire
    assert admin.possible_duplicates(store, [edition], per_sender=2) == 2
    assert admin.possible_duplicates(store, [edition], per_sender=8) == 5


def test_rows_in_flight_at_a_crash_are_resent_by_default(store: Store, now: datetime) -> None:
    add_subscribers(store, 3, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    rows = claims.claim(store, "dead:1:0", batch=5, now=now, lease=LEASE)
    claims.mark_sending(store, "dead:1:0", [rows[0].id], now=now, lease=LEASE)
    later = now + LEASE * 2
    again = claims.claim(store, "live:2:0", batch=5, now=later, lease=LEASE)
    assert sorted(r.id for r in again) == sorted(r.id for r in rows)
    assert admin.resent_after_crash(store, [edition]) == 1
    (resent,) = [r for r in again if r.id == rows[0].id]
    assert resent.attempts == 1


def test_hold_policy_parks_rows_in_flight_for_an_operator(store: Store, now: datetime) -> None:
    add_subscribers(store, 2, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    rows = claims.claim(store, "dead:1:0", batch=5, now=now, lease=LEASE)
    claims.mark_sending(store, "dead:1:0", [rows[0].id], now=now, lease=LEASE)
    later = now + LEASE * 2
    again = claims.claim(store, "live:2:0", batch=5, now=later, lease=LEASE, in_flight_policy="hold")
    assert [r.id for r in again] == [rows[1].id]
    assert _states(store) == {"held": 1, "pending": 1}
    (held,) = admin.rows_in(store, [edition], ["held"])
    assert "held for an operator" in held.last_error
    assert admin.release_held(store, [edition], now=later) == 1
    (released,) = claims.claim(store, "live:2:0", batch=5, now=later, lease=LEASE, in_flight_policy="hold")
    assert released.id == rows[0].id


def test_a_dead_senders_rows_are_claimed_before_its_lease_ends(store: Store, now: datetime) -> None:
    add_subscribers(store, 2, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    rows = claims.claim(store, "dead:1:0", batch=5, now=now, lease=LEASE)
    claims.mark_sending(store, "dead:1:0", [rows[0].id], now=now, lease=LEASE)
    assert claims.claimants(store, now=now) == ["dead:1:0"]
    again = claims.claim(store, "live:2:0", batch=5, now=now, lease=LEASE, dead_senders=["dead:1:0"])
    assert len(again) == 2


def test_release_gives_back_unstarted_rows_only(store: Store, now: datetime) -> None:
    add_subscribers(store, 3, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    rows = claims.claim(store, "s:1:0", batch=5, now=now, lease=LEASE)
    claims.mark_sending(store, "s:1:0", [rows[0].id], now=now, lease=LEASE)
    assert claims.release(store, "s:1:0", now=now) == 2
    assert len(claims.claim(store, "t:2:0", batch=5, now=now, lease=LEASE)) == 2


def test_unsubscribed_after_fan_out_is_skipped_not_sent(store: Store, now: datetime) -> None:
    (address,) = add_subscribers(store, 1, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    with store.engine.begin() as conn:
        conn.execute(
            t.subscribers.update()
            .where(t.subscribers.c.id == subscriber_id(store, address))
            .values(status="unsubscribed")
        )
    assert claims.claim(store, "s:1:0", batch=5, now=now, lease=LEASE) == []
    assert _states(store) == {"skipped": 1}


def test_soft_bounces_suppress_at_the_limit(store: Store, now: datetime) -> None:
    (address,) = add_subscribers(store, 1, now=now)
    sid = subscriber_id(store, address)
    for day in range(3):
        edition = add_edition(store, day=now.date() + timedelta(days=day), now=now)
        fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
        (row,) = claims.claim(store, "s:1:0", batch=5, now=now, lease=LEASE)
        claims.mark_sending(store, "s:1:0", [row.id], now=now, lease=LEASE)
        result = outcomes.AttemptResult(row.id, sid, "failed", now, 452, "452 4.2.2 mailbox full", soft_bounce=True)
        outcomes.record(store, "s:1:0", [result], soft_limit=3)
        assert (suppression(store, address) is not None) == (day == 2)


def test_counts_and_next_due(store: Store, now: datetime) -> None:
    add_subscribers(store, 4, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now + timedelta(hours=2), now=now)
    assert admin.counts(store, [edition])["pending"] == 4
    assert admin.next_due(store, [edition]) == now + timedelta(hours=2)
    assert admin.due_count(store, now=now) == 0
    assert admin.bring_forward(store, [edition], now=now) == 4
    assert admin.due_count(store, now=now, edition_ids=[edition]) == 4
    assert admin.next_due(store, [edition]) == now.astimezone(UTC)


def test_recipients_lists_who_a_send_would_reach(store: Store, now: datetime) -> None:
    add_subscribers(store, 5, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    (row,) = claims.claim(store, "s:1:0", batch=1, now=now, lease=LEASE)
    claims.mark_sending(store, "s:1:0", [row.id], now=now, lease=LEASE)
    _sent(store, "s:1:0", row.id, row.subscriber.id or 0, now=now)
    left = list(admin.recipients(store, edition, language="fr", batch=2))
    assert len(left) == 4 and row.subscriber.email not in {s.email for s in left}


@pytest.mark.parametrize("edition", [None, 1])
def test_claims_read_the_index_in_order_and_never_sort_the_table(
    tmp_path: Path, now: datetime, edition: int | None
) -> None:
    """A claim must cost O(batch) whatever the table size: SQLite walks an index in
    (due_at, id) order and stops at the LIMIT, with no temporary sort of every due row."""
    store = new_sqlite_store(tmp_path / "plan.db")
    query = claims.due_rows("pending", now=now, edition=edition, dead=["x:1:0"]).limit(200)
    compiled = query.compile(store.engine, compile_kwargs={"literal_binds": True})
    with store.engine.connect() as conn:
        plan = " | ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    store.close()
    assert "TEMP B-TREE" not in plan, plan
    assert "USING INDEX ix_deliveries_" in plan, plan


def test_a_claimed_row_skipped_when_its_reader_leaves_is_not_sent_and_its_claim_ends(
    store: Store, now: datetime
) -> None:
    from digest.subscribers.membership import unsubscribe

    (address,) = add_subscribers(store, 1, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fanout.fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    (row,) = claims.claim(store, "s:1:0", batch=5, now=now, lease=LEASE)
    unsubscribe(store, subscriber_id(store, address), now=now, source="link")
    assert claims.mark_sending(store, "s:1:0", [row.id], now=now, lease=LEASE) == set()
    (skipped,) = admin.rows_in(store, [edition], ["skipped"])
    assert (skipped.last_error, skipped.claimed_by) == ("unsubscribed", "")
    assert claims.claimants(store, now=now) == []


# Where a delivery row is written ----------------------------------------------------

#: Every function under digest/ that writes the deliveries table, and what it writes.
#: Each state transition has exactly one writer; a new one belongs in this list only if
#: it writes a transition nobody writes yet.
WRITERS = {
    ("digest.store.fanout", "insert_rows"): "(none) -> pending, (none) -> skipped",
    ("digest.store.deliveries", "skip_rows"): "pending/retry -> skipped",
    ("digest.store.claims", "claim"): "a lease on due rows",
    ("digest.store.claims", "settle_in_flight"): "sending (sender gone) -> retry/held",
    ("digest.store.claims", "<module>"): "pending/retry -> sending (mark_sending's statement)",
    ("digest.store.claims", "renew"): "a lease extended",
    ("digest.store.claims", "release"): "a lease given back",
    ("digest.store.outcomes", "_settle"): "sending -> sent/retry/failed, or back to wait (untried)",
    ("digest.store.outcomes", "refund"): "retry/failed -> pending/retry (a stopped send's charges given back)",
    ("digest.store.delivery_admin", "bring_forward"): "waiting rows due now",
    ("digest.store.delivery_admin", "reopen_missed"): "skipped -> pending",
    ("digest.store.delivery_admin", "_reopen"): "held -> retry, failed -> retry",
    ("digest.store.delivery_admin", "retry_temporary"): "failed (temporary, ours) -> retry while the edition is fresh",
    ("digest.store.subscribers", "erase"): "an erased address scrubbed from last_error (no state change)",
}


_WRITES = {"update", "insert", "delete"}


def _is_deliveries(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "deliveries" and isinstance(node.value, ast.Name)


def _writes_deliveries(node: ast.AST) -> bool:
    """``update(t.deliveries)``, ``dialect_insert(...)(t.deliveries)``, ``t.deliveries.update()``."""
    if isinstance(node, ast.Call) and any(_is_deliveries(a) for a in node.args):
        func = node.func
        return isinstance(func, ast.Call) or (isinstance(func, ast.Name) and func.id in {"update", "insert", "delete"})
    return (
        isinstance(node, ast.Attribute) and node.attr in {"update", "insert", "delete"} and _is_deliveries(node.value)
    )


def _functions_writing_deliveries(tree: ast.AST, where: str = "<module>") -> set[str]:
    if isinstance(tree, ast.FunctionDef | ast.AsyncFunctionDef):
        where = tree.name
    found = {where} if _writes_deliveries(tree) else set()
    for child in ast.iter_child_nodes(tree):
        found |= _functions_writing_deliveries(child, where)
    return found


def _writers_of_deliveries() -> set[tuple[str, str]]:
    root = Path(digest.__file__).resolve().parent
    found: set[tuple[str, str]] = set()
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ".".join(("digest", *path.relative_to(root).with_suffix("").parts))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found |= {(module, function) for function in _functions_writing_deliveries(tree)}
    return found


def test_each_delivery_state_change_is_written_in_one_place() -> None:
    assert _writers_of_deliveries() == set(WRITERS)
