"""The action layer's core: who acts, what each action needs, and one audited transaction.

An action module declares its names once, with the role each needs::

    APPROVE = declare("edition.approve", Role.EDITOR, "approve an edition for sending")

and writes inside :meth:`Operations.act`::

    with ops.act(actor, APPROVE, target=f"edition:{edition_id}") as act:
        done = desk.approve(act.store, edition_id, by=actor.name, now=act.now)
        act.details(date=..., language=...)

``act.store`` is bound to the transaction, so the write and the audit row commit
together or not at all. A refused role raises :class:`Forbidden` before anything is
read or written.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from digest.admins import Role
from digest.config import Settings
from digest.errors import DigestError
from digest.store import Store, audit

__all__ = ["ACTIONS", "Act", "ActionName", "Actor", "Door", "Forbidden", "Operations", "Store", "declare"]


class Door(enum.StrEnum):
    """The door an actor came through, recorded with each audit row."""

    CLI = "cli"
    CONSOLE = "console"
    API = "api"
    SERVICE = "service"  # the scheduler and workers acting on their own


@dataclass(frozen=True)
class Actor:
    """Who acts: an admin's address (``cli:<login>`` on the command line, ``api`` for
    the shared bearer token), the role they act with and the door they came through;
    ``key`` names the API key an admin acts with ("key:3 deploy"), recorded in each
    audit row beside the admin."""

    name: str
    role: Role
    door: Door
    key: str = ""


class Forbidden(DigestError):
    """The actor's role does not allow the action."""

    exit_code = 1


@dataclass(frozen=True)
class ActionName:
    """One declared action: its audit name, the role it needs and what it does."""

    name: str
    role: Role
    summary: str


#: Every declared action by name: the parity test walks it, so an action added without
#: a door test fails there.
ACTIONS: dict[str, ActionName] = {}


def declare(name: str, role: Role, summary: str) -> ActionName:
    """Declare an action once (at import of its module); a second declaration of the
    same name with another role is a programming error."""
    found = ACTIONS.get(name)
    if found is not None and found.role is not role:
        raise ValueError(f"action {name!r} declared twice with different roles")
    ACTIONS[name] = declared = ActionName(name, role, summary)
    return declared


@dataclass
class Act:
    """An action under way: the transaction's store, the instant, and what its audit
    row will say (set ``target`` and :meth:`details` as the write learns them)."""

    store: Store
    now: datetime
    actor: Actor
    target: str
    _details: dict[str, Any] = field(default_factory=dict)

    def details(self, **values: Any) -> None:
        """Add fields to the audit row (before/after values, counts, dates)."""
        self._details.update(values)

    def change(self, what: str, before: Any, after: Any) -> None:
        """Record one field's value before and after the write."""
        self._details.setdefault("changes", {})[what] = {"before": before, "after": after}


@dataclass
class Operations:
    """What the actions work with: the settings, the store and the clock. Each door
    builds one (the CLI's context, the web app) and passes it to every action."""

    settings: Settings
    store: Store
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def allow(self, actor: Actor, action: ActionName) -> None:
        """Forbidden unless ``actor``'s role allows ``action``."""
        if not actor.role.allows(action.role):
            raise Forbidden(f"{action.name}: needs the {action.role.value} role, {actor.name} is {actor.role.value}")

    @contextmanager
    def act(
        self, actor: Actor, action: ActionName, *, target: str = "", details: Mapping[str, Any] | None = None
    ) -> Iterator[Act]:
        """Check the role, then one transaction: the caller's writes through
        ``act.store`` and the audit row under ``action.name``, committed together."""
        self.allow(actor, action)
        with self.store.transaction() as bound:
            act = Act(bound, self.clock(), actor, target, dict(details or {}))
            yield act
            audit.record(
                bound,
                actor=actor.name,
                action=action.name,
                target=act.target,
                details={**act._details, "door": actor.door.value, **({"key": actor.key} if actor.key else {})},
                now=act.now,
            )
