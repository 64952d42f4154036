"""The suppression list, as admins change it: suppress an address by hand, or lift an
entry (``suppression.add`` and ``suppression.remove``, whichever door).

Only a hash of each address is stored (:func:`digest.store.subscribers.address_hash`);
the audit row names an entry by the first 16 digits of that hash, never the address.
"""

from __future__ import annotations

from digest.actions.core import Actor, Operations, declare
from digest.admins import Role
from digest.errors import NotFoundError, ValidationError
from digest.store import listings
from digest.store import subscribers as db
from digest.store.listings import SuppressionRow
from digest.subscribers.membership import normalise_address

SUPPRESS = declare("suppression.add", Role.EDITOR, "put an address on the suppression list")
UNSUPPRESS = declare("suppression.remove", Role.EDITOR, "lift an address's suppression")

#: The reason recorded for an address an admin suppressed by hand.
MANUAL = "manual"

__all__ = ["MANUAL", "SuppressionRow", "remove_suppression", "suppress", "suppressions"]


def _target(email_hash: str) -> str:
    return f"suppression:{email_hash[:16]}"


def suppressions(
    ops: Operations, *, address: str = "", limit: int = 50, offset: int = 0
) -> tuple[list[SuppressionRow], int]:
    """One page of the suppression list, newest first (``address`` finds its entry), and the total."""
    return listings.suppressions(ops.store, address=address, limit=limit, offset=offset)


def suppress(ops: Operations, actor: Actor, email: str, *, detail: str = "") -> bool:
    """Suppress ``email`` (reason ``manual``): nothing is sent to it any more. False
    when it already was suppressed (its first reason is kept)."""
    address = normalise_address(email)
    with ops.act(actor, SUPPRESS, target=_target(db.address_hash(address))) as act:
        added = db.suppress(act.store, address, MANUAL, now=act.now, detail=detail[:500])
        act.details(reason=MANUAL, added=added)
        return added


def remove_suppression(
    ops: Operations, actor: Actor, *, suppression_id: int | None = None, address: str = ""
) -> SuppressionRow:
    """Lift one suppression, found by address or by its entry's id; the entry removed.
    NotFoundError when there is none."""
    if not address and suppression_id is None:
        raise ValidationError("address: give an address or an entry id")
    with ops.act(actor, UNSUPPRESS) as act:
        if address:
            address = normalise_address(address)
            rows, _ = listings.suppressions(act.store, address=address, limit=1)
            if not rows:
                raise NotFoundError(f"{address} is not on the suppression list")
            suppression_id = rows[0].id
        removed = None if suppression_id is None else listings.remove_suppression(act.store, suppression_id)
        if removed is None:
            raise NotFoundError(f"no suppression {suppression_id}")
        act.target = _target(removed.email_hash)
        act.details(reason=removed.reason)
        return removed
