"""A person in a real browser (headless Chromium driven by Playwright): subscribes, opens
the confirmation link from the mail the SMTP server received, changes preferences and
unsubscribes. Each page is screenshotted at 375 px and 1280 px into test-artifacts/."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_support import BROWSER_MARKS, serving
from smtp_server import SMTPServer
from web_support import confirm_path, web_settings

from digest.models import SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser-subscribe"
WIDTHS = (375, 1280)

pytestmark = BROWSER_MARKS


@dataclass
class Site:
    base_url: str
    store: Store
    smtp: SMTPServer


@pytest.fixture
def site(tmp_path: Path, migrated_sqlite: Callable[[Path], Store]) -> Iterator[Site]:
    """The app served by uvicorn on a free port, over a SQLite file and a real SMTP server."""
    store = migrated_sqlite(tmp_path / "browser.db")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with SMTPServer() as smtp:
        app = create_app(web_settings(tmp_path, smtp.port, base_url=base_url), store)
        try:
            with serving(app, sock):
                yield Site(base_url, store, smtp)
        finally:
            sock.close()
            store.close()


def test_person_subscribes_confirms_changes_preferences_and_unsubscribes(site: Site, browser: Browser) -> None:
    from playwright.sync_api import Page, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shoot(page: Page, step: str) -> None:
        """Screenshots at each width; at 375 px nothing may overflow sideways."""
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{step}: {overflow}px of horizontal scroll at {width}px"
            page.screenshot(path=str(ARTIFACTS / f"{step}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def every_field_is_labelled(page: Page) -> None:
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select')]
                   .filter(el => !el.closest('[aria-hidden=true]'))
                   .filter(el => !(el.labels && el.labels.length))
                   .map(el => el.name)"""
        )
        assert unlabelled == []

    context = browser.new_context(locale="fr-FR", viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()

    # The form, in French (the browser's language).
    page.goto(f"{site.base_url}/subscribe")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("S'abonner au Brief")
    every_field_is_labelled(page)
    page.get_by_label("Adresse e-mail").fill("Camille.Martin@example.org")
    page.get_by_label("Prénom (facultatif)").fill("Camille")
    page.get_by_label("J'accepte de recevoir Le Brief").check()
    shoot(page, "1-subscribe")
    page.get_by_role("button", name="Je m'abonne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte de réception")
    shoot(page, "2-check-inbox")

    # The confirmation link from the mail the SMTP server received.
    (mail,) = site.smtp.wait_for(1)
    assert mail.rcpt_tos == ("camille.martin@example.org",)
    page.goto(site.base_url + confirm_path(mail, site.base_url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmez votre inscription")
    shoot(page, "3-confirm")
    page.get_by_role("button", name="Confirmer mon inscription").click()
    expect(page.get_by_role("status")).to_contain_text("C'est confirmé")
    sub = db.by_email(site.store, "camille.martin@example.org")
    assert sub is not None and sub.status is SubscriberStatus.CONFIRMED
    every_field_is_labelled(page)
    shoot(page, "4-preferences")

    # Preferences: English, two topics, 06:30 in Kolkata.
    page.get_by_label("Langue de la newsletter").select_option("en")
    page.get_by_label("Sport").check()
    page.get_by_label("Tech").check()
    page.get_by_label("Heure d'envoi").fill("06:30")
    page.get_by_label("Fuseau horaire").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_have_text("Your preferences are saved.")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, "5-preferences-saved")
    sub = db.by_email(site.store, "camille.martin@example.org")
    assert sub is not None
    assert (sub.language, sub.topics, sub.timezone) == ("en", ("Sport", "Tech"), "Asia/Kolkata")
    assert sub.send_at is not None and sub.send_at.strftime("%H:%M") == "06:30"

    # Unsubscribe: a confirm page, then the button.
    page.get_by_role("link", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from Le Brief")
    shoot(page, "6-unsubscribe")
    page.get_by_role("button", name="Unsubscribe me").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're unsubscribed")
    shoot(page, "7-unsubscribed")
    sub = db.by_email(site.store, "camille.martin@example.org")
    assert sub is not None and sub.status is SubscriberStatus.UNSUBSCRIBED
    assert db.suppression(site.store, "camille.martin@example.org") is not None
    shots = sorted(p.name for p in ARTIFACTS.glob("*.png"))
    assert len(shots) >= 14 and all((ARTIFACTS / s).stat().st_size > 2000 for s in shots)
