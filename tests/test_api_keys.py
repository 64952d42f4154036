"""Per-admin API keys (issue 25, item 5): made at /admin/keys, shown once, stored as a
hash, role-scoped, revocable; the API acts as the key's admin with the key's role and
the audit row names both. Over real HTTP (ASGI) on a real SQLite file."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from admin_support import make_admin, sign_in, token_of
from smtp_server import SMTPServer
from sqlalchemy import select
from starlette.applications import Starlette
from web_support import ADMIN, Clock, web_settings

from digest.actions import Actor, Door, Forbidden, Operations, api_keys
from digest.actions import admins as admin_actions
from digest.admins import Role
from digest.errors import ValidationError
from digest.store import Store
from digest.store import tables as t
from digest.web.app import create_app

OWNER = "owner@example.org"
EDITOR = "editor@example.org"


@pytest.fixture(autouse=True)
def accounts(store: Store, now: datetime) -> None:
    make_admin(store, OWNER, Role.OWNER, now)
    make_admin(store, EDITOR, Role.EDITOR, now)


@pytest.fixture
def app(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock) -> Starlette:
    return create_app(web_settings(tmp_path, smtp.port), store, now=clock)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"Accept-Language": "en"}
    ) as c:
        yield c


def ops_of(store: Store, tmp_path: Path, clock: Clock) -> Operations:
    return Operations(web_settings(tmp_path, 25), store, clock)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def audit(store: Store) -> list[tuple[str, str, dict[str, object]]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.id)).all()
    return [(r.actor, r.action, json.loads(r.details)) for r in rows]


async def test_a_key_made_in_the_console_is_shown_once_and_stored_only_as_a_hash(
    http: httpx.AsyncClient, store: Store
) -> None:
    assert (await sign_in(http, EDITOR)).status_code == 303
    token = await token_of(http, "/admin/keys")
    made = await http.post("/admin/keys", data={"name": "nightly", "role": "editor", "csrf_token": token})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-secret"[^>]*value="([^"]+)"', made.text)
    assert secret and secret.group(1).startswith("dgk_")
    with store.engine.connect() as conn:
        stored = conn.execute(select(t.api_keys)).one()
    assert secret.group(1) not in repr(tuple(stored)) and len(stored.secret_hash) == 64
    again = await http.get("/admin/keys")
    assert "nightly" in again.text and secret.group(1) not in again.text
    assert stored.hint in again.text and "never" in again.text


async def test_the_api_acts_as_the_keys_admin_with_the_keys_role(
    http: httpx.AsyncClient, store: Store, tmp_path: Path, clock: Clock
) -> None:
    ops = ops_of(store, tmp_path, clock)
    editor = Actor(EDITOR, Role.EDITOR, Door.CONSOLE)
    viewer_key = api_keys.create(ops, editor, "reader", Role.VIEWER)
    editor_key = api_keys.create(ops, editor, "writer", Role.EDITOR)

    listed = await http.get("/api/subscribers", headers=bearer(viewer_key.secret))
    assert listed.status_code == 200
    refused = await http.post("/api/subscribers", headers=bearer(viewer_key.secret), json={"email": "a@example.org"})
    assert refused.status_code == 403 and "needs the editor role" in refused.json()["error"]
    owners_only = await http.get("/api/admins", headers=bearer(editor_key.secret))
    assert owners_only.status_code == 403

    clock.advance(minutes=5)
    added = await http.post("/api/subscribers", headers=bearer(editor_key.secret), json={"email": "a@example.org"})
    assert added.status_code == 201, added.text
    actor, action, details = audit(store)[-1]
    assert (actor, action) == (EDITOR, "subscriber.add")
    assert details["door"] == "api" and details["key"] == f"key:{editor_key.key.id} writer"
    used = {k.name: k.last_used_at for k in api_keys.keys(ops, editor)}
    assert used == {"writer": clock.now, "reader": clock.now - timedelta(minutes=5)}


async def test_a_revoked_key_is_refused_at_once(
    http: httpx.AsyncClient, store: Store, tmp_path: Path, clock: Clock
) -> None:
    ops = ops_of(store, tmp_path, clock)
    made = api_keys.create(ops, Actor(OWNER, Role.OWNER, Door.CONSOLE), "ci", Role.OWNER)
    assert (await http.get("/api/keys", headers=bearer(made.secret))).status_code == 200
    gone = await http.delete(f"/api/keys/{made.key.id}", headers=bearer(made.secret))
    assert gone.status_code == 200 and gone.json()["revoked"]["revoked_at"]
    after = await http.get("/api/subscribers", headers=bearer(made.secret))
    assert after.status_code == 401 and after.headers["www-authenticate"].startswith("Bearer")
    actor, action, details = audit(store)[-1]
    assert (actor, action, details["key"]) == (OWNER, "api_key.revoke", f"key:{made.key.id} ci")


def test_a_key_never_has_a_role_above_its_maker_or_its_admin(store: Store, tmp_path: Path, clock: Clock) -> None:
    ops = ops_of(store, tmp_path, clock)
    make_admin(store, "viewer@example.org", Role.VIEWER, clock.now)
    editor = Actor(EDITOR, Role.EDITOR, Door.CONSOLE)
    with pytest.raises(ValidationError, match="role: at most editor"):
        api_keys.create(ops, editor, "too high", Role.OWNER)
    with pytest.raises(Forbidden, match="only an owner"):
        api_keys.create(ops, editor, "for someone", Role.VIEWER, admin=OWNER)
    owner = Actor(OWNER, Role.OWNER, Door.CONSOLE)
    with pytest.raises(ValidationError, match="role: at most viewer"):
        api_keys.create(ops, owner, "for a viewer", Role.EDITOR, admin="viewer@example.org")
    with store.engine.connect() as conn:
        assert conn.execute(select(t.api_keys)).first() is None


def test_demoting_an_admin_demotes_their_keys_and_removing_them_deletes_them(
    store: Store, tmp_path: Path, clock: Clock
) -> None:
    ops = ops_of(store, tmp_path, clock)
    owner = Actor(OWNER, Role.OWNER, Door.CONSOLE)
    made = api_keys.create(ops, owner, "ops", Role.EDITOR, admin=EDITOR)
    found = api_keys.authenticate(ops, made.secret)
    assert found is not None and (found.name, found.role) == (EDITOR, Role.EDITOR)
    admin_actions.set_role(ops, owner, EDITOR, Role.VIEWER)
    found = api_keys.authenticate(ops, made.secret)
    assert found is not None and found.role is Role.VIEWER
    admin_actions.remove(ops, owner, EDITOR)
    assert api_keys.authenticate(ops, made.secret) is None
    assert api_keys.authenticate(ops, "dgk_" + "x" * 43) is None and api_keys.authenticate(ops, "") is None


def test_only_an_owner_revokes_another_admins_key(store: Store, tmp_path: Path, clock: Clock) -> None:
    ops = ops_of(store, tmp_path, clock)
    made = api_keys.create(ops, Actor(OWNER, Role.OWNER, Door.CONSOLE), "mine", Role.OWNER)
    with pytest.raises(Exception, match=f"no API key {made.key.id}"):
        api_keys.revoke(ops, Actor(EDITOR, Role.EDITOR, Door.CONSOLE), made.key.id)
    assert api_keys.authenticate(ops, made.secret) is not None


async def test_the_shared_token_is_listed_as_an_owner_key(http: httpx.AsyncClient) -> None:
    listed = await http.get("/api/keys", headers=ADMIN)
    assert listed.json()["shared_token"] == {
        "env": "DIGEST_TEST_UNSET_ADMIN_TOKEN",
        "role": "owner",
        "configured": True,
    }
    assert (await sign_in(http, OWNER)).status_code == 303
    page = (await http.get("/admin/keys")).text
    assert "Shared token" in page and "DIGEST_TEST_UNSET_ADMIN_TOKEN" in page
    assert (await sign_in(http, EDITOR)).status_code == 303
    assert "DIGEST_TEST_UNSET_ADMIN_TOKEN" not in (await http.get("/admin/keys")).text
