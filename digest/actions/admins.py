"""Console accounts, as an owner manages them: add, remove, change a role, set a
password (``admin.add``, ``admin.remove``, ``admin.role``, ``admin.password``).

Passwords are checked and hashed here (:mod:`digest.admins`); the audit row never
holds one. The last owner can be neither removed nor demoted, so that someone can
always manage the accounts from the console.
"""

from __future__ import annotations

from digest.actions.core import Act, Actor, Operations, declare
from digest.admins import Admin, Role, hash_password
from digest.errors import NotFoundError, ValidationError
from digest.store import admins as db
from digest.store import sessions
from digest.subscribers.membership import normalise_address

ADD = declare("admin.add", Role.OWNER, "create a console account")
REMOVE = declare("admin.remove", Role.OWNER, "delete a console account")
ROLE = declare("admin.role", Role.OWNER, "change a console account's role")
PASSWORD = declare("admin.password", Role.OWNER, "set a console account's password")


def accounts(ops: Operations) -> list[Admin]:
    """Every account, by address."""
    return db.list_admins(ops.store)


def account(ops: Operations, email: str) -> Admin | None:
    """The account with this address, or None."""
    return db.get_admin(ops.store, normalise_address(email))


def _require(act: Act, address: str) -> Admin:
    found = db.get_admin(act.store, address)
    if found is None:
        raise NotFoundError(f"no admin {address}")
    return found


def _keep_an_owner(act: Act, leaving: Admin) -> None:
    if leaving.role is Role.OWNER and sum(a.role is Role.OWNER for a in db.list_admins(act.store)) <= 1:
        raise ValidationError(f"email: {leaving.email} is the last owner; make another admin owner first")


def add(ops: Operations, actor: Actor, email: str, role: Role, password: str) -> Admin:
    """A new account; ValidationError when the address has one or the password is too short."""
    address = normalise_address(email)
    password_hash = hash_password(password)  # slow: before the transaction takes the write lock
    with ops.act(actor, ADD, target=address, details={"role": role.value}) as act:
        if db.get_admin(act.store, address) is not None:
            raise ValidationError(f"email: {address} already has an admin account")
        return db.add_admin(act.store, address, role, password_hash, now=act.now)


def remove(ops: Operations, actor: Actor, email: str) -> None:
    """Delete an account; its sessions end at once."""
    address = normalise_address(email)
    with ops.act(actor, REMOVE, target=address) as act:
        _keep_an_owner(act, _require(act, address))
        sessions.end_all(act.store, address)  # at once (the foreign key cascades too)
        db.remove_admin(act.store, address)


def set_role(ops: Operations, actor: Actor, email: str, role: Role) -> Admin:
    """Give an account another role (its sessions end at once); the account as it now is."""
    address = normalise_address(email)
    with ops.act(actor, ROLE, target=address) as act:
        found = _require(act, address)
        if found.role is not role:
            if role is not Role.OWNER:
                _keep_an_owner(act, found)
            db.set_role(act.store, address, role, now=act.now)
            act.details(sessions_ended=sessions.end_all(act.store, address))
        act.change("role", found.role.value, role.value)
        return Admin(found.email, role, found.created_at, found.id)


def set_password(ops: Operations, actor: Actor, email: str, password: str) -> None:
    """Replace an account's password; every session of the account ends at once."""
    address = normalise_address(email)
    password_hash = hash_password(password)
    with ops.act(actor, PASSWORD, target=address) as act:
        _require(act, address)
        db.set_password(act.store, address, password_hash, now=act.now)
        act.details(sessions_ended=sessions.end_all(act.store, address))
