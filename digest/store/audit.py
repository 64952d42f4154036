"""The audit log: who changed what and when, from the console, the API or the CLI."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from digest.store import Store
from digest.store import tables as t


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change."""

    at: datetime
    actor: str
    action: str
    target: str
    details: Mapping[str, Any]
    id: int | None = None


def record(
    target_store: Store | Connection,
    *,
    actor: str,
    action: str,
    target: str = "",
    details: Mapping[str, Any] | None = None,
    now: datetime,
) -> None:
    """Append one entry (in the caller's transaction when given a connection)."""
    values = {
        "at": now,
        "actor": actor[:320],
        "action": action[:50],
        "target": target[:200],
        "details": json.dumps(dict(details or {}), ensure_ascii=False, default=str, sort_keys=True),
    }
    if isinstance(target_store, Connection):
        target_store.execute(insert(t.audit_log).values(**values))
        return
    with target_store.engine.begin() as conn:
        conn.execute(insert(t.audit_log).values(**values))


def _entry(row: Any) -> AuditEntry:
    try:
        details = json.loads(row.details or "{}")
    except ValueError:
        details = {}
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        details=details if isinstance(details, dict) else {},
        id=row.id,
    )


def _where(query: Any, text: str | None) -> Any:
    if not text:
        return query
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    a = t.audit_log.c
    return query.where(
        or_(*(func.lower(col).like(pattern, escape="\\") for col in (a.actor, a.action, a.target, a.details)))
    )


def recent(store: Store, *, text: str | None = None, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
    """The newest entries first, optionally matching ``text``."""
    a = t.audit_log.c
    query = _where(select(t.audit_log), text).order_by(a.at.desc(), a.id.desc()).limit(limit).offset(offset)
    with store.engine.connect() as conn:
        return [_entry(r) for r in conn.execute(query)]


def count(store: Store, *, text: str | None = None) -> int:
    """How many entries :func:`recent` would page through."""
    query = _where(select(func.count()).select_from(t.audit_log), text)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
