"""Console accounts and failed sign-ins.

Failed sign-ins are rows (not process memory), so the limit of
:func:`recent_failures` holds across every web process sharing the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from digest.admins import Admin, Role
from digest.errors import NotFoundError, ValidationError
from digest.store import Store
from digest.store import tables as t


def _admin(row: Any) -> Admin:
    return Admin(email=row.email, role=Role(row.role), created_at=row.created_at, id=row.id)


def add_admin(store: Store, email: str, role: Role, password_hash: str, *, now: datetime) -> Admin:
    """A new admin; ValidationError when the address already has an account."""
    values = {"email": email, "role": role.value, "password_hash": password_hash, "created_at": now, "updated_at": now}
    try:
        with store.engine.begin() as conn:
            new_id = conn.execute(insert(t.admins).values(**values)).inserted_primary_key[0]  # type: ignore[index]
    except IntegrityError:
        raise ValidationError(f"email: {email} already has an admin account") from None
    return Admin(email=email, role=role, created_at=now, id=int(new_id))


def list_admins(store: Store) -> list[Admin]:
    """Every admin, by address."""
    with store.engine.connect() as conn:
        return [_admin(r) for r in conn.execute(select(t.admins).order_by(t.admins.c.email))]


def get_admin(store: Store, email: str) -> Admin | None:
    """The admin with this address, or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(t.admins).where(t.admins.c.email == email)).first()
    return None if row is None else _admin(row)


def credentials(store: Store, email: str) -> tuple[Admin, str] | None:
    """The admin and their password hash, for signing in; None for an unknown address."""
    with store.engine.connect() as conn:
        row = conn.execute(select(t.admins).where(t.admins.c.email == email)).first()
    return None if row is None else (_admin(row), str(row.password_hash))


def remove_admin(store: Store, email: str) -> None:
    """Delete the account; NotFoundError when there is none."""
    with store.engine.begin() as conn:
        if conn.execute(delete(t.admins).where(t.admins.c.email == email)).rowcount == 0:
            raise NotFoundError(f"no admin {email}")


def set_password(store: Store, email: str, password_hash: str, *, now: datetime) -> None:
    """Replace the password hash; NotFoundError for an unknown address."""
    query = update(t.admins).where(t.admins.c.email == email).values(password_hash=password_hash, updated_at=now)
    with store.engine.begin() as conn:
        if conn.execute(query).rowcount == 0:
            raise NotFoundError(f"no admin {email}")


def set_role(store: Store, email: str, role: Role, *, now: datetime) -> None:
    """Change an admin's role; NotFoundError for an unknown address."""
    query = update(t.admins).where(t.admins.c.email == email).values(role=role.value, updated_at=now)
    with store.engine.begin() as conn:
        if conn.execute(query).rowcount == 0:
            raise NotFoundError(f"no admin {email}")


def record_failure(store: Store, keys: list[str], *, now: datetime) -> None:
    """Count one failed sign-in against each of ``keys`` (address and client)."""
    with store.engine.begin() as conn:
        conn.execute(insert(t.admin_sign_in_failures), [{"key": k[:200], "at": now} for k in keys])


def recent_failures(store: Store, key: str, *, since: datetime) -> int:
    """Failed sign-ins counted against ``key`` since ``since``."""
    f = t.admin_sign_in_failures.c
    query = select(func.count()).select_from(t.admin_sign_in_failures).where(f.key == key, f.at >= since)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def last_failure(store: Store, key: str) -> datetime | None:
    """The time of the latest failed sign-in counted against ``key``, or None."""
    f = t.admin_sign_in_failures.c
    with store.engine.connect() as conn:
        found: datetime | None = conn.execute(select(func.max(f.at)).where(f.key == key)).scalar_one()
    return found


def forget_failures(store: Store, *, before: datetime) -> int:
    """Delete failures older than ``before`` (they no longer count); how many."""
    with store.engine.begin() as conn:
        result = conn.execute(delete(t.admin_sign_in_failures).where(t.admin_sign_in_failures.c.at < before))
        return int(result.rowcount)
