"""Per-person click tracking is the reader's choice: a checkbox on their preferences
page (French and English), recorded like the subscription consent, revocable; and
forgetting a subscriber erases their per-person events."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
from smtp_server import SMTPServer
from tracking_support import BROWSER, events, html_of, seeded_edition, send_messages, story_links
from web_support import Clock, add_subscriber, csrf_token, token, web_settings

from digest.store import Store
from digest.store import tracking as tracking_db
from digest.subscribers import membership as subs
from digest.subscribers.tracking_consent import tracking_consent
from digest.web.app import create_app

DAY = date(2026, 11, 29)


def client_for(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_the_consent_checkbox_is_recorded_and_revocable_in_both_languages(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port, tracking={"clicks": "per_subscriber"})
    french = add_subscriber(store, "zoe@example.org", clock.now, language="fr")
    english = add_subscriber(store, "sam@example.org", clock.now, language="en")
    app = create_app(settings, store, now=clock)
    async with client_for(app) as c:
        fr_page = await c.get(f"/preferences/{token(french, 'preferences', clock.now)}")
        en_page = await c.get(f"/preferences/{token(english, 'preferences', clock.now)}")
        assert "Compter mes clics sur les articles à mon nom" in fr_page.text
        assert "à votre nom\u202f; vous pouvez" in fr_page.text  # French typography
        assert "Count my clicks on the stories under my name" in en_page.text
        assert 'name="tracking_consent" type="checkbox" value="yes"' in en_page.text
        assert " checked" not in en_page.text.partition('name="tracking_consent"')[2].partition(">")[0]
        form = {"csrf_token": csrf_token(fr_page.text), "language": "fr", "tracking_consent": "yes"}
        saved = await c.post(f"/preferences/{token(french, 'preferences', clock.now)}", data=form)
        assert saved.status_code == 303
        assert tracking_consent(store, french) and not tracking_consent(store, english)
        again = await c.get(f"/preferences/{token(french, 'preferences', clock.now)}")
        assert " checked" in again.text.partition('name="tracking_consent"')[2].partition(">")[0]
        given = clock.now
        clock.advance(days=3)
        later = await c.get(f"/preferences/{token(french, 'preferences', clock.now)}")
        form = {"csrf_token": csrf_token(later.text), "language": "fr"}  # unticked
        assert (await c.post(f"/preferences/{token(french, 'preferences', clock.now)}", data=form)).status_code == 303
    assert not tracking_consent(store, french)
    assert tracking_db.consents(store, french) == [(given, clock.now)]


async def test_without_per_person_tracking_the_page_asks_nothing(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port)  # clicks = "aggregate"
    reader = add_subscriber(store, "zoe@example.org", clock.now)
    async with client_for(create_app(settings, store, now=clock)) as c:
        page = await c.get(f"/preferences/{token(reader, 'preferences', clock.now)}")
    assert page.status_code == 200 and "tracking_consent" not in page.text


async def test_forgetting_a_subscriber_removes_their_per_person_events(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port, tracking={"clicks": "per_subscriber"})
    reader = add_subscriber(store, "zoe@example.org", clock.now)
    other = add_subscriber(store, "anon@example.org", clock.now)
    app = create_app(settings, store, now=clock)
    async with client_for(app) as c:
        page = await c.get(f"/preferences/{token(reader, 'preferences', clock.now)}")
        form = {"csrf_token": csrf_token(page.text), "language": "fr", "tracking_consent": "yes"}
        assert (await c.post(f"/preferences/{token(reader, 'preferences', clock.now)}", data=form)).status_code == 303
    edition_id = seeded_edition(store, DAY, now=clock.now)
    messages = send_messages(store, settings, edition_id, [reader, other], now=clock.now)
    clock.advance(minutes=30)
    async with client_for(app) as c:
        for sid in (reader, other):
            link = story_links(html_of(messages[sid]))[0]
            assert (await c.get(link, headers={"user-agent": BROWSER})).status_code == 302
            clock.advance(minutes=3)
    assert [e.subscriber_id for e in events(store, edition_id)] == [reader, None]
    subs.forget(store, reader, now=clock.now)
    assert [e.subscriber_id for e in events(store, edition_id)] == [None]  # the anonymous click stays
    assert tracking_db.consents(store, reader) == []
