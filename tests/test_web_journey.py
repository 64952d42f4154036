"""A subscriber's whole journey through real HTTP: subscribe, the confirmation mail
through a real SMTP server, confirm, preferences, RFC 8058 one-click unsubscribe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time
from pathlib import Path

import httpx
import pytest
from smtp_server import SMTPServer
from sqlalchemy import select
from web_support import Clock, add_subscriber, confirm_path, csrf_token, heading, status_text, token, web_settings

from digest.models import SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.store import tables as t
from digest.web.app import create_app


@pytest.fixture
async def client(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_subscribe_confirm_preferences_then_one_click_unsubscribe(
    client: httpx.AsyncClient, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    # 1. The form, in the browser's language.
    form = await client.get("/subscribe", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert form.status_code == 200 and heading(form.text) == "Subscribe to Le Brief"
    assert 'lang="en"' in form.text

    # 2. Subscribing records the consent and sends the double opt-in mail.
    done = await client.post(
        "/subscribe?lang=en",
        data={"csrf_token": csrf_token(form.text), "email": "Nadia.K@Example.org", "name": "Nadia",
              "language": "en", "consent": "yes"},
        headers={"User-Agent": "Mozilla/5.0 (journey test)"},
    )  # fmt: skip
    assert done.status_code == 303  # post/redirect/get
    done = await client.get(done.headers["location"])
    assert heading(done.text) == "Check your inbox"
    sub = db.by_email(store, "nadia.k@example.org")
    assert sub is not None and sub.status is SubscriberStatus.PENDING and sub.id is not None
    assert sub.consent is not None
    assert (sub.consent.at, sub.consent.source, sub.consent.ip) == (clock.now, "web", "198.51.100.23")
    assert sub.consent.user_agent == "Mozilla/5.0 (journey test)"
    assert sub.consent.text_version == "web-2026-11/en"

    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ("nadia.k@example.org",)
    assert mail.message()["Subject"] == "Confirm your subscription to Le Brief"
    link = confirm_path(mail)

    # 3. Opening the link shows a button; only the POST confirms (link scanners GET).
    clock.advance(minutes=10)
    page = await client.get(link)
    assert page.status_code == 200 and heading(page.text) == "Confirm your subscription"
    assert db.get(store, sub.id).status is SubscriberStatus.PENDING  # type: ignore[union-attr]
    confirmed = await client.post(link, data={"csrf_token": csrf_token(page.text)})
    assert confirmed.status_code == 303
    after = db.get(store, sub.id)
    assert after is not None and after.status is SubscriberStatus.CONFIRMED and after.confirmed_at == clock.now

    # 4. On to the preferences page, which says it is confirmed.
    prefs = await client.get(confirmed.headers["location"])
    assert prefs.status_code == 200 and heading(prefs.text) == "Your preferences"
    assert status_text(prefs.text).startswith("Confirmed")
    saved = await client.post(
        confirmed.headers["location"].split("?")[0],
        data={"csrf_token": csrf_token(prefs.text), "name": "Nadia K", "language": "fr",
              "topics": ["Sport", "Tech"], "send_at": "06:15", "timezone": "Asia/Kolkata"},
    )  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    again = await client.get(saved.headers["location"])
    assert status_text(again.text) == "Vos préférences sont enregistrées."  # now in French
    changed = db.get(store, sub.id)
    assert changed is not None
    assert (changed.name, changed.language, changed.topics, changed.send_at, changed.timezone) == (
        "Nadia K",
        "fr",
        ("Sport", "Tech"),
        time(6, 15),
        "Asia/Kolkata",
    )

    # 5. The mailbox provider's one-click POST: no cookies, 2xx, no redirect.
    unsubscribe_url = "http://testserver/unsubscribe/" + token(sub.id, "unsubscribe", clock.now)
    async with httpx.AsyncClient(transport=client._transport) as provider:  # a fresh client: no cookie jar
        response = await provider.post(
            unsubscribe_url,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 200 and "location" not in response.headers
    left = db.get(store, sub.id)
    assert left is not None and left.status is SubscriberStatus.UNSUBSCRIBED and left.unsubscribed_at == clock.now
    supp = db.suppression(store, "nadia.k@example.org")
    assert supp is not None and (supp.reason, supp.detail) == ("unsubscribed", "one-click")
    with store.engine.connect() as conn:
        stored = conn.execute(select(t.suppressions.c.email_hash)).scalars().all()
    assert stored == [db.address_hash("nadia.k@example.org")]  # the hash, never the address


async def test_unsubscribe_page_asks_first_and_the_button_unsubscribes(
    client: httpx.AsyncClient, store: Store, clock: Clock
) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now)
    path = "/unsubscribe/" + token(sub, "unsubscribe", clock.now)
    page = await client.get(path)
    assert page.status_code == 200 and heading(page.text) == "Se désabonner du Brief"
    assert db.get(store, sub).status is SubscriberStatus.CONFIRMED  # type: ignore[union-attr]
    assert "/preferences/" in page.text  # the gentler option is offered
    done = await client.post(path, data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 303 and done.headers["location"] == path  # post/redirect/get
    done = await client.get(path)
    assert heading(done.text) == "Vous êtes désabonné"
    assert db.get(store, sub).status is SubscriberStatus.UNSUBSCRIBED  # type: ignore[union-attr]
    assert db.suppression(store, "reader@example.org") is not None
