"""Reading the audit log every action writes (:meth:`digest.actions.core.Operations.act`):
who changed what and when, newest first, searchable."""

from __future__ import annotations

from digest.actions.core import Operations
from digest.store import audit
from digest.store.audit import AuditEntry

__all__ = ["AuditEntry", "count", "recent"]


def recent(ops: Operations, *, text: str | None = None, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
    """The newest entries first, optionally matching ``text`` (actor, action, target, details)."""
    return audit.recent(ops.store, text=text, limit=limit, offset=offset)


def count(ops: Operations, *, text: str | None = None) -> int:
    """How many entries :func:`recent` would page through."""
    return audit.count(ops.store, text=text)
