"""Importing a real list and working on it in bulk, in a real browser (headless Chromium
driven by Playwright) over uvicorn and a SQLite file: a 10,000-row CSV imported through
the page, followed by its progress bar (a page that refreshes itself, no script) to a
report naming each rejected line, which a reload shows again; then every subscriber
matching a filter unsubscribed, after a confirmation page giving the count. Each new
page passes axe-core (no serious or critical violation) at 375 px, light and dark.
Screenshots go to test-artifacts/browser-lists/."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from admin_support import make_admin
from browser_support import BROWSER_MARKS, serious_violations, serving, sign_in
from delivery_support import add_subscribers
from web_support import web_settings

from digest.admins import Role
from digest.store import Store
from digest.store import import_jobs as jobs
from digest.store import subscribers as db
from digest.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser-lists"
ROWS = 10_000
BAD_LINES = (2, 5001, 10_001)  # line 1 is the header

pytestmark = BROWSER_MARKS


@dataclass
class Site:
    base_url: str
    store: Store


@pytest.fixture
def site(tmp_path: Path, migrated_sqlite: Callable[[Path], Store]) -> Iterator[Site]:
    """The app on a free port, an editor, 20 readers and 3 pending Martins."""
    now = datetime.now(UTC)
    store = migrated_sqlite(tmp_path / "lists.db")
    make_admin(store, "editor@example.org", Role.EDITOR, now)
    add_subscribers(store, 20, now=now)
    add_subscribers(store, 3, now=now, prefix="martin", status="pending")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = web_settings(tmp_path, 25, base_url=base_url)  # no mail leaves: the rows are confirmed
    app = create_app(settings, store)
    try:
        with serving(app, sock):
            yield Site(base_url, store)
    finally:
        app.state.imports.shutdown()
        sock.close()
        store.close()


def big_csv() -> bytes:
    lines = ["email,name,language"]
    for line in range(2, ROWS + 2):
        lines.append("not-an-address,Bad,fr" if line in BAD_LINES else f"list{line:06d}@example.net,Reader {line},fr")
    return ("\n".join(lines) + "\n").encode()


def _still(page: Any) -> None:
    """Check a self-refreshing page as it is: its Refresh header is dropped, so axe is
    not cut off by the next load."""

    def without_refresh(route: Any) -> None:
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "refresh"}
        route.fulfill(response=response, headers=headers)

    page.route("**/admin/subscribers/import/*", without_refresh)


def test_a_10000_row_list_imported_through_the_page_then_unsubscribed_in_bulk(site: Site, browser: Browser) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = site.base_url
    page = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 900}).new_page()
    sign_in(page, base, "editor@example.org")

    # The form says how large a file may be, and when it goes to the background.
    page.goto(f"{base}/admin/subscribers/import")
    expect(page.locator("#file-hint")).to_contain_text("At most 20 MB.")
    expect(page.locator("#file-hint")).to_contain_text("more than 2000 rows is imported in the background")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": big_csv()}]
    )
    page.get_by_label("These people already confirmed").check()
    page.get_by_role("button", name="Import", exact=True).click()

    # The job's page: a progress bar that moves as the page refreshes itself.
    page.wait_for_url(f"{base}/admin/subscribers/import/1")
    expect(page.locator("#import-progress")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "import-progress-375.png"), full_page=True)
    expect(page.get_by_role("heading", name="Import report for members.csv")).to_be_visible(timeout=180_000)
    summary = f"{ROWS} of {ROWS} rows read. {ROWS - 3} added, 0 already on the list, 3 rejected."
    expect(page.locator(".report [role=status]")).to_have_text(summary)
    expect(page.locator(".rejected li")).to_have_count(3)
    for n, line in enumerate(BAD_LINES):
        expect(page.locator(".rejected li").nth(n)).to_contain_text(f"Line {line}: email:")
    page.reload()  # the report is kept: a reload (or a visit tomorrow) shows it again
    expect(page.locator(".rejected li")).to_have_count(3)
    expect(page.locator(".rejected li").first).to_contain_text("Line 2: email:")
    page.screenshot(path=str(ARTIFACTS / "import-report-375.png"), full_page=True)
    assert db.count(site.store) == 23 + ROWS - 3

    # Every subscriber matching a filter, unsubscribed after a confirmation with the count.
    page.goto(f"{base}/admin/subscribers")
    page.get_by_label("Search address or name").fill("martin")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#result-count")).to_have_text("3 subscribers match.")
    page.get_by_label("Or on all 3 subscribers matching this filter").check()
    page.get_by_label("Action").select_option("unsubscribe")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the change")
    expect(page.get_by_role("alert")).to_contain_text("3 subscribers will be unsubscribed and suppressed")
    page.screenshot(path=str(ARTIFACTS / "bulk-confirm-375.png"), full_page=True)
    page.get_by_role("button", name="Unsubscribe 3 subscribers").click()
    expect(page.locator(".banner")).to_have_text("3 subscribers unsubscribed.")
    expect(page.get_by_label("Search address or name")).to_have_value("martin")
    expect(page.locator("tbody")).to_contain_text("unsubscribed")
    assert {s.status.value for s in db.search(site.store, status=None, text="martin", limit=10, offset=0)} == {
        "unsubscribed"
    }
    assert db.count(site.store, text="list0") == ROWS - 3  # the imported ones, untouched


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_import_and_bulk_pages_pass_axe_at_375_px(site: Site, scheme: str, browser: Browser) -> None:
    now = datetime.now(UTC)
    running = jobs.create(site.store, file_name="members.csv", actor="editor@example.org", role="editor",
                          door="console", confirmed=False, rows_total=9000, now=now)  # fmt: skip
    jobs.progress(site.store, running, rows_done=3000, added=2990, unchanged=0, rejected=10, now=now)
    done = jobs.create(site.store, file_name="old.csv", actor="editor@example.org", role="editor",
                       door="console", confirmed=False, rows_total=3, now=now)  # fmt: skip
    jobs.finish(site.store, done, state="done", rejected=[(3, "email: 'x' is not a valid address")],
                warnings=[(2, "topics: unknown topic")], now=now)  # fmt: skip
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 900},
                                  color_scheme=scheme, bypass_csp=True)  # fmt: skip
    page = context.new_page()
    _still(page)
    sign_in(page, site.base_url, "editor@example.org")
    found: dict[str, Any] = {}
    for path in (f"/admin/subscribers/import/{running}", f"/admin/subscribers/import/{done}",
                 "/admin/subscribers/import", "/admin/subscribers?q=reader&sort=email&dir=asc",
                 "/admin/subscribers?lang=fr", "/admin/subscribers?lang=en"):  # fmt: skip
        page.goto(site.base_url + path)
        found |= serious_violations(page, path)
    # An import refused (no email column): the form again, with the reason.
    page.goto(f"{site.base_url}/admin/subscribers/import")
    page.locator("#file").set_input_files(files=[{"name": "x.csv", "mimeType": "text/csv", "buffer": b"name\nAnn\n"}])
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("no email column").wait_for()
    found |= serious_violations(page, "import refused")
    # The confirmation page of a bulk unsubscribe.
    page.goto(f"{site.base_url}/admin/subscribers?q=reader")
    page.locator("#all-matching").check()
    page.locator("#bulk-operation").select_option("forget")
    page.locator("#bulk-form button[type=submit]").click()
    page.get_by_role("heading", name="Confirm the change").wait_for()
    found |= serious_violations(page, "bulk confirmation")
    if scheme == "dark":
        page.screenshot(path=str(ARTIFACTS / "bulk-confirm-dark-375.png"), full_page=True)
    assert found == {}
