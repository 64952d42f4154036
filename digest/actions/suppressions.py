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

__all__ = ["MANUAL", "SuppressionRow", "page", "suppress", "unsuppress"]


def _target(email_hash: str) -> str:
    return f"suppression:{email_hash[:16]}"


def page(ops: Operations, *, address: str = "", limit: int = 50, offset: int = 0) -> tuple[list[SuppressionRow], int]:
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


def unsuppress(
    ops: Operations, actor: Actor, *, email: str | None = None, entry_id: int | None = None
) -> SuppressionRow:
    """Lift one suppression, found by address or by its entry's id; the entry removed.
    NotFoundError when there is none."""
    if (email is None) == (entry_id is None):
        raise ValidationError("suppression: give either an address or an entry id")
    with ops.act(actor, UNSUPPRESS) as act:
        if email is not None:
            rows, _ = listings.suppressions(act.store, address=normalise_address(email), limit=1)
            entry_id = rows[0].id if rows else None
            if entry_id is None:
                raise NotFoundError(f"{normalise_address(email)} is not suppressed")
        assert entry_id is not None
        removed = listings.remove_suppression(act.store, entry_id)
        if removed is None:
            raise NotFoundError(f"no suppression entry {entry_id}")
        act.target = _target(removed.email_hash)
        act.details(reason=removed.reason)
        return removed
