"""Editions on the editor's desk: approve (more actions join here: withdraw, item edits,
pin, move, rebuild).

Reads the doors need to find an edition are here too, unaudited: a door imports this
module, never the store.
"""

from __future__ import annotations

from datetime import date

from digest.actions.core import Actor, Operations, declare
from digest.admins import Role
from digest.errors import NotFoundError
from digest.models import Edition
from digest.store import desk
from digest.store.desk import Approval
from digest.store.editions import editions_for_date

APPROVE = declare("edition.approve", Role.EDITOR, "approve an edition for sending (review mode)")


def editions_on(ops: Operations, day: date, language: str | None = None) -> list[Edition]:
    """The newsletter's editions of ``day`` (one language's only, with ``language``);
    NotFoundError naming the command that builds them when there is none."""
    found = [
        ed
        for ed in editions_for_date(ops.store, ops.settings.newsletter.name, day)
        if language is None or ed.language == language
    ]
    if not found:
        which = f" in {language}" if language else ""
        raise NotFoundError(f"no edition for {day.isoformat()}{which}: build it first (`digest edition build`)")
    return found


def approve(ops: Operations, actor: Actor, edition: Edition) -> Approval:
    """Approve ``edition`` for sending; a second approval keeps the first."""
    assert edition.id is not None
    with ops.act(actor, APPROVE, target=f"edition:{edition.id}") as act:
        act.details(date=edition.edition_date.isoformat(), language=edition.language)
        return desk.approve(act.store, edition.id, by=actor.name, now=act.now)
