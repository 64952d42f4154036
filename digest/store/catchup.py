"""The scheduler's catch-up rules written on delivery rows: a send time missed for too
long is skipped, not sent late.

Rows a live sender holds, or already tried, are never touched here; every skip goes
through :func:`digest.store.deliveries.skip_rows` and every new row through
:func:`digest.store.fanout.insert_rows`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from digest.models import DeliveryState, SubscriberStatus
from digest.store import Store, immediate
from digest.store.deliveries import D, S, skip_rows
from digest.store.fanout import insert_rows


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
    members = select(S.id).where(
        S.status == SubscriberStatus.CONFIRMED.value,
        S.language == language,
        S.timezone == timezone,
        S.send_at == send_at,
    )
    with immediate(store.engine) as conn:
        changed = 0
        if pending_too:
            changed += skip_rows(
                conn,
                D.edition_id == edition_id,
                D.state == DeliveryState.PENDING.value,
                D.attempts == 0,
                D.due_at <= now,
                or_(D.claimed_by.is_(None), D.lease_until < now),
                D.subscriber_id.in_(members),
                reason=reason,
                now=now,
            )
        changed += insert_rows(
            conn, edition_id, S.id.in_(members), state=DeliveryState.SKIPPED, due=due, now=now, reason=reason
        )
    return changed


def skip_overdue(store: Store, *, before: datetime, reason: str, now: datetime) -> int:
    """Skip every untouched pending row due before ``before`` (now minus the catch-up
    grace), of any edition: after downtime, they were missed for too long. Uses the
    (state, due_at) index."""
    with immediate(store.engine) as conn:
        return skip_rows(
            conn,
            D.state == DeliveryState.PENDING.value,
            D.due_at < before,
            D.attempts == 0,
            or_(D.claimed_by.is_(None), D.lease_until < now),
            reason=reason,
            now=now,
        )
