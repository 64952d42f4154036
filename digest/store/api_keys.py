"""Per-admin API keys: a row per key, found by the SHA-256 of its secret.

The secret itself is never stored: it is shown once, when the key is made. A revoked
key keeps its row with ``revoked_at`` set, so the console can still list it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from digest.admins import Admin, Role
from digest.store import Store
from digest.store import tables as t


@dataclass(frozen=True)
class ApiKey:
    """One key as the console lists it (never its secret nor the secret's hash)."""

    id: int
    admin: str  # the admin's address
    name: str
    role: Role
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def secret_hash(secret: str) -> str:
    """What the table keeps of a key's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _query() -> Any:
    k, a = t.api_keys.c, t.admins.c
    return select(k.id, a.email, k.name, k.role, k.hint, k.created_at, k.last_used_at, k.revoked_at).join(
        t.admins, a.id == k.admin_id
    )


def _key(row: Any) -> ApiKey:
    return ApiKey(
        int(row.id), row.email, row.name, Role(row.role), row.hint, row.created_at, row.last_used_at, row.revoked_at
    )


def add(store: Store, admin_id: int, name: str, role: Role, secret: str, *, hint: str, now: datetime) -> int:
    """Record a new key for ``secret``; its id."""
    values = {
        "admin_id": admin_id,
        "name": name,
        "role": role.value,
        "secret_hash": secret_hash(secret),
        "hint": hint,
        "created_at": now,
    }
    with store.engine.begin() as conn:
        return int(conn.execute(insert(t.api_keys).values(**values)).inserted_primary_key[0])  # type: ignore[index]


def all_keys(store: Store, *, admin: str | None = None) -> list[ApiKey]:
    """Every key (or ``admin``'s), the live ones first, newest first."""
    query = _query()
    if admin is not None:
        query = query.where(t.admins.c.email == admin)
    query = query.order_by(t.api_keys.c.revoked_at.is_not(None), t.api_keys.c.id.desc())
    with store.engine.connect() as conn:
        return [_key(r) for r in conn.execute(query)]


def get(store: Store, key_id: int) -> ApiKey | None:
    """The key with this id, or None."""
    with store.engine.connect() as conn:
        row = conn.execute(_query().where(t.api_keys.c.id == key_id)).first()
    return None if row is None else _key(row)


def find(store: Store, secret: str) -> tuple[ApiKey, Admin] | None:
    """The live key of ``secret`` and its admin as they now are, or None."""
    k, a = t.api_keys.c, t.admins.c
    query = (
        _query()
        .add_columns(a.id.label("admin_id"), a.role.label("admin_role"), a.created_at.label("since"))
        .where(k.secret_hash == secret_hash(secret), k.revoked_at.is_(None))
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return _key(row), Admin(row.email, Role(row.admin_role), row.since, int(row.admin_id))


def touch(store: Store, key_id: int, *, now: datetime) -> None:
    """The key was used at ``now``."""
    with store.engine.begin() as conn:
        conn.execute(update(t.api_keys).where(t.api_keys.c.id == key_id).values(last_used_at=now))


def revoke(store: Store, key_id: int, *, now: datetime) -> bool:
    """Revoke a live key; False when it was already revoked (or is unknown)."""
    query = (
        update(t.api_keys).where(t.api_keys.c.id == key_id, t.api_keys.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    with store.engine.begin() as conn:
        return bool(conn.execute(query).rowcount)
