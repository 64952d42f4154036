"""Console accounts: roles, what each may do, and password hashing (argon2).

Three roles, each adding to the one before: a viewer reads everything; an editor also
manages subscribers, editions (edit, drop, approve, rebuild), test sends, feeds and
articles; an owner also manages admins. The API bearer token acts as an owner.
"""

from __future__ import annotations

import enum
import functools
import os
from dataclasses import dataclass
from datetime import datetime

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from digest.errors import ValidationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

#: The environment variable naming the argon2 parameters new hashes are made with: one of
#: argon2-cffi's profiles (``rfc_9106_low_memory``, the default: 3 passes over 64 MiB;
#: ``rfc_9106_high_memory``; ``cheapest``, for test suites only). A stored hash keeps its
#: own parameters, so changing this never locks anyone out.
HASH_PROFILE_ENV = "DIGEST_PASSWORD_HASH_PROFILE"
DEFAULT_HASH_PROFILE = "rfc_9106_low_memory"


class Role(enum.StrEnum):
    """What an admin may do; a higher rank may do everything a lower one may."""

    VIEWER = "viewer"
    EDITOR = "editor"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        """0 for viewer, 1 for editor, 2 for owner."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        return self.rank >= needed.rank


@dataclass(frozen=True)
class Admin:
    """A console account (never carries the password hash out of the store)."""

    email: str
    role: Role
    created_at: datetime
    id: int | None = None


def parse_role(raw: str) -> Role:
    """The role named ``raw``; ValidationError naming the choices otherwise."""
    try:
        return Role(raw.strip().lower())
    except ValueError:
        raise ValidationError(f"role: expected one of {', '.join(r.value for r in Role)}, got {raw!r}") from None


def check_password(password: str) -> str:
    """``password`` when it is long enough (at least 12 characters)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"password: at most {MAX_PASSWORD_LENGTH} characters")
    return password


@functools.cache
def hasher() -> PasswordHasher:
    """The argon2id hasher of the profile named by ``DIGEST_PASSWORD_HASH_PROFILE``."""
    name = os.environ.get(HASH_PROFILE_ENV, "").strip().lower() or DEFAULT_HASH_PROFILE
    parameters = getattr(profiles, name.upper(), None)
    if not name.isidentifier() or not isinstance(parameters, Parameters):
        choices = ", ".join(n.lower() for n in dir(profiles) if isinstance(getattr(profiles, n), Parameters))
        raise ValidationError(f"{HASH_PROFILE_ENV}: expected one of {choices}, got {name!r}")
    return PasswordHasher.from_parameters(parameters)


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when the address is unknown, made with the same
    parameters as real ones, so that a wrong address and a wrong password take the same time."""
    return hasher().hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    """The argon2id hash of a checked password."""
    return hasher().hash(check_password(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (False for a malformed hash). With no
    stored hash (an unknown address) it checks against :func:`dummy_hash`, taking as
    long, and answers False."""
    try:
        return hasher().verify(stored_hash or dummy_hash(), password[:MAX_PASSWORD_LENGTH]) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False
