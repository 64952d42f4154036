"""The admin console in a real browser (headless Chromium driven by Playwright), over
uvicorn, a SQLite file and a real SMTP server: sign in, search, import a file with bad
rows, edit a summary and find it in the preview and in the mail, test send, approve and
watch a send's counts move live, a viewer refused a change, sign out. Every console page
passes axe-core (no serious or critical violation) at 375 px, in light and dark mode.
Screenshots go to test-artifacts/browser-admin/."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from admin_support import make_admin
from browser_support import BROWSER_MARKS, serious_violations, serving, sign_in
from delivery_support import add_edition, add_subscribers
from smtp_server import SMTPServer
from web_support import web_settings

from digest.admins import Role
from digest.config import Settings
from digest.deliver.proofs import ProofSender
from digest.store import Store
from digest.store.editions import get_edition
from digest.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser-admin"
READERS = 20

pytestmark = BROWSER_MARKS


@dataclass
class Site:
    base_url: str
    store: Store
    smtp: SMTPServer
    settings: Settings
    edition_id: int
    day: str


@pytest.fixture
def site(tmp_path: Path, migrated_sqlite: Callable[[Path], Store]) -> Iterator[Site]:
    """The app on a free port, with three admins, readers and today's edition."""
    now = datetime.now(UTC)
    store = migrated_sqlite(tmp_path / "browser.db")
    for email, role in (("owner@example.org", Role.OWNER), ("editor@example.org", Role.EDITOR),
                        ("viewer@example.org", Role.VIEWER)):  # fmt: skip
        make_admin(store, email, role, now)
    add_subscribers(store, READERS, now=now)
    add_subscribers(store, 3, now=now, prefix="martin", status="pending")
    edition_id = add_edition(store, day=now.date(), now=now)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with SMTPServer() as smtp:
        settings = web_settings(tmp_path, smtp.port, base_url=base_url, smtp={"rate_per_second": 8.0})
        app = create_app(settings, store, proof_sender=ProofSender(settings, store, clock=lambda: datetime.now(UTC)))
        try:
            with serving(app, sock):
                yield Site(base_url, store, smtp, settings, edition_id, now.date().isoformat())
        finally:
            sock.close()
            store.close()


def send_edition(site: Site) -> None:
    """What `digest send` does once approved: fan out, then one sender loop to the SMTP server."""
    from digest.daily.build import fan_out_now
    from digest.deliver.messages import EditionMessages
    from digest.deliver.sender import run_sender

    fan_out_now(site.store, [get_edition(site.store, site.edition_id)], now=datetime.now(UTC))
    messages = EditionMessages.from_settings(site.settings, site.store, clock=lambda: datetime.now(UTC))
    stop = asyncio.Event()
    ids = [site.edition_id]
    asyncio.run(run_sender(site.store, site.settings, messages, sender_id="browser-test", stop=stop, edition_ids=ids))


