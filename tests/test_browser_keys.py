"""API keys in a real browser (headless Chromium driven by Playwright, over uvicorn and
a SQLite file): an owner adds an admin, makes a key for them, the key opens the API,
is revoked and is then refused. And every console page, each its own test, passes
axe-core (no serious or critical violation) at 375 px in light and dark mode, on the
worker's shared browser (a fresh context per test), the owner signed in once per module."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from admin_support import PASSWORD, make_admin
from browser_support import BROWSER_MARKS, serious_violations, serving, sign_in
from database_support import copy_sqlite
from delivery_support import add_edition, add_subscribers
from smtp_server import SMTPServer
from web_support import csrf_token, web_settings

from digest.admins import Role
from digest.store import Store
from digest.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = BROWSER_MARKS
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser-admin"
OWNER = "owner@example.org"
NEW_ADMIN = "ops@example.org"
NEW_PASSWORD = "a long password for ops"

#: Every console page, as an owner sees it ({day}: today's edition).
CONSOLE_PAGES = ["/admin", "/admin/subscribers", "/admin/subscribers/1", "/admin/subscribers/import",
                 "/admin/editions", "/admin/editions/{day}", "/admin/deliveries", "/admin/feeds",
                 "/admin/articles", "/admin/audit", "/admin/admins", "/admin/keys",
                 "/admin/editions/{day}/report"]  # fmt: skip


@dataclass
class Site:
    base_url: str
    store: Store
    day: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Site]:
    """The app on a free port with an owner, readers and today's edition (once per module)."""
    tmp_path = tmp_path_factory.mktemp("keys")
    now = datetime.now(UTC)
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    copy_sqlite(sqlite_template, url)
    store = Store(url)
    make_admin(store, OWNER, Role.OWNER, now)
    add_subscribers(store, 3, now=now)
    add_edition(store, day=now.date(), now=now)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with SMTPServer() as smtp:
        app = create_app(web_settings(tmp_path, smtp.port, base_url=base_url), store)
        try:
            with serving(app, sock):
                yield Site(base_url, store, now.date().isoformat())
        finally:
            sock.close()
            store.close()


@pytest.fixture(scope="module")
def owner_signed_in(site: Site) -> dict[str, Any]:
    """The owner's signed-in browser state (its cookies, as Playwright's storage_state),
    signed in once per module: the sign-in form posted over HTTP, as a browser would,
    so that no browser outlives a test."""
    with httpx.Client(base_url=site.base_url) as http:
        form = http.get("/admin/login")
        data = {"email": OWNER, "password": PASSWORD, "csrf_token": csrf_token(form.text)}
        signed_in = http.post("/admin/login", data=data)
        assert signed_in.status_code == 303 and signed_in.headers["location"].endswith("/admin"), signed_in.text
        cookies = [
            {
                "name": c.name,
                "value": c.value or "",
                "domain": c.domain,
                "path": c.path,
                "expires": float(c.expires) if c.expires is not None else -1,
                "httpOnly": c.has_nonstandard_attr("HttpOnly"),
                "secure": c.secure,
                "sameSite": (c.get_nonstandard_attr("SameSite") or "Lax").capitalize(),
            }
            for c in http.cookies.jar
        ]
    assert {c["name"] for c in cookies} >= {"digest_admin"}
    return {"cookies": cookies, "origins": []}


def test_an_admin_added_and_a_key_made_in_the_console_opens_the_api_until_revoked(site: Site, browser: Browser) -> None:
    from playwright.sync_api import expect

    base = site.base_url
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 900})
    page = context.new_page()
    sign_in(page, base, OWNER)
    page.goto(f"{base}/admin/admins")
    page.locator("#new-email").fill(NEW_ADMIN)
    page.locator("#new-role").select_option("editor")
    page.locator("#new-password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Admin added.")

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("deploy script")
    page.get_by_label("Role").select_option("editor")
    page.get_by_label("Admin", exact=True).select_option(NEW_ADMIN)
    page.get_by_role("button", name="Make the key").click()
    expect(page.get_by_role("status").first).to_contain_text("Copy its secret now")
    secret = page.get_by_label("Secret of the key").input_value()
    assert secret.startswith("dgk_")

    api = context.request
    auth = {"Authorization": f"Bearer {secret}"}
    added = api.post(f"{base}/api/subscribers", headers=auth, data={"email": "via-key@example.org"})
    assert added.status == 201, added.text()
    page.goto(f"{base}/admin/audit")
    row = page.locator("tr", has_text="subscriber.add")
    expect(row).to_contain_text(NEW_ADMIN)
    expect(row).to_contain_text("deploy script")

    page.goto(f"{base}/admin/keys")
    key_row = page.locator("tr", has_text="deploy script")
    expect(key_row).not_to_contain_text("never")  # its last use is shown
    expect(page.locator("body")).not_to_contain_text(secret)
    key_row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status").first).to_contain_text("revoked")
    refused = api.get(f"{base}/api/subscribers", headers=auth)
    assert refused.status == 401


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_each_console_page_passes_axe_at_375_px(
    site: Site, owner_signed_in: dict[str, Any], path: str, scheme: str, browser: Browser
) -> None:
    # bypass_csp: the console's CSP rightly refuses the injected axe script.
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 900}, color_scheme=scheme,
                                  bypass_csp=True, storage_state=owner_signed_in)  # fmt: skip
    page = context.new_page()
    found: dict[str, Any] = {}
    for lang in ("en", "fr"):
        page.goto(site.base_url + path.format(day=site.day) + f"?lang={lang}")
        assert page.locator("h1").count() == 1
        found |= serious_violations(page, f"{path} ({lang}, {scheme})")
        if scheme == "dark" and lang == "en":
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"admin-dark{path.replace('/', '-')}.png"), full_page=True)
    assert found == {}
