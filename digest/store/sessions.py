"""Console sessions, server-side: a row per signed-in browser, keyed by the SHA-256 of
the random token its cookie carries. Deleting rows ends sessions at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from digest.admins import Admin, Role
from digest.store import Store
from digest.store import tables as t


@dataclass(frozen=True)
class Session:
    """A signed-in browser: whose, since when, last seen, from where."""

    admin: Admin
    created_at: datetime
    last_seen_at: datetime
    client_ip: str
    user_agent: str


def token_hash(token: str) -> str:
    """What the table keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: Store, admin_id: int, token: str, *, client_ip: str, user_agent: str, now: datetime) -> None:
    """Record a new session for ``token``."""
    values = {
        "token_hash": token_hash(token),
        "admin_id": admin_id,
        "created_at": now,
        "last_seen_at": now,
        "client_ip": client_ip[:64],
        "user_agent": user_agent[:500],
    }
    with store.engine.begin() as conn:
        conn.execute(insert(t.admin_sessions).values(**values))


def find(store: Store, token: str) -> Session | None:
    """The session of ``token`` with its admin as they now are, or None."""
    s, a = t.admin_sessions.c, t.admins.c
    query = (
        select(
            s.created_at, s.last_seen_at, s.client_ip, s.user_agent, a.id, a.email, a.role, a.created_at.label("since")
        )
        .join(t.admins, a.id == s.admin_id)
        .where(s.token_hash == token_hash(token))
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    admin = Admin(email=row.email, role=Role(row.role), created_at=row.since, id=row.id)
    return Session(admin, row.created_at, row.last_seen_at, row.client_ip, row.user_agent)


def touch(store: Store, token: str, *, now: datetime) -> None:
    """The session was used at ``now`` (its idle clock restarts)."""
    query = update(t.admin_sessions).where(t.admin_sessions.c.token_hash == token_hash(token)).values(last_seen_at=now)
    with store.engine.begin() as conn:
        conn.execute(query)


def end(store: Store, token: str) -> bool:
    """End one session; False when there was none."""
    with store.engine.begin() as conn:
        return bool(
            conn.execute(delete(t.admin_sessions).where(t.admin_sessions.c.token_hash == token_hash(token))).rowcount
        )


def end_all(store: Store, email: str) -> int:
    """End every session of the admin with this address; how many there were."""
    ids = select(t.admins.c.id).where(t.admins.c.email == email).scalar_subquery()
    with store.engine.begin() as conn:
        return int(conn.execute(delete(t.admin_sessions).where(t.admin_sessions.c.admin_id == ids)).rowcount)


def forget_stale(store: Store, *, idle_before: datetime, created_before: datetime) -> int:
    """Delete sessions idle since ``idle_before`` or opened before ``created_before``."""
    s = t.admin_sessions.c
    with store.engine.begin() as conn:
        stale = (s.last_seen_at < idle_before) | (s.created_at < created_before)
        return int(conn.execute(delete(t.admin_sessions).where(stale)).rowcount)
