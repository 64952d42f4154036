"""What became of an edition's messages: sent, bounced, complained about, and who left
in the days after. The delivery side of the edition report (clicks and opens are in
:mod:`digest.store.tracking`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from digest.models import DeliveryState
from digest.store import Store
from digest.store import tables as t
from digest.store.subscribers import address_hash

D = t.deliveries.c
B = t.bounces.c
S = t.subscribers.c

#: The unsubscribes counted against an edition: within this many days after its message.
UNSUBSCRIBE_DAYS = 7


@dataclass(frozen=True)
class DeliveryFigures:
    """One edition's messages and what came back."""

    sent: int  # accepted by the relay (250 to DATA)
    failed: int  # refused for good at the SMTP stage (a synchronous hard bounce)
    bounced_hard: int  # DSNs reporting a permanent failure, after acceptance
    bounced_soft: int  # DSNs reporting a temporary failure
    complaints: int  # ARF reports ("this is spam") read by `digest bounces import`
    unsubscribed: dict[str, int]  # by how: one-click, link (the page), mailto, cli, api


def delivery_figures(store: Store, edition_id: int) -> DeliveryFigures:
    """Counts for ``edition_id``: reports are matched to the edition's recipients and
    counted when received within :data:`UNSUBSCRIBE_DAYS` after their message was sent."""
    window = timedelta(days=UNSUBSCRIBE_DAYS)
    with store.engine.connect() as conn:
        query = select(D.state, func.count()).where(D.edition_id == edition_id).group_by(D.state)
        states: dict[str, int] = {str(state): int(n) for state, n in conn.execute(query).all()}
        sent_rows = conn.execute(
            select(D.subscriber_id, D.sent_at).where(
                D.edition_id == edition_id, D.state == DeliveryState.SENT.value, D.sent_at.is_not(None)
            )
        ).all()
        sent_at = {r.subscriber_id: r.sent_at for r in sent_rows}
        reports: dict[str, set[int]] = {"hard": set(), "soft": set(), "complaint": set()}
        if sent_at:
            first, last = min(sent_at.values()), max(sent_at.values()) + window
            for r in conn.execute(
                select(B.subscriber_id, B.kind, B.received_at).where(
                    B.subscriber_id.is_not(None), B.received_at >= first, B.received_at <= last
                )
            ).all():
                at = sent_at.get(r.subscriber_id)
                if at is not None and at <= r.received_at <= at + window and r.kind in reports:
                    reports[r.kind].add(r.subscriber_id)
            left = conn.execute(
                select(S.id, S.email, S.unsubscribed_at).where(
                    S.unsubscribed_at.is_not(None), S.unsubscribed_at >= first, S.unsubscribed_at <= last
                )
            ).all()
        else:
            left = []
        unsubscribed: dict[str, int] = {}
        gone = [r for r in left if r.id in sent_at and sent_at[r.id] <= r.unsubscribed_at <= sent_at[r.id] + window]
        if gone:
            how: dict[str, str] = {
                str(h): str(detail)
                for h, detail in conn.execute(
                    select(t.suppressions.c.email_hash, t.suppressions.c.detail).where(
                        t.suppressions.c.email_hash.in_([address_hash(r.email) for r in gone]),
                        t.suppressions.c.reason == "unsubscribed",
                    )
                ).all()
            }
            for r in gone:
                source = how.get(address_hash(r.email)) or "other"
                unsubscribed[source] = unsubscribed.get(source, 0) + 1
    return DeliveryFigures(
        sent=int(states.get(DeliveryState.SENT.value, 0)),
        failed=int(states.get(DeliveryState.FAILED.value, 0)),
        bounced_hard=len(reports["hard"]),
        bounced_soft=len(reports["soft"] - reports["hard"]),
        complaints=len(reports["complaint"]),
        unsubscribed=unsubscribed,
    )


def recent_edition_ids(store: Store, newsletter: str, *, before: date, limit: int = 30) -> list[int]:
    """The ids of the last ``limit`` editions sent or sending before ``before`` (every
    language), newest first: what the picking may learn from."""
    e = t.editions.c
    query = (
        select(e.id)
        .where(e.newsletter == newsletter, e.edition_date < before, e.status.in_(["sent", "sending"]))
        .order_by(e.edition_date.desc(), e.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [int(i) for i in conn.execute(query).scalars()]
