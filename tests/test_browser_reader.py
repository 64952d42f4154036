"""Readers help themselves, in a real browser (headless Chromium, Playwright): "already
subscribed", a link on request, the public archive and its feed, "view in browser"
after unsubscribing, preferences in English and in French; at 375 px, in light and
dark mode, each page checked with axe-core (no serious or critical violation).
Screenshots go to docs/reader-*.png when DIGEST_UPDATE_DOCS=1."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import feedparser
import pytest
from browser_support import BROWSER_MARKS, serious_violations, serving
from reader_support import stored_edition
from smtp_server import SMTPServer
from web_support import add_subscriber, token, web_settings

from digest.store import Store
from digest.store import subscribers as db
from digest.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser

DOCS = Path(__file__).resolve().parent.parent / "docs"
NOW = datetime.now(UTC).replace(microsecond=0)

pytestmark = BROWSER_MARKS


@dataclass
class Site:
    base_url: str
    store: Store
    smtp: SMTPServer
    edition_id: int
    subscriber_id: int


def _rendered(edition_id: int, subscriber_id: int) -> str | None:
    """A stand-in for the renderer's personal page: the reader's address and links."""
    return (
        "<!DOCTYPE html><html lang='fr'><head><title>Le Brief</title></head><body>"
        f"<p>reader{subscriber_id}@example.org</p><a href='/unsubscribe/x'>Se désabonner</a></body></html>"
    )


@pytest.fixture
def site(tmp_path: Path, migrated_sqlite: Callable[[Path], Store]) -> Iterator[Site]:
    store = migrated_sqlite(tmp_path / "reader.db")
    zoe = add_subscriber(store, "zoe@example.org", NOW, name="Zoé", language="fr")
    add_subscriber(store, "sam@example.org", NOW, name="Sam", language="en")
    yesterday = NOW - timedelta(days=1)
    for day in range(1, 4):
        stored_edition(
            store, date(2026, 11, 26 + day), "fr" if day % 2 else "en",
            first_send=yesterday - timedelta(days=3 - day), subscriber_id=zoe, now=yesterday,
        )  # fmt: skip
    edition = stored_edition(store, date(2026, 11, 30), "fr", first_send=yesterday, subscriber_id=zoe, now=yesterday)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with SMTPServer() as smtp:
        settings = web_settings(tmp_path, smtp.port, base_url=base_url, web={"public_archive": True})
        app = create_app(settings, store, edition_page_html=_rendered)
        try:
            with serving(app, sock):
                yield Site(base_url, store, smtp, edition, zoe)
        finally:
            sock.close()
            store.close()


def _link(mail: Any, base_url: str) -> str:
    body = mail.message().get_body(("plain",)).get_content()
    match = re.search(re.escape(base_url) + r"/preferences/[\w.-]+", body)
    assert match, body
    return match.group(0)


def test_reader_journeys_at_375px_in_light_and_dark_mode(site: Site, tmp_path: Path, browser: Browser) -> None:
    from playwright.sync_api import Page, expect

    # The README's screenshots are rewritten only when asked (DIGEST_UPDATE_DOCS=1), so a
    # test run leaves the checkout as it found it.
    shots = DOCS if os.environ.get("DIGEST_UPDATE_DOCS") == "1" else tmp_path
    shots.mkdir(exist_ok=True)

    def check(page: Page, shot: str = "") -> None:
        """No sideways scroll at 375 px, no serious axe violation, a screenshot if named."""
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page.url}: {overflow}px of horizontal scroll"
        assert serious_violations(page, page.url) == {}
        if shot:
            page.screenshot(path=str(shots / f"reader-{shot}.png"), full_page=True)

    for scheme in ("light", "dark"):
        # bypass_csp: the pages forbid scripts; axe is injected by the test only
        context = browser.new_context(
            locale="fr-FR",
            viewport={"width": 375, "height": 800},
            color_scheme=scheme,
            bypass_csp=True,
            java_script_enabled=True,
        )
        page = context.new_page()
        dark = scheme == "dark"

        # The subscribe form: consent box beside its label, French contraction.
        page.goto(f"{site.base_url}/subscribe")
        expect(page.get_by_role("heading", level=1)).to_have_text("S'abonner au Brief")
        box = page.locator("#consent").bounding_box()
        label = page.locator("label[for=consent]").bounding_box()
        assert box and label and abs(label["y"] - box["y"]) < 10 and label["x"] > box["x"]
        check(page, "subscribe-dark" if dark else "subscribe")

        if dark:
            # Unsubscribe page in dark mode: the danger button is readable.
            sam = db.by_email(site.store, "sam@example.org")
            assert sam is not None and sam.id is not None
            page.goto(f"{site.base_url}/unsubscribe/{token(sam.id, 'unsubscribe', NOW)}")
            expect(page.get_by_role("button")).to_have_count(1)
            check(page, "unsubscribe-dark")
            context.close()
            continue

        # Already subscribed: same page, and a mail with the preferences link.
        page.get_by_label("Adresse e-mail").fill("zoe@example.org")
        page.get_by_label("J'accepte de recevoir Le Brief").check()
        page.get_by_role("button", name="Je m'abonne").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte de réception")
        assert "/subscribe?sent=1" in page.url  # post/redirect/get: a refresh posts nothing
        (mail,) = site.smtp.wait_for(1)
        assert mail.message()["Subject"] == "Vous êtes déjà abonné au Brief"
        page.goto(_link(mail, site.base_url))
        expect(page.get_by_role("heading", level=1)).to_have_text("Vos préférences")

        # A link on request.
        page.goto(f"{site.base_url}/account")
        check(page, "account")
        page.get_by_label("Adresse e-mail").fill("sam@example.org")
        page.get_by_role("button", name="M'envoyer un lien").click()
        expect(page.get_by_role("status")).to_contain_text("Si cette adresse est abonnée")
        mails = site.smtp.wait_for(2)
        page.goto(_link(mails[1], site.base_url))
        # Preferences in English: English words, English zone names.
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your preferences")
        expect(page.locator("optgroup[label=Asia]")).to_have_count(1)
        check(page, "preferences-en")

        # Preferences in French.
        page.goto(f"{site.base_url}/preferences/{token(site.subscriber_id, 'preferences', NOW)}")
        expect(page.locator("optgroup[label=Asie]")).to_have_count(1)
        labels = page.locator("fieldset.topics label").all_inner_texts()
        assert labels == sorted(labels, key=lambda s: s.replace("É", "E"))
        check(page, "preferences-fr")

        # The archive, an edition, and the feed.
        page.goto(f"{site.base_url}/archive")
        expect(page.get_by_role("heading", level=1)).to_have_text("Éditions passées")
        dates = page.locator("table.editions a").all_inner_texts()
        assert dates[0].startswith("lundi 30 novembre") and len(dates) == 4
        check(page, "archive")
        page.locator("table.editions a").first.click()
        expect(page.get_by_role("link", name="Je m'abonne")).to_be_visible()
        assert "zoe@example.org" not in page.content()
        check(page, "archive-edition")
        feed = feedparser.parse(page.request.get(f"{site.base_url}/archive/feed.xml").body())
        assert not feed.bozo and len(feed.entries) == 4

        # View in browser, then unsubscribe: no personal link any more.
        view = f"{site.base_url}/editions/{site.edition_id}?t=" + token(
            site.subscriber_id, "archive", NOW, scope=str(site.edition_id)
        )
        answer = page.goto(view)
        assert answer and answer.headers["x-robots-tag"] == "noindex, nofollow"
        assert "zoe@example.org" not in page.content()  # the stand-in renders reader<id>
        page.goto(f"{site.base_url}/unsubscribe/{token(site.subscriber_id, 'unsubscribe', NOW)}")
        page.get_by_role("button", name="Me désabonner").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes désabonné")
        answer = page.goto(view)
        assert answer and answer.headers["x-robots-tag"] == "noindex, nofollow"
        assert page.locator("meta[name=robots]").get_attribute("content") == "noindex, nofollow"
        assert "/unsubscribe/" not in page.content() and "/preferences/" not in page.content()
        expect(page.get_by_text("Partager cette édition")).to_be_visible()
        check(page, "view-after-unsubscribe")
        context.close()

    # Without JavaScript the forms still work.
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site.base_url}/account")
    page.get_by_label("Adresse e-mail").fill("nobody@example.org")
    page.get_by_role("button", name="M'envoyer un lien").click()
    expect(page.get_by_role("status")).to_contain_text("Si cette adresse est abonnée")
    context.close()
