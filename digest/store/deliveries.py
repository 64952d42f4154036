"""The delivery table's life cycle: its states, which function writes each transition,
and the one writer every kind of skip goes through.

One row per (edition, subscriber), inserted once (``INSERT ... ON CONFLICT DO
NOTHING``), is the whole truth about who got what. Its life::

    pending --claim--> (pending, claimed_by=S) --mark_sending--> sending --250--> sent
                                                                  |--4xx--> retry (due later) --> ...
                                                                  |--5xx / too many 4xx--> failed
                                                                  |--not tried--> back to wait (untried)
    sending, lease expired (S died mid-DATA) --> retry now (policy resend) | held (policy hold)

Each transition is written in exactly one function; everything else calls it:

====================================  ==================================================
transition                            written by
====================================  ==================================================
(none) -> pending, (none) -> skipped  :func:`digest.store.fanout.insert_rows`
pending/retry: claim (a lease)        :func:`digest.store.claims.claim`
lease renewed, claim given back       :func:`~digest.store.claims.renew`, :func:`~digest.store.claims.release`
pending/retry -> sending              :func:`digest.store.claims.mark_sending`
sending (sender gone) -> retry/held   :func:`digest.store.claims.settle_in_flight`
sending -> sent, retry, failed,       :func:`digest.store.outcomes.record`
  or back to pending/retry (untried)
retry/failed -> pending/retry         :func:`digest.store.outcomes.refund` (a stopped send's
                                      charges given back)
pending/retry -> skipped              :func:`skip_rows` (claims, the scheduler's catch-up,
                                      a subscriber leaving or suppressed)
held -> retry, failed -> retry        :func:`digest.store.delivery_admin.release_held`,
                                      :func:`~digest.store.delivery_admin.retry_failed`
skipped -> pending                    :func:`digest.store.delivery_admin.reopen_missed`
waiting rows made due now             :func:`digest.store.delivery_admin.bring_forward`
====================================  ==================================================

* A sender claims a batch of due rows with a lease (``claimed_by``, ``lease_until``):
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite, so two
  senders never hold the same row. Rows whose lease expired are claimed again.
* Every write after the claim is guarded by ``claimed_by``: a sender that lost its
  lease cannot overwrite what the new holder does.
* A row is ``sending`` from just before its SMTP transaction until its outcome is
  written, so after a crash the only uncertain rows are those; ``sent`` is written only
  after the server's 250.

Every query is bounded by a batch (or is one ``INSERT ... SELECT``), never the size of
the list, so a 100k send costs ten times a 10k one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update

from digest.models import DeliveryState
from digest.store import tables as t

D = t.deliveries.c
S = t.subscribers.c

#: Rows waiting to be sent (claimable when due).
WAITING = (DeliveryState.PENDING.value, DeliveryState.RETRY.value)
#: States in which a row still needs something to happen.
OPEN = (*WAITING, DeliveryState.SENDING.value, DeliveryState.HELD.value)
#: Ids per ``IN (...)`` list.
CHUNK = 500


def skip_rows(conn: Connection, *where: Any, reason: str, now: datetime) -> int:
    """Mark the rows matching ``where`` skipped (not sent on purpose; ``reason`` says
    why) and end any claim on them. Returns the rows changed.

    The caller's conditions decide which rows may be skipped (never a ``sending`` one:
    that row belongs to its sender until the outcome is written).
    """
    statement = (
        update(t.deliveries)
        .where(*where)
        .values(state=DeliveryState.SKIPPED.value, last_error=reason, claimed_by=None, lease_until=None, updated_at=now)
    )
    return int(conn.execute(statement).rowcount or 0)


def skip_open_deliveries(conn: Connection, subscriber_id: int, *, now: datetime, reason: str) -> int:
    """Skip this subscriber's not-yet-sent deliveries (they left or were suppressed);
    rows being sent right now are left to the sender. Returns the count."""
    return skip_rows(conn, D.subscriber_id == subscriber_id, D.state.in_(WAITING), reason=reason, now=now)
