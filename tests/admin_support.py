"""Helpers for the console tests: admins, a signed-in httpx client, CSRF tokens."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from web_support import csrf_token

from digest.admins import Role, hash_password
from digest.store import Store
from digest.store.admins import add_admin

PASSWORD = "a long enough password"


def make_admin(store: Store, email: str, role: Role, now: datetime) -> None:
    """An admin account with :data:`PASSWORD`."""
    add_admin(store, email, role, hash_password(PASSWORD), now=now)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Fill and post the sign-in form as a browser would (cookies kept by the client)."""
    form = await client.get("/admin/login")
    return await client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": csrf_token(form.text)}
    )


async def token_of(client: httpx.AsyncClient, path: str) -> str:
    """The CSRF token of the page at ``path``."""
    page = await client.get(path)
    assert page.status_code == 200, page.text[:500]
    return csrf_token(page.text)


def flash(page: str) -> str:
    """The flash message of a console page, or ""."""
    match = re.search(r'role="status">(.*?)<', page, re.S)
    return match.group(1).strip() if match else ""
