"""Adding a language means adding a catalogue: with a test-only German catalogue
(tests/fixtures/locale/de, pseudo-German "DE " + English) and no code for it, an
edition renders in German, the subscribe page offers and speaks German, and a German
subscriber's confirmation mail goes out in German."""

from __future__ import annotations

import email
import email.policy
import html
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from email_samples import composer, english_edition
from smtp_server import SMTPServer
from web_support import csrf_token, heading, web_settings

from digest import i18n
from digest.models import Subscriber
from digest.store import Store
from digest.store import subscribers as db
from digest.web.app import create_app

LOCALES = Path(__file__).parent / "fixtures" / "locale"


@pytest.fixture
def german() -> Iterator[None]:
    i18n.add_locale_dir(LOCALES)
    try:
        yield
    finally:
        i18n.remove_locale_dir(LOCALES)


def test_without_the_catalogue_the_supported_languages_are_french_and_english() -> None:
    assert i18n.languages(first="fr") == ("fr", "en")


def test_an_edition_renders_in_a_language_that_only_has_a_catalogue(german: None) -> None:
    assert i18n.languages(first="fr") == ("fr", "de", "en")
    edition = replace(english_edition(), language="de")
    subscriber = Subscriber(email="lena@example.org", name="Lena", language="de", id=5)
    out = composer(signed=False).compose(edition, subscriber, delivery_id=1, now=datetime(2026, 11, 29, 6))
    message = email.message_from_bytes(out.data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    page, text = html_part.get_content(), text_part.get_content()
    assert 'lang="de"' in page
    assert "DE View in your browser" in page and "DE Hello Lena," in text
    assert "Sonntag, 29. November 2026" in page  # Babel's German date, no code for it
    assert "View in your browser" not in page.replace("DE View in your browser", "")


async def test_the_subscribe_page_and_the_confirmation_mail_speak_the_new_language(
    german: None, tmp_path: Path, store: Store, smtp: SMTPServer, now: datetime
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    app = create_app(settings, store, now=lambda: now)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        form = await client.get("/subscribe", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert form.status_code == 200 and form.headers["Content-Language"] == "de"
        assert heading(form.text) == "DE Subscribe to Le Brief"
        assert re.search(r'<option value="de" lang="de"( selected)?>Deutsch</option>', form.text)
        page = await client.post(
            "/subscribe",
            data={"csrf_token": csrf_token(form.text), "email": "lena@example.org", "language": "de", "consent": "yes"},
        )
        assert page.status_code == 303
        page = await client.get(page.headers["location"])
    assert heading(page.text) == "DE Check your inbox"
    sub = db.by_email(store, "lena@example.org")
    assert sub is not None and sub.language == "de"
    (mail,) = smtp.wait_for(1)
    message = mail.message()
    assert message["Subject"] == "DE Confirm your subscription to Le Brief"
    assert message["Content-Language"] == "de"
    body = message.get_body(("html",))
    assert body is not None and "DE Confirm my subscription" in html.unescape(body.get_content())
