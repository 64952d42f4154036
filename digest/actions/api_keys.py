"""Per-admin API keys (``api_key.create``, ``api_key.revoke``) and the API's check of
a bearer key.

A key belongs to one admin and carries a role no higher than theirs (nor than the role
of whoever makes it); it acts on the API as that admin, with the lower of its role and
the admin's current role, and every audit row it leaves names the admin and the key.
Any admin makes and revokes their own keys; an owner also those of others.

The secret is 256 random bits, shown once; only its SHA-256 is kept. A slow password
hash (argon2) protects secrets people choose, which can be guessed; a random 256-bit
secret cannot be, so SHA-256 is as safe here, and the API can check a key on every
request in microseconds instead of tens of milliseconds.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from digest.actions.core import Actor, Door, Forbidden, Operations, declare
from digest.admins import Role
from digest.errors import NotFoundError, ValidationError
from digest.store import admins as accounts
from digest.store import api_keys as db
from digest.store.api_keys import ApiKey
from digest.subscribers.membership import normalise_address

__all__ = ["CREATE", "REVOKE", "ApiKey", "NewKey", "authenticate", "create", "keys", "revoke"]

CREATE = declare("api_key.create", Role.VIEWER, "make an API key (its secret shown once)")
REVOKE = declare("api_key.revoke", Role.VIEWER, "revoke an API key")

#: What every secret starts with, so that a leaked one is recognisable (secret scanners).
PREFIX = "dgk_"
#: Characters of the secret kept to tell keys apart ("dgk_AbCd").
HINT_LENGTH = 8
#: A key's last use is written at most this often (not on every request).
TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class NewKey:
    """A key just made, with its secret: the only time the secret is known."""

    key: ApiKey
    secret: str


def _owner(actor: Actor) -> bool:
    return actor.role.allows(Role.OWNER)


def keys(ops: Operations, actor: Actor) -> list[ApiKey]:
    """The keys ``actor`` may see: every key for an owner, their own for the others."""
    return db.all_keys(ops.store, admin=None if _owner(actor) else actor.name)


def create(ops: Operations, actor: Actor, name: str, role: Role, *, admin: str = "") -> NewKey:
    """A new key named ``name`` for ``admin`` (default: the actor), with ``role``.

    Forbidden when a non-owner makes a key for someone else; ValidationError for an
    empty name or a role above the actor's or the admin's."""
    label = " ".join(name.split())[:100]
    if not label:
        raise ValidationError("name: required")
    address = normalise_address(admin) if admin else actor.name
    if address != actor.name and not _owner(actor):
        raise Forbidden(f"{CREATE.name}: only an owner makes keys for another admin")
    if not actor.role.allows(role):
        raise ValidationError(f"role: at most {actor.role.value}, the role of whoever makes the key")
    secret = PREFIX + secrets.token_urlsafe(32)
    with ops.act(actor, CREATE, details={"name": label, "role": role.value, "admin": address}) as act:
        found = accounts.get_admin(act.store, address)
        if found is None or found.id is None:
            raise NotFoundError(f"no admin {address}")
        if not found.role.allows(role):
            raise ValidationError(f"role: at most {found.role.value}, the role of {address}")
        key_id = db.add(act.store, found.id, label, role, secret, hint=secret[:HINT_LENGTH], now=act.now)
        act.target = f"api_key:{key_id}"
        made = db.get(act.store, key_id)
        assert made is not None
        return NewKey(made, secret)


def revoke(ops: Operations, actor: Actor, key_id: int) -> ApiKey:
    """Revoke a key (at once: its next request is refused); the key, revoked.

    NotFoundError for an unknown key (or another admin's, for a non-owner, so that ids
    reveal nothing); ValidationError when it was already revoked."""
    with ops.act(actor, REVOKE, target=f"api_key:{key_id}") as act:
        found = db.get(act.store, key_id)
        if found is None or (found.admin != actor.name and not _owner(actor)):
            raise NotFoundError(f"no API key {key_id}")
        if not db.revoke(act.store, key_id, now=act.now):
            raise ValidationError(f"key: {key_id} is already revoked")
        act.details(name=found.name, role=found.role.value, admin=found.admin)
        revoked = db.get(act.store, key_id)
        assert revoked is not None
        return revoked


def authenticate(ops: Operations, secret: str) -> Actor | None:
    """The actor a bearer ``secret`` opens on the API, or None (unknown or revoked).

    The actor is the key's admin with the lower of the key's role and the admin's role
    now, so that demoting an admin demotes their keys."""
    if not secret.startswith(PREFIX):
        return None
    found = db.find(ops.store, secret)
    if found is None:
        return None
    key, admin = found
    now = ops.clock()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        db.touch(ops.store, key.id, now=now)
    role = key.role if admin.role.allows(key.role) else admin.role
    return Actor(admin.email, role, Door.API, key=f"key:{key.id} {key.name}")
