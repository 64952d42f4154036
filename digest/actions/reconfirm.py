"""The suppression list as an operator sees it: which class of refusal each entry came
from, and the undo for the ones that were never the reader's doing.

``subscriber.reconfirm`` lifts a suppression caused by our relay (a 5.7.x policy
refusal, a size limit: cause ``ours``) or by soft bounces (``soft``), puts the
subscriber back on the list and records it twice: a suppression override (the trust
record) and an audit row naming who, from which door and why. A hard bounce (the
mailbox did not exist) is lifted by an owner only: the reader may have told them the
address works again, and mailing a dead mailbox costs the sender's reputation, so an
editor cannot. Complaints and unsubscriptions are refused to everyone: bringing those
back needs the person's own consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digest.actions.core import Actor, Operations, declare
from digest.actions.subscribers import source_of
from digest.admins import Role
from digest.deliver.replies import suppression_cause
from digest.errors import NotFoundError, ValidationError
from digest.store.bounces import SuppressionEntry, lift_suppression, suppression_entries
from digest.store.subscribers import suppression

RECONFIRM = declare(
    "subscriber.reconfirm", Role.EDITOR, "lift a suppression our relay or bounces caused (a hard bounce: owners only)"
)

#: Causes an editor may lift; an owner may also lift :data:`OWNER_LIFTABLE`'s; the
#: others need the reader's consent.
LIFTABLE = frozenset({"ours", "soft"})
OWNER_LIFTABLE = LIFTABLE | {"hard"}
#: What ``--cause`` accepts.
CAUSES = ("ours", "soft", "hard")


@dataclass(frozen=True)
class Suppressed:
    """One suppression and the class of refusal it came from."""

    email: str  # "" once erased (only the hash is kept)
    reason: str
    cause: str  # ours, soft, hard, or the reason itself (unsubscribed, complaint...)
    detail: str
    since: datetime


def by_cause(ops: Operations, *, cause: str | None = None, limit: int = 1000) -> list[Suppressed]:
    """The newest suppressions (``limit``), only those of ``cause`` when given."""
    if cause is not None and cause not in CAUSES:
        raise ValidationError(f"--cause {cause!r}: one of {', '.join(CAUSES)}")
    reasons = ("hard_bounce", "soft_bounce") if cause is not None else ()
    entries = suppression_entries(ops.store, reasons=reasons, limit=limit)
    found = [_view(e) for e in entries]
    return [s for s in found if cause is None or s.cause == cause]


def _view(entry: SuppressionEntry) -> Suppressed:
    return Suppressed(entry.email, entry.reason, suppression_cause(entry.reason, entry.detail), entry.detail,
                      entry.created_at)  # fmt: skip


def reconfirm(ops: Operations, actor: Actor, address: str, *, reason: str) -> Suppressed:
    """Lift ``address``'s suppression when it came from our relay or soft bounces (or,
    for an owner, a hard bounce); ValidationError for any other cause or without a
    reason, NotFoundError when the address is not suppressed."""
    if not reason.strip():
        raise ValidationError("--reason: say why the suppression is lifted (it goes in the audit log)")
    email = address.strip().lower()
    with ops.act(actor, RECONFIRM, target=f"subscriber:{email}") as act:
        current = suppression(act.store, email)
        if current is None:
            raise NotFoundError(f"{email} is not suppressed")
        cause = suppression_cause(current.reason, current.detail)
        if cause == "hard" and actor.role is not Role.OWNER:
            raise ValidationError(
                f"{email} is suppressed for {current.reason} ({cause}): only an owner can lift a hard bounce"
            )
        if cause not in OWNER_LIFTABLE:
            raise ValidationError(
                f"{email} is suppressed for {current.reason} ({cause}): only a suppression caused by our relay "
                "or by bounces can be lifted; this one needs the reader's own consent"
            )
        lifted = lift_suppression(act.store, email, source=source_of(actor), note=reason, now=act.now)
        assert lifted is not None
        act.details(reason=reason, lifted=lifted.reason, cause=cause, detail=lifted.detail[:300])
    return Suppressed(email, lifted.reason, cause, lifted.detail, lifted.created_at)
