"""The audit log, read: who did what and when (every action of this package writes one
row; see :meth:`digest.actions.core.Operations.act`)."""

from __future__ import annotations

from digest.actions.core import Operations
from digest.store import audit
from digest.store.audit import AuditEntry

__all__ = ["AuditEntry", "count", "entries"]


def entries(ops: Operations, *, text: str | None = None, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
    """One page of the log, newest first; ``text`` in the actor, action, target or details."""
    return audit.recent(ops.store, text=text, limit=limit, offset=offset)


def count(ops: Operations, *, text: str | None = None) -> int:
    """How many rows :func:`entries` pages through."""
    return audit.count(ops.store, text=text)
