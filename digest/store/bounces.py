"""Bounce and complaint reports received after the send (DSNs, ARF), and what they do
to an address: a hard bounce or a complaint suppresses it at once; soft bounces only
once ``soft_bounce_limit`` of them span at least ``soft_bounce_days`` with no delivery
in between (a delivery resets the count, so a 450 never suppresses within a day and a
reader reachable two days out of three is never suppressed).

Each (report, recipient) is recorded once (unique ``report_id`` + address hash), so a
mailbox imported twice counts nothing twice. Only the address's hash is stored, and
the address is masked in the stored diagnostic.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select, update

from digest.models import SubscriberStatus
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.consent import record_override
from digest.store.deliveries import skip_open_deliveries
from digest.store.engine import dialect_insert
from digest.store.subscribers import address_hash, suppress, unsuppress

if TYPE_CHECKING:
    from digest.store.outcomes import AttemptResult

S = t.subscribers.c


class BounceKind(enum.StrEnum):
    """What a report says about an address."""

    HARD = "hard"  # permanent (5.x.x): suppress now
    SOFT = "soft"  # temporary (4.x.x), or a policy refusal: suppress after the limit
    COMPLAINT = "complaint"  # the reader marked the mail as spam: suppress now
    OURS = "ours"  # policy, system, content, size (5.3, 5.5, 5.6, 5.7, 5.2.3): recorded, never counted


class Effect(enum.StrEnum):
    """What recording one report did."""

    DUPLICATE = "duplicate"  # this report was imported before
    SUPPRESSED = "suppressed"  # the address is now suppressed
    COUNTED = "counted"  # a soft bounce counted, the limit not reached
    NOT_THE_READER = "not_the_reader"  # a refusal of ours: recorded, nothing counted
    ALREADY_SUPPRESSED = "already_suppressed"


@dataclass(frozen=True)
class Bounce:
    """One recipient of one report."""

    report_id: str
    address: str
    kind: BounceKind
    status: str = ""
    action: str = ""
    diagnostic: str = ""


def record_bounce(store: Store, bounce: Bounce, *, now: datetime, soft_limit: int, soft_days: float = 0.0) -> Effect:
    """Record ``bounce`` and apply it (in one transaction)."""
    email = bounce.address.strip().lower()
    digest = address_hash(email)
    diagnostic = bounce.diagnostic.replace(bounce.address, "[recipient]").replace(email, "[recipient]")
    with immediate(store.engine) as conn:
        sub = conn.execute(select(S.id).where(S.email == email)).first()
        values = {
            "report_id": bounce.report_id,
            "email_hash": digest,
            "subscriber_id": sub.id if sub is not None else None,
            "kind": bounce.kind.value,
            "status": bounce.status[:20],
            "action": bounce.action[:20],
            "diagnostic": diagnostic[:2000],
            "received_at": now,
        }
        insert = dialect_insert(conn.dialect.name)
        once = ["report_id", "email_hash"]
        statement = insert(t.bounces).values(**values).on_conflict_do_nothing(index_elements=once)
        if not conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount:
            return Effect.DUPLICATE
        detail = f"{bounce.status} {diagnostic}".strip()
        if bounce.kind is BounceKind.OURS:
            return Effect.NOT_THE_READER
        if bounce.kind is BounceKind.SOFT:
            if sub is not None:
                reached = count_soft_bounce(conn, sub.id, now=now, limit=soft_limit, days=soft_days)
            else:  # not (or no longer) a subscriber: count this address's reports instead
                soft = select(func.count(), func.min(t.bounces.c.received_at)).where(
                    t.bounces.c.email_hash == digest, t.bounces.c.kind == BounceKind.SOFT.value
                )
                count, first = conn.execute(soft).one()
                reached = int(count) if _reached(int(count), first, now, soft_limit, soft_days) else 0
            if not reached:
                return Effect.COUNTED
            reason, detail = "soft_bounce", f"{reached} soft bounces (limit {soft_limit}); last: {detail}"
        else:
            reason = "hard_bounce" if bounce.kind is BounceKind.HARD else "complaint"
        if sub is not None:
            added = suppress_subscriber(conn, sub.id, reason, now=now, detail=detail)
        else:
            added = int(suppress(conn, email, reason, now=now, detail=detail[:1000]))
    return Effect.SUPPRESSED if added else Effect.ALREADY_SUPPRESSED


def apply_bounces(conn: Connection, results: Sequence[AttemptResult], *, soft_limit: int, soft_days: float) -> int:
    """For SMTP-time outcomes: suppress hard-bounced addresses, count soft bounces and
    suppress once they reach the limit over the days (:func:`count_soft_bounce`); a
    delivery resets the count. Returns how many addresses were newly suppressed."""
    suppressed = 0
    delivered = [r.subscriber_id for r in results if r.outcome == "sent"]
    for i in range(0, len(delivered), 500):
        conn.execute(
            update(t.subscribers)
            .where(S.id.in_(delivered[i : i + 500]), S.soft_bounces > 0)
            .values(soft_bounces=0, soft_bounce_since=None)
        )
    for r in results:
        if r.suppress:
            suppressed += suppress_subscriber(conn, r.subscriber_id, r.suppress, now=r.at, detail=r.message)
        elif r.soft_bounce and not _failed_before(conn, r.delivery_id):  # one soft bounce per edition
            count = count_soft_bounce(conn, r.subscriber_id, now=r.at, limit=soft_limit, days=soft_days)
            if count:
                detail = f"{count} soft bounces (limit {soft_limit}, over {soft_days:g} days); last: {r.message}"
                suppressed += suppress_subscriber(conn, r.subscriber_id, "soft_bounce", now=r.at, detail=detail)
    return suppressed


def _failed_before(conn: Connection, delivery_id: int) -> bool:
    """The delivery failed before this failure (retried by a later send): its soft
    bounce was counted then."""
    a = t.delivery_attempts.c
    query = select(func.count()).where(a.delivery_id == delivery_id, a.outcome == "failed")
    return int(conn.execute(query).scalar_one()) > 1


def count_soft_bounce(conn: Connection, subscriber_id: int, *, now: datetime, limit: int, days: float) -> int:
    """Count one soft bounce for the subscriber (the first since their last delivery
    starts the run); the count when the address must now be suppressed (``limit``
    reached and the run spans at least ``days``), else 0."""
    conn.execute(
        update(t.subscribers)
        .where(S.id == subscriber_id)
        .values(soft_bounces=S.soft_bounces + 1, soft_bounce_since=func.coalesce(S.soft_bounce_since, now))
    )
    row = conn.execute(select(S.soft_bounces, S.soft_bounce_since).where(S.id == subscriber_id)).first()
    if row is None:
        return 0
    return int(row.soft_bounces) if _reached(int(row.soft_bounces), row.soft_bounce_since, now, limit, days) else 0


def _reached(count: int, since: datetime | None, now: datetime, limit: int, days: float) -> bool:
    if count < limit:
        return False
    if since is None or days <= 0:
        return True
    if since.tzinfo is None:  # SQLite's MIN() bypasses the column type
        since = since.replace(tzinfo=UTC)
    return now - since >= timedelta(days=days)


def suppress_subscriber(conn: Connection, subscriber_id: int, reason: str, *, now: datetime, detail: str) -> int:
    """Suppress a subscriber's address (``reason``: hard_bounce, soft_bounce, complaint),
    mark a confirmed subscriber bounced and skip their open deliveries. Returns 1 when
    the address was newly suppressed, else 0."""
    row = conn.execute(select(S.email, S.status).where(S.id == subscriber_id)).first()
    if row is None:
        return 0
    added = suppress(conn, row.email, reason, now=now, detail=detail[:1000])
    if row.status in (SubscriberStatus.CONFIRMED.value, SubscriberStatus.PENDING.value):
        conn.execute(
            update(t.subscribers)
            .where(S.id == subscriber_id)
            .values(status=SubscriberStatus.BOUNCED.value, updated_at=now)
        )
    skip_open_deliveries(conn, subscriber_id, now=now, reason=f"not sent: address suppressed ({reason})")
    return int(added)


@dataclass(frozen=True)
class SuppressionEntry:
    """One entry of the suppression list, with the address when a subscriber row still
    names it ("" after an erasure: only the hash is kept)."""

    email: str
    email_hash: str
    reason: str
    detail: str
    created_at: datetime


def suppression_entries(store: Store, *, reasons: Sequence[str] = (), limit: int = 1000) -> list[SuppressionEntry]:
    """The newest ``limit`` suppressions (only ``reasons`` when given), each with its
    address looked up among the subscribers who are not confirmed."""
    sup = t.suppressions.c
    query = select(sup.email_hash, sup.reason, sup.detail, sup.created_at).order_by(sup.created_at.desc(), sup.id)
    if reasons:
        query = query.where(sup.reason.in_(list(reasons)))
    with store.engine.connect() as conn:
        rows = conn.execute(query.limit(limit)).all()
        wanted = {r.email_hash for r in rows}
        emails: dict[str, str] = {}
        addresses = select(S.email).where(S.status != SubscriberStatus.CONFIRMED.value)
        for email in conn.execute(addresses.execution_options(yield_per=1000)).scalars():
            digest = address_hash(email)
            if digest in wanted:
                emails[digest] = email
    return [
        SuppressionEntry(emails.get(r.email_hash, ""), r.email_hash, r.reason, r.detail, r.created_at) for r in rows
    ]


def lift_suppression(store: Store, address: str, *, source: str, note: str, now: datetime) -> SuppressionEntry | None:
    """Lift ``address``'s suppression (recorded as an override, ``note`` saying why) and
    put a bounced subscriber back on the list with a clean soft-bounce count. Returns
    the suppression lifted, or None when the address was not suppressed."""
    email = address.strip().lower()
    sup = t.suppressions.c
    with immediate(store.engine) as conn:
        row = conn.execute(
            select(sup.reason, sup.detail, sup.created_at).where(sup.email_hash == address_hash(email))
        ).first()
        if row is None:
            return None
        record_override(conn, email, reason=row.reason, source=source, detail=note, now=now)
        unsuppress(conn, email)
        conn.execute(
            update(t.subscribers)
            .where(S.email == email, S.status == SubscriberStatus.BOUNCED.value)
            .values(status=SubscriberStatus.CONFIRMED.value, soft_bounces=0, soft_bounce_since=None, updated_at=now)
        )
    return SuppressionEntry(email, address_hash(email), row.reason, row.detail, row.created_at)
