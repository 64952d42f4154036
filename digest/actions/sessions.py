"""Signing in to and out of the console: server-side sessions, the brute-force
throttle, and the audit rows of every sign-in, failure and sign-out (with the client's
address and user agent).

* A session is a row (:mod:`digest.store.sessions`); the cookie carries only a random
  token, new at every sign-in. It ends after ``[web] admin_session_hours`` without a
  request, ``admin_session_max_hours`` after sign-in, at sign-out, and at once when
  the admin's password or role changes or the account is removed
  (:mod:`digest.actions.admins`).
* Failures are counted per (address, client), per client and per address. The first
  two refuse (429) past their limits; the per-address count only slows down the
  clients that have themselves failed (each must wait longer since its own last
  failure), so that nobody can lock an owner out: a client that has not failed is
  never refused nor slowed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.actions.core import Actor, Door, Operations, declare
from digest.admins import Admin, Role, verify_password
from digest.errors import ValidationError
from digest.logs import mask_email
from digest.store import admins as accounts
from digest.store import sessions as db
from digest.store.subscribers import address_hash
from digest.subscribers.membership import normalise_address

SIGN_IN = declare("session.sign_in", Role.VIEWER, "sign in to the console")
SIGN_IN_FAILED = declare("session.sign_in_failed", Role.VIEWER, "a failed console sign-in")
SIGN_OUT = declare("session.sign_out", Role.VIEWER, "sign out of the console")
SIGN_OUT_EVERYWHERE = declare("session.sign_out_everywhere", Role.VIEWER, "end every session of one's account")

#: The window failures count in.
WINDOW = timedelta(minutes=15)
#: Failures for one address from one client, then that client is refused for that address.
MAX_PAIR_FAILURES = 10
#: Failures from one client (any address), then it is refused.
MAX_CLIENT_FAILURES = 50
#: Failures for one address (any client) before the clients that failed are slowed down.
SLOW_AFTER = 3
#: The longest a failing client waits between attempts.
MAX_DELAY = timedelta(minutes=5)

#: Who signs in: nobody yet (the audit row names the address once it is known).
_ANONYMOUS = Role.VIEWER


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from: the client's address and its User-Agent."""

    ip: str
    user_agent: str


@dataclass(frozen=True)
class Verdict:
    """A sign-in attempt: refused before the password is checked (``retry_after``
    seconds), or the account and the new session's token, or neither (wrong)."""

    retry_after: int = 0
    admin: Admin | None = None
    token: str = ""


@dataclass(frozen=True)
class Current:
    """The admin a session token opens."""

    admin: Admin
    token: str


def _keys(address: str, client: Client) -> tuple[str, str, str]:
    hashed = address_hash(address)
    return f"pair:{hashed[:32]}:{client.ip}", f"ip:{client.ip}", f"email:{hashed}"


def _address(typed: str) -> str:
    try:
        return normalise_address(typed)
    except ValidationError:
        return typed.strip().lower()


def delay(address_failures: int) -> timedelta:
    """How long a client that failed waits since its last failure, given the failures
    for the address it tries (doubling from one second, up to :data:`MAX_DELAY`)."""
    if address_failures < SLOW_AFTER:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (address_failures - SLOW_AFTER)), MAX_DELAY)


def throttled(ops: Operations, address: str, client: Client, *, now: datetime) -> int:
    """Seconds ``client`` must wait before trying ``address`` again (0: it may try now)."""
    pair, by_client, by_address = _keys(address, client)
    since = now - WINDOW
    if accounts.recent_failures(ops.store, pair, since=since) >= MAX_PAIR_FAILURES:
        return int(WINDOW.total_seconds())
    if accounts.recent_failures(ops.store, by_client, since=since) >= MAX_CLIENT_FAILURES:
        return int(WINDOW.total_seconds())
    last = accounts.last_failure(ops.store, by_client)
    if last is None or last < since:  # this client has not failed: never slowed
        return 0
    wait = last + delay(accounts.recent_failures(ops.store, by_address, since=since)) - now
    return max(0, int(wait.total_seconds() + 0.999))


def sign_in(ops: Operations, typed: str, password: str, client: Client) -> Verdict:
    """Check the throttle, then the password (against a dummy hash for an unknown
    address: the same time either way); a new session on success. Each outcome is
    audited with the client's address and user agent."""
    now = ops.clock()
    address = _address(typed)
    wait = throttled(ops, address, client, now=now)
    if wait:
        return Verdict(retry_after=wait)
    found = accounts.credentials(ops.store, address)
    ok = verify_password(found[1] if found else None, password) and found is not None
    seen = {"ip": client.ip, "user_agent": client.user_agent[:200]}
    if not ok or found is None:
        who = Actor(address if found else "unknown", _ANONYMOUS, Door.CONSOLE)
        with ops.act(who, SIGN_IN_FAILED, target=mask_email(address)[:200], details=seen) as act:
            accounts.record_failure(act.store, list(_keys(address, client)), now=act.now)
        accounts.forget_failures(ops.store, before=now - 2 * WINDOW)
        return Verdict()
    admin = found[0]
    assert admin.id is not None
    token = secrets.token_urlsafe(32)
    with ops.act(Actor(admin.email, admin.role, Door.CONSOLE), SIGN_IN, target=admin.email, details=seen) as act:
        db.open_session(act.store, admin.id, token, client_ip=client.ip, user_agent=client.user_agent, now=act.now)
    idle, most = _limits(ops)
    db.forget_stale(ops.store, idle_before=now - idle, created_before=now - most)  # rows nobody can use any more
    return Verdict(admin=admin, token=token)


def _limits(ops: Operations) -> tuple[timedelta, timedelta]:
    web = ops.settings.web
    return timedelta(hours=web.admin_session_hours), timedelta(hours=web.admin_session_max_hours)


def current(ops: Operations, token: str) -> Current | None:
    """The admin ``token``'s session opens, or None (unknown, ended, idle too long or
    too old); a session found is marked as used now."""
    if not token:
        return None
    found = db.find(ops.store, token)
    if found is None:
        return None
    now = ops.clock()
    idle, most = _limits(ops)
    if now - found.last_seen_at > idle or now - found.created_at > most:
        db.end(ops.store, token)
        return None
    if now - found.last_seen_at > timedelta(seconds=30):  # a write per half minute, not per request
        db.touch(ops.store, token, now=now)
    return Current(found.admin, token)


def end_token(ops: Operations, token: str) -> None:
    """End the session of ``token`` if there is one (a browser signing in again)."""
    db.end(ops.store, token)


def sign_out(ops: Operations, actor: Actor, token: str, client: Client) -> None:
    """End this session."""
    with ops.act(
        actor, SIGN_OUT, target=actor.name, details={"ip": client.ip, "user_agent": client.user_agent[:200]}
    ) as act:
        db.end(act.store, token)


def sign_out_everywhere(ops: Operations, actor: Actor, client: Client) -> int:
    """End every session of the actor's account (this one too); how many."""
    with ops.act(actor, SIGN_OUT_EVERYWHERE, target=actor.name,
                 details={"ip": client.ip, "user_agent": client.user_agent[:200]}) as act:  # fmt: skip
        ended = db.end_all(act.store, actor.name)
        act.details(sessions=ended)
        return ended
