"""Console sessions that end (issue 25, item 1) and a sign-in throttle that cannot lock
the owner out (item 2), over real HTTP with clients at different addresses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from admin_support import PASSWORD, make_admin, sign_in, token_of
from smtp_server import SMTPServer
from sqlalchemy import select
from starlette.applications import Starlette
from web_support import Clock, web_settings

from digest.actions import Actor, Door, Operations
from digest.actions import admins as admin_actions
from digest.admins import Role
from digest.store import Store, audit
from digest.store import tables as t
from digest.web.app import create_app

OWNER = "owner@example.org"
EDITOR = "editor@example.org"


@pytest.fixture
def app(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime) -> Starlette:
    make_admin(store, OWNER, Role.OWNER, now)
    make_admin(store, EDITOR, Role.EDITOR, now)
    return create_app(web_settings(tmp_path, smtp.port), store, now=clock)


@asynccontextmanager
async def browser(
    app: Starlette, ip: str = "192.0.2.1", agent: str = "TestBrowser/1"
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    headers = {"Accept-Language": "en", "User-Agent": agent}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as c:
        yield c


def _owner_ops(store: Store, tmp_path: Path, clock: Clock) -> tuple[Operations, Actor]:
    return Operations(web_settings(tmp_path, 25), store, clock), Actor("cli:test", Role.OWNER, Door.CLI)


async def test_signing_out_ends_the_session_even_for_a_copied_cookie(app: Starlette) -> None:
    async with browser(app) as mine, browser(app, "198.51.100.7") as thief:
        assert (await sign_in(mine, EDITOR)).status_code == 303
        cookie = mine.cookies.get("digest_admin", path="/admin")
        assert cookie and EDITOR not in cookie
        thief.cookies.set("digest_admin", cookie, path="/admin")
        assert (await thief.get("/admin")).status_code == 200
        await mine.post("/admin/logout", data={"csrf_token": await token_of(mine, "/admin")})
        again = await thief.get("/admin/subscribers")
        assert again.status_code == 303 and again.headers["location"].startswith("/admin/login")


async def test_a_new_sign_in_gets_a_new_token_and_the_old_one_ends(app: Starlette) -> None:
    async with browser(app) as c:
        await sign_in(c, EDITOR)
        first = c.cookies.get("digest_admin", path="/admin")
        await sign_in(c, EDITOR)
        second = c.cookies.get("digest_admin", path="/admin")
        assert first and second and first != second
    async with browser(app) as old:
        old.cookies.set("digest_admin", str(first), path="/admin")
        assert (await old.get("/admin")).status_code == 303


async def test_password_change_role_change_and_removal_end_sessions_at_once(
    app: Starlette, store: Store, tmp_path: Path, clock: Clock
) -> None:
    ops, owner = _owner_ops(store, tmp_path, clock)
    changes = [
        lambda: admin_actions.set_password(ops, owner, EDITOR, "another long password"),
        lambda: admin_actions.set_role(ops, owner, EDITOR, Role.VIEWER),
        lambda: admin_actions.remove(ops, owner, EDITOR),
    ]
    passwords = [PASSWORD, "another long password", "another long password"]
    for change, password in zip(changes, passwords, strict=True):
        async with browser(app) as c:
            assert (await sign_in(c, EDITOR, password)).status_code == 303
            assert (await c.get("/admin")).status_code == 200
            change()
            assert (await c.get("/admin")).status_code == 303


async def test_sign_out_everywhere_ends_every_session_of_the_account(app: Starlette) -> None:
    async with browser(app) as laptop, browser(app, "203.0.113.9", "Phone/2") as phone, browser(app) as other:
        for c in (laptop, phone):
            await sign_in(c, EDITOR)
        await sign_in(other, OWNER)
        done = await phone.post("/admin/logout-everywhere", data={"csrf_token": await token_of(phone, "/admin")})
        assert done.status_code == 303
        assert (await laptop.get("/admin")).status_code == 303
        assert (await phone.get("/admin")).status_code == 303
        assert (await other.get("/admin")).status_code == 200  # another account's session stays


async def test_a_session_ends_after_the_absolute_limit_however_active(app: Starlette, clock: Clock) -> None:
    async with browser(app) as c:
        await sign_in(c, EDITOR)
        for _ in range(10):  # every 7 hours: never idle for 8, but 70 hours in all
            clock.advance(hours=7)
            assert (await c.get("/admin")).status_code == 200
        clock.advance(hours=2, minutes=1)
        assert (await c.get("/admin")).status_code == 303


async def test_another_clients_failures_never_lock_the_owner_out(app: Starlette) -> None:
    async with browser(app, "198.51.100.66", "Attacker/1") as attacker:
        statuses = [(await sign_in(attacker, OWNER, f"guess number {i}")).status_code for i in range(20)]
        assert statuses[0] == 400 and 429 in statuses  # the attacker is slowed, then refused
    async with browser(app, "192.0.2.10", "OwnersBrowser/1") as owner:
        signed = await sign_in(owner, OWNER)
        assert signed.status_code == 303
        assert (await owner.get("/admin")).status_code == 200


async def test_a_failing_client_waits_longer_after_each_failure(app: Starlette, clock: Clock) -> None:
    async with browser(app, "198.51.100.70") as c:
        for _ in range(3):
            assert (await sign_in(c, OWNER, "wrong password here")).status_code == 400
        slowed = await sign_in(c, OWNER, PASSWORD)  # even the right password waits its turn
        assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "1"
        clock.advance(seconds=1)
        assert (await sign_in(c, OWNER, "wrong password here")).status_code == 400
        refused = await sign_in(c, OWNER, PASSWORD)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
        clock.advance(seconds=2)
        assert (await sign_in(c, OWNER, PASSWORD)).status_code == 303


async def test_sign_ins_failures_and_sign_outs_are_audited_with_address_and_user_agent(
    app: Starlette, store: Store
) -> None:
    async with browser(app, "192.0.2.44", "Firefox/140") as c:
        await sign_in(c, EDITOR, "not the password at all")
        await sign_in(c, "nobody@example.org", "not the password at all")
        await sign_in(c, EDITOR)
        await c.post("/admin/logout", data={"csrf_token": await token_of(c, "/admin")})
    entries = list(reversed(audit.recent(store)))
    assert [(e.action, e.actor) for e in entries] == [
        ("session.sign_in_failed", EDITOR),
        ("session.sign_in_failed", "unknown"),
        ("session.sign_in", EDITOR),
        ("session.sign_out", EDITOR),
    ]
    for e in entries:
        assert e.details["ip"] == "192.0.2.44" and e.details["user_agent"] == "Firefox/140", e
    assert "nobody@example.org" not in entries[1].target  # an unknown address is masked


async def test_the_database_keeps_only_a_hash_of_the_session_token(app: Starlette, store: Store) -> None:
    async with browser(app) as c:
        await sign_in(c, EDITOR)
        token = c.cookies.get("digest_admin", path="/admin")
    with store.engine.connect() as conn:
        hashes = [r.token_hash for r in conn.execute(select(t.admin_sessions))]
    assert token and len(hashes) == 1 and token not in hashes[0] and len(hashes[0]) == 64
