"""Reading the audit log every action writes (:meth:`digest.actions.core.Operations.act`):
who changed what and when, newest first, searchable."""

from __future__ import annotations

from dataclasses import replace

from digest.actions.core import Operations
from digest.admins import Role
from digest.store import audit
from digest.store.audit import AuditEntry

__all__ = ["AuditEntry", "count", "recent", "shown_to"]

#: Details a viewer does not see: personal data beyond an address (a client's IP
#: address and user agent; a subscriber's name before and after a change).
PERSONAL_DETAILS = ("ip", "user_agent")
PERSONAL_CHANGES = ("name",)


def shown_to(role: Role, entry: AuditEntry) -> AuditEntry:
    """``entry`` as an admin of ``role`` may see it: a viewer's without personal data
    beyond addresses (the same rule as for subscribers)."""
    if role.allows(Role.EDITOR):
        return entry
    details = {k: v for k, v in entry.details.items() if k not in PERSONAL_DETAILS}
    changes = details.get("changes")
    if isinstance(changes, dict):
        details["changes"] = {k: ({"before": "…", "after": "…"} if k in PERSONAL_CHANGES else v)
                              for k, v in changes.items()}  # fmt: skip
    return replace(entry, details=details)


def recent(ops: Operations, *, text: str | None = None, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
    """The newest entries first, optionally matching ``text`` (actor, action, target, details)."""
    return audit.recent(ops.store, text=text, limit=limit, offset=offset)


def count(ops: Operations, *, text: str | None = None) -> int:
    """How many entries :func:`recent` would page through."""
    return audit.count(ops.store, text=text)
