"""Bulk work on the subscriber list: one change applied to a selection of subscribers
(rows picked by id, or every subscriber matching the console's filters), as one
``subscriber.bulk`` action: one transaction and one audit row saying what was done, to
how many, chosen how. Each subscriber is changed by the same rule as the one-by-one
action (:mod:`digest.subscribers.membership`), so a bulk unsubscribe suppresses and
skips open deliveries exactly as the single one does.

The selection's export is the ``subscriber.export`` action, with the selection noted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from digest.actions.core import Act, Actor, Operations, declare
from digest.actions.subscribers import EXPORT, known_topics, shown_to, source_of
from digest.admins import Role
from digest.errors import ValidationError
from digest.models import Subscriber, SubscriberQuery, SubscriberStatus
from digest.store import listings
from digest.store import subscribers as db
from digest.subscribers import csv_file
from digest.subscribers import membership as subs

BULK = declare(
    "subscriber.bulk", Role.EDITOR, "unsubscribe, forget, add or remove a topic, or resend the confirmation, in bulk"
)

#: What a bulk action may do; the first two ask the console for a second confirmation.
OPERATIONS = ("unsubscribe", "forget", "add_topic", "remove_topic", "resend_confirmation")
DANGEROUS = ("unsubscribe", "forget")
#: The most subscribers one bulk action changes (a whole 100,000-row list in one go).
MAX_SELECTED = 200_000


@dataclass(frozen=True)
class Selection:
    """Subscribers picked by id, or (``query`` set) every one matching the filters."""

    ids: tuple[int, ...] = ()
    query: SubscriberQuery | None = None

    def describe(self) -> dict[str, Any]:
        """How the selection was made, for the audit row (the same from every door)."""
        if self.query is None:
            return {"ids": len(self.ids)}
        q = self.query
        given = {"q": q.text, "status": q.status, "language": q.language, "topic": q.topic}
        return {"filter": {k: v for k, v in given.items() if v}}


@dataclass
class BulkResult:
    """What a bulk action did: how many were selected, changed, left as they were."""

    operation: str
    selected: int = 0
    changed: int = 0
    unchanged: int = 0
    to_confirm: list[Subscriber] = field(default_factory=list)  # resend_confirmation: the door mails them


def selected_ids(ops: Operations, selection: Selection) -> list[int]:
    """The ids the selection names, in id order (forgotten subscribers left out: they
    have nothing left to change)."""
    if selection.query is not None:
        return listings.matching_subscriber_ids(ops.store, selection.query, limit=MAX_SELECTED + 1)
    wanted = sorted(set(selection.ids))
    return [s.id for s in listings.subscribers_by_ids(ops.store, wanted) if s.id is not None]


def count(ops: Operations, selection: Selection) -> int:
    """How many subscribers the selection holds (the confirmation page's count)."""
    return len(selected_ids(ops, selection))


def _check(operation: str, topic: str, known: list[str]) -> None:
    if operation not in OPERATIONS:
        raise ValidationError(f"operation: one of {', '.join(OPERATIONS)}, not {operation!r}")
    if operation in ("add_topic", "remove_topic") and topic not in known:
        raise ValidationError(f"topic: {topic!r} is not a known topic ({', '.join(known) or 'none yet'})")


def _apply(act: Act, operation: str, sub: Subscriber, topic: str, known: list[str]) -> bool:
    """Change one subscriber; whether anything changed."""
    assert sub.id is not None
    if sub.status is SubscriberStatus.FORGOTTEN:
        return False
    if operation == "forget":
        subs.forget(act.store, sub.id, now=act.now)
        return True
    if operation == "unsubscribe":
        if sub.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED):
            return False
        subs.unsubscribe(act.store, sub.id, now=act.now, source=source_of(act.actor))
        return True
    if operation == "resend_confirmation":
        return sub.status is SubscriberStatus.PENDING
    if sub.status in db.SUPPRESSED_STATUSES:
        return False
    # No topic chosen means every topic: adding one changes nothing, removing one leaves the others.
    topics = tuple(sub.topics) or tuple(known)
    if operation == "add_topic":
        if not sub.topics or topic in topics:
            return False
        new = (*topics, topic)
    else:
        if topic not in topics:
            return False
        new = tuple(t for t in topics if t != topic)
    db.update_subscriber(act.store, replace(sub, topics=new), now=act.now)
    return True


def bulk(ops: Operations, actor: Actor, operation: str, selection: Selection, *, topic: str = "") -> BulkResult:
    """Apply ``operation`` to every subscriber of ``selection`` in one transaction, with
    one audit row (ValidationError for an unknown operation or topic, or a selection
    larger than :data:`MAX_SELECTED`)."""
    known = known_topics(ops)
    _check(operation, topic, known)
    with ops.act(actor, BULK, target="subscribers") as act:
        ids = selected_ids(ops, selection)
        if len(ids) > MAX_SELECTED:
            raise ValidationError(f"{len(ids)} subscribers selected; at most {MAX_SELECTED} at once")
        result = BulkResult(operation, selected=len(ids))
        for sub in listings.subscribers_by_ids(act.store, ids):
            if _apply(act, operation, sub, topic, known):
                result.changed += 1
                if operation == "resend_confirmation":
                    result.to_confirm.append(sub)
            else:
                result.unchanged += 1
        act.details(
            operation=operation, **({"topic": topic} if topic and "topic" in operation else {}),
            selection=selection.describe(), selected=result.selected, changed=result.changed,
        )  # fmt: skip
        return result


def export(ops: Operations, actor: Actor, selection: Selection, out: TextIO) -> int:
    """Write the selection (erased subscribers left out) as re-importable CSV, audited
    as ``subscriber.export`` with the selection noted; the row count."""
    with ops.act(actor, EXPORT) as act:
        ids = selected_ids(ops, selection)
        rows = [s for s in listings.subscribers_by_ids(act.store, ids) if s.status is not SubscriberStatus.FORGOTTEN]
        n = csv_file.write_csv(rows, out, shown=lambda sub: shown_to(actor.role, sub))
        act.details(rows=n, selection=selection.describe())
        return n