def test_admin_journeys_in_a_real_browser(site: Site, browser: Browser) -> None:
    from playwright.sync_api import Page, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = site.base_url

    def shoot(page: Page, name: str) -> None:
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: {overflow}px of horizontal scroll at {width}px"
            page.screenshot(path=str(ARTIFACTS / f"admin-{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 375, "height": 900})

    def signed_in(page: Page, email: str) -> None:
        sign_in(page, base, email)
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 900})
    page = context.new_page()

    # Sign in; a page asked for without a session leads to the form first.
    page.goto(f"{base}/admin/subscribers")
    expect(page).to_have_url(f"{base}/admin/login?next=%2Fadmin%2Fsubscribers")
    signed_in(page, "editor@example.org")
    shoot(page, "dashboard")

    # Search.
    page.goto(f"{base}/admin/subscribers")
    expect(page.locator("#result-count")).to_have_text(f"{READERS + 3} subscribers match.")
    page.get_by_label("Search address or name").fill("martin")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#result-count")).to_have_text("3 subscribers match.")
    expect(page.get_by_label("Search address or name")).to_have_value("martin")
    shoot(page, "subscribers")

    # Import a file with bad rows: the valid row is kept, each bad one reported.
    page.goto(f"{base}/admin/subscribers/import")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "list.csv", "mimeType": "text/csv",
                "buffer": b"email,name\nnew.reader@example.org,New\nnot-an-address,Bad\n,Empty\n"}]
    )  # fmt: skip
    page.get_by_label("These people already confirmed").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("1 added")
    expect(page.locator(".rejected li")).to_have_count(2)
    expect(page.locator(".rejected")).to_contain_text("Line 3:")
    shoot(page, "import")

    # Edit a summary: the preview and the test mail show it.
    page.goto(f"{base}/admin/editions/{site.day}")
    page.get_by_text("Edit story 1").click()
    page.locator("#summary-fr-0").fill("Le résumé corrigé par la rédaction.")
    page.get_by_role("button", name="Save story 1").click()
    expect(page.get_by_role("status").first).to_contain_text("Story 1 saved")
    frame = page.frame_locator("iframe.preview").first
    expect(frame.locator("body")).to_contain_text("Le résumé corrigé par la rédaction.")
    shoot(page, "edition")

    # Test send: only the named address gets mail, with the edited summary.
    page.locator("#to-fr").fill("proof@example.net")
    page.get_by_role("button", name="Send the test copy").click()
    expect(page.get_by_role("status").first).to_contain_text("Test copy sent to proof@example.net")
    (proof,) = site.smtp.wait_for(1)
    assert proof.rcpt_tos == ("proof@example.net",)
    body = proof.message().get_body(("html",))
    assert body is not None and "Le résumé corrigé par la rédaction." in body.get_content()

    # Approve, then watch the send's counts move on the deliveries page, no reload.
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").first).to_contain_text("Edition approved")
    page.goto(f"{base}/admin/deliveries")
    row = page.locator(f'tr[data-edition="{site.edition_id}"]')
    expect(row.locator('[data-state="sent"]')).to_have_text("0")
    page.evaluate("window.__notReloaded = true")
    sender = threading.Thread(target=send_edition, args=(site,))
    sender.start()
    expect(row.locator('[data-state="sent"]')).to_have_text(str(READERS + 1), timeout=30_000)
    sender.join(timeout=30)
    assert page.evaluate("window.__notReloaded") is True
    mails = [m for m in site.smtp.received if m.rcpt_tos != ("proof@example.net",)]
    assert len(mails) == READERS + 1
    sent_body = mails[0].message().get_body(("html",))
    assert sent_body is not None and "Le résumé corrigé par la rédaction." in sent_body.get_content()
    shoot(page, "deliveries")

    # Sign out: the pages need a session again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.goto(f"{base}/admin")
    expect(page).to_have_url(f"{base}/admin/login?next=%2Fadmin")

    # A viewer reads, but a change is refused.
    signed_in(page, "viewer@example.org")
    page.goto(f"{base}/admin/editions/{site.day}")
    expect(page.get_by_role("button", name="Rebuild")).to_have_count(0)
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    rebuild = f"{base}/admin/editions/{site.day}/fr/rebuild"
    refused = page.request.post(rebuild, form={"csrf_token": token or ""}, headers={"Accept-Language": "en"})
    assert refused.status == 403 and "does not allow" in refused.text()
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_sign_in_page_passes_axe_at_375_px(site: Site, scheme: str, browser: Browser) -> None:
    # Every console page behind it is checked one by one in test_browser_keys.py.
    # bypass_csp: the console's CSP rightly refuses the injected axe script.
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 900},
                                  color_scheme=scheme, bypass_csp=True)  # fmt: skip
    page = context.new_page()
    found: dict[str, Any] = {}
    for lang in ("en", "fr"):
        page.goto(f"{site.base_url}/admin/login?lang={lang}")
        assert page.locator("h1").count() == 1
        found |= serious_violations(page, f"login ({lang}, {scheme})")
    assert found == {}
