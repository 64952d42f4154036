"""Readers help themselves: a preferences link on request, "already subscribed", the
public archive and its feed, and a "view in browser" page that stays personal."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import feedparser
import httpx
import pytest
from reader_support import stored_edition
from smtp_server import SMTPServer
from starlette.applications import Starlette
from web_support import Clock, add_subscriber, csrf_token, heading, token, web_settings

from digest.store import Store
from digest.subscribers import membership as subs
from digest.web.app import create_app


def client_for(app: Starlette, ip: str = "203.0.113.9") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver")


@pytest.fixture
def archive_app(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock) -> Starlette:
    return create_app(web_settings(tmp_path, smtp.port, web={"public_archive": True}), store, now=clock)


@pytest.fixture
async def client(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(create_app(web_settings(tmp_path, smtp.port), store, now=clock)) as c:
        yield c


def preferences_link(mail_text: str) -> str:
    match = re.search(r"http://testserver(/preferences/[\w.-]+)", mail_text)
    assert match, "no preferences link in the mail"
    return match.group(1)


# Links on request ---------------------------------------------------------------------


async def test_subscribing_again_with_a_confirmed_address_mails_already_subscribed(
    client: httpx.AsyncClient, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    add_subscriber(store, "zoe@example.org", clock.now)
    form = await client.get("/subscribe")
    done = await client.post(
        "/subscribe", data={"csrf_token": csrf_token(form.text), "email": "Zoe@Example.org", "consent": "yes"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/subscribe?sent=1&lang=fr"
    (mail,) = smtp.wait_for(1)
    message = mail.message()
    assert mail.rcpt_tos == ("zoe@example.org",)
    assert message["Subject"] == "Vous êtes déjà abonné au Brief"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = await client.get(preferences_link(text))
    assert page.status_code == 200 and heading(page.text) == "Vos préférences"


async def test_account_answers_the_same_and_mails_only_a_confirmed_subscriber(
    client: httpx.AsyncClient, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    add_subscriber(store, "zoe@example.org", clock.now)
    add_subscriber(store, "pending@example.org", clock.now, confirmed=False)
    form = await client.get("/account")
    assert form.status_code == 200 and heading(form.text) == "Recevoir un lien vers vos préférences"
    answers = []
    for address in ("unknown@example.org", "pending@example.org", "zoe@example.org"):
        answer = await client.post("/account", data={"csrf_token": csrf_token(form.text), "email": address})
        answers.append((answer.status_code, answer.headers["location"], answer.text))
    assert answers == [(303, "/account?lang=fr&sent=1", "")] * 3
    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ("zoe@example.org",)
    assert mail.message()["Subject"] == "Le Brief\u00a0: votre lien vers vos préférences"
    sent = await client.get(answers[0][1])
    assert "Si cette adresse est abonnée" in sent.text
    forged = await client.post("/account", data={"csrf_token": "nope", "email": "zoe@example.org"})
    assert forged.status_code == 403


async def test_link_mails_obey_the_per_address_limit(
    client: httpx.AsyncClient, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    add_subscriber(store, "zoe@example.org", clock.now)
    form = await client.get("/account")
    for _ in range(5):
        await client.post("/account", data={"csrf_token": csrf_token(form.text), "email": "zoe@example.org"})
    # the confirmation mails' limit, kept in the database: [web] confirmations_per_address_per_day = 2
    assert len(smtp.wait_for(2)) == 2
    assert len(smtp.received) == 2


# The public archive -------------------------------------------------------------------


async def test_archive_paths_are_404_when_the_archive_is_off(client: httpx.AsyncClient) -> None:
    for path in ("/archive", "/archive/feed.xml", "/archive/2026-11-29/fr"):
        assert (await client.get(path)).status_code == 404, path


async def test_archive_lists_past_editions_newest_first_with_a_feed(
    archive_app: Starlette, store: Store, clock: Clock
) -> None:
    sid = add_subscriber(store, "zoe@example.org", clock.now)
    past = clock.now - timedelta(hours=1)
    stored_edition(store, date(2026, 11, 28), "fr", first_send=past - timedelta(days=1), subscriber_id=sid, now=past)
    stored_edition(store, date(2026, 11, 29), "en", first_send=past, subscriber_id=sid, now=past)
    stored_edition(
        store, date(2026, 11, 30), "fr", first_send=clock.now + timedelta(hours=2), subscriber_id=sid, now=past
    )
    stored_edition(store, date(2026, 11, 30), "en", first_send=None, subscriber_id=sid, now=past)
    async with client_for(archive_app) as c:
        index = await c.get("/archive")
        edition = await c.get("/archive/2026-11-28/fr")
        future = await c.get("/archive/2026-11-30/fr")
        feed = await c.get("/archive/feed.xml")
    assert index.status_code == 200 and heading(index.text) == "Éditions passées"
    links = re.findall(r'href="(/archive/[\d-]+/\w+)"', index.text)
    assert links == ["/archive/2026-11-29/en", "/archive/2026-11-28/fr"]
    assert "Je m'abonne" in index.text and 'href="/subscribe?lang=fr"' in index.text
    assert edition.status_code == 200 and "Titre du 2026-11-28" in edition.text
    assert "zoe@example.org" not in edition.text and "/unsubscribe/" not in edition.text
    assert "/preferences/" not in edition.text and "noindex" not in edition.text
    assert "Je m'abonne" in edition.text
    assert future.status_code == 404
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and parsed.feed.title == "Le Brief"
    assert [e.link for e in parsed.entries] == [
        "http://testserver/archive/2026-11-29/en",
        "http://testserver/archive/2026-11-28/fr",
    ]


# View in browser ----------------------------------------------------------------------


async def test_view_in_browser_is_noindex_opens_only_its_edition_and_forgets_links_after_leaving(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    sid = add_subscriber(store, "zoe@example.org", clock.now)
    past = clock.now - timedelta(hours=1)
    first = stored_edition(store, date(2026, 11, 28), "fr", first_send=past, subscriber_id=sid, now=past)
    second = stored_edition(store, date(2026, 11, 29), "fr", first_send=past, subscriber_id=sid, now=past)

    def rendered(edition_id: int, subscriber_id: int) -> str | None:
        return (
            "<!DOCTYPE html><html><head><title>mail</title></head><body>"
            f'<a href="http://testserver/unsubscribe/x">zoe@example.org</a> edition {edition_id}</body></html>'
        )

    settings = web_settings(tmp_path, smtp.port, web={"public_archive": True})
    app = create_app(settings, store, now=clock, edition_page_html=rendered)
    link = f"/editions/{first}?t={token(sid, 'archive', clock.now, scope=str(first))}"
    async with client_for(app) as c:
        personal = await c.get(link)
        other = await c.get(f"/editions/{second}?t={token(sid, 'archive', clock.now, scope=str(first))}")
        subs.unsubscribe(store, sid, now=clock.now, source="link")
        after = await c.get(link)
    assert personal.status_code == 200 and personal.headers["x-robots-tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in personal.text
    assert "zoe@example.org" in personal.text  # still theirs while subscribed
    assert "http://testserver/archive/2026-11-28/fr" in personal.text  # offered for sharing
    assert other.status_code == 400 and other.headers["x-robots-tag"] == "noindex, nofollow"
    assert after.status_code == 200 and after.headers["x-robots-tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in after.text
    assert "Titre du 2026-11-28" in after.text
    assert "zoe@example.org" not in after.text and "/unsubscribe/" not in after.text
    assert "/preferences/" not in after.text


async def test_every_token_page_says_noindex(client: httpx.AsyncClient, store: Store, clock: Clock) -> None:
    sid = add_subscriber(store, "zoe@example.org", clock.now)
    for purpose in ("preferences", "unsubscribe", "confirm"):
        page = await client.get(f"/{purpose}/{token(sid, purpose, clock.now)}", follow_redirects=True)
        assert page.headers["x-robots-tag"] == "noindex, nofollow", purpose
        assert '<meta name="robots" content="noindex, nofollow">' in page.text, purpose


# Preferences in the reader's language -------------------------------------------------


async def test_preferences_offer_the_readers_categories_sorted_and_current_time_zones(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    from sqlalchemy import insert

    from digest.store import tables as t

    with store.engine.begin() as conn:
        for category, language in [("Politics", "en"), ("World", "en"), ("Economy", "en"), ("Politique", "fr")]:
            conn.execute(insert(t.feeds).values(url=f"https://{category}.example/feed", category=category,
                                                language=language, created_at=clock.now))  # fmt: skip
    settings = web_settings(
        tmp_path, smtp.port, newsletter={"categories": ["World", "Politique", "Économie", "Politics", "Sport"]}
    )
    french = add_subscriber(store, "fr@example.org", clock.now, language="fr", timezone="Asia/Calcutta")
    english = add_subscriber(store, "en@example.org", clock.now, language="en")
    async with client_for(create_app(settings, store, now=clock)) as c:
        fr_page = await c.get(f"/preferences/{token(french, 'preferences', clock.now)}")
        en_page = await c.get(f"/preferences/{token(english, 'preferences', clock.now)}")
        form = {"csrf_token": csrf_token(en_page.text), "language": "en", "timezone": "Europe/Kiev"}
        saved = await c.post(f"/preferences/{token(english, 'preferences', clock.now)}", data=form)
    topics = re.compile(r'name="topics" type="checkbox" value="([^"]+)"')
    assert topics.findall(fr_page.text) == ["Économie", "Politique", "Sport"]  # "É" sorts with "E"
    assert topics.findall(en_page.text) == ["Économie", "Politics", "Sport", "World"]
    zones = re.findall(r'<option value="([^"]*)"', fr_page.text.partition('id="timezone"')[2])
    assert "Asia/Kolkata" in zones and "Europe/Kyiv" in zones and "Europe/Kiev" not in zones
    assert zones[:2] == ["", "Asia/Calcutta"]  # the newsletter's own first; the reader's alias kept
    assert '<optgroup label="Asie">' in fr_page.text
    assert '<option value="Asia/Kolkata">Calcutta (UTC+05:30)</option>' in fr_page.text  # CLDR's French name
    assert '<optgroup label="Asia">' in en_page.text
    assert "Celui de la newsletter (Casablanca, UTC+01:00)" in fr_page.text
    assert len(gzip.compress(fr_page.content)) < 10_000
    assert saved.status_code == 303  # any IANA name is still accepted when typed
