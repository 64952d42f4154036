"""Story links go through the signed redirect: real HTTP (ASGI), real messages composed
by the sender's composer, real database."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pytest
from smtp_server import SMTPServer
from starlette.applications import Starlette
from tracking_support import (
    STORIES,
    Event,
    events,
    html_of,
    seeded_edition,
    send_messages,
    sent_links,
    story_links,
    text_of,
)
from web_support import Clock, add_subscriber, web_settings

from digest.config import Settings
from digest.models import Consent
from digest.store import Store, immediate
from digest.store import tracking as tracking_db
from digest.web.app import create_app

DAY = date(2026, 11, 29)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def client_for(app: Starlette, ip: str = "203.0.113.9") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver")


def settings_for(tmp_path: Path, smtp: SMTPServer, **tracking: str) -> Settings:
    return web_settings(tmp_path, smtp.port, tracking=tracking, web={"public_archive": True})


async def test_a_click_on_a_story_link_redirects_to_the_article_and_is_counted(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = settings_for(tmp_path, smtp)  # clicks = "aggregate" by default
    reader = add_subscriber(store, "zoe@example.org", clock.now)
    edition_id = seeded_edition(store, DAY, now=clock.now)
    message = send_messages(store, settings, edition_id, [reader], now=clock.now)[reader]
    html, text = html_of(message), text_of(message)
    links = story_links(html)
    assert len(links) == len(STORIES)
    assert not any(url in html for *_, url in STORIES), "an article linked past the redirect"
    assert story_links(text) == links, "the plain-text part uses other links"
    clock.advance(minutes=30)  # read later that morning
    async with client_for(create_app(settings, store, now=clock)) as client:
        answer = await client.get(links[1], headers={"user-agent": BROWSER})
    assert answer.status_code == 302
    assert answer.headers["location"] == STORIES[1][3]
    assert answer.headers["cache-control"].startswith("no-store")
    assert events(store, edition_id) == [Event(2, "click", False, "", None)]


async def test_with_clicks_off_links_point_straight_to_the_articles(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = settings_for(tmp_path, smtp, clicks="off")
    reader = add_subscriber(store, "zoe@example.org", clock.now)
    edition_id = seeded_edition(store, DAY, now=clock.now)
    message = send_messages(store, settings, edition_id, [reader], now=clock.now)[reader]
    html = html_of(message)
    assert story_links(html) == []
    assert all(url in html and url in text_of(message) for *_, url in STORIES)


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature altered
        lambda token: "WyJodHRwczovL2V2aWwuZXhhbXBsZSJd.c2lnbmF0dXJl",  # ["https://evil.example"], unsigned
        lambda token: "https%3A%2F%2Fevil.example%2F",
    ],
)
async def test_a_forged_token_is_refused_and_never_redirects_away(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, forge: Callable[[str], str]
) -> None:
    settings = settings_for(tmp_path, smtp)
    edition_id, links = sent_links(store, settings, DAY, now=clock.now)
    link = links[0]
    token = link.removeprefix("/r/").split("?")[0]
    clock.advance(hours=1)
    async with client_for(create_app(settings, store, now=clock)) as client:
        answer = await client.get(f"/r/{forge(token)}", headers={"user-agent": BROWSER})
    location = answer.headers.get("location", "")
    assert answer.status_code in (302, 404)
    assert location in ("", f"/archive/{DAY}/fr"), location
    if forge(token).startswith(token[:10]):  # the edition is still named: its archive page
        assert answer.status_code == 302 and location == f"/archive/{DAY}/fr"
    assert events(store, edition_id) == []


async def test_only_the_consenting_subscribers_clicks_carry_their_id(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = settings_for(tmp_path, smtp, clicks="per_subscriber")
    yes = add_subscriber(store, "oui@example.org", clock.now)
    no = add_subscriber(store, "non@example.org", clock.now)
    with immediate(store.engine) as tx:
        assert tracking_db.grant(tx, yes, Consent(at=clock.now, source="web", text_version="tracking-1"))
    edition_id = seeded_edition(store, DAY, now=clock.now)
    messages = send_messages(store, settings, edition_id, [yes, no], now=clock.now)
    clock.advance(minutes=20)
    app = create_app(settings, store, now=clock)
    for ip, sid in (("198.51.100.1", yes), ("198.51.100.2", no)):
        async with client_for(app, ip) as client:
            answer = await client.get(story_links(html_of(messages[sid]))[0], headers={"user-agent": BROWSER})
            assert answer.status_code == 302 and answer.headers["location"] == STORIES[0][3]
        clock.advance(minutes=1)
    assert [e.subscriber_id for e in events(store, edition_id)] == [yes, None]
    # a revoked consent: the next click is anonymous again, the past one too
    with immediate(store.engine) as tx:
        assert tracking_db.revoke(tx, yes, now=clock.now)
    async with client_for(app, "198.51.100.1") as client:
        await client.get(story_links(html_of(messages[yes]))[1], headers={"user-agent": BROWSER})
    assert [e.subscriber_id for e in events(store, edition_id)] == [None, None, None]


async def test_a_link_scanner_burst_and_a_head_request_are_machine_clicks(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = settings_for(tmp_path, smtp)
    edition_id, links = sent_links(store, settings, DAY, now=clock.now)
    clock.advance(minutes=3)  # past the "seconds after delivery" rule: the burst alone must tell
    app = create_app(settings, store, now=clock)
    async with client_for(app, "192.0.2.50") as scanner:  # a gateway with a browser's user agent
        for link in links:
            assert (await scanner.get(link, headers={"user-agent": BROWSER})).status_code == 302
            clock.advance(seconds=0.4)
    async with client_for(app, "192.0.2.60") as safe_links:
        answer = await safe_links.head(links[0], headers={"user-agent": BROWSER})
        assert answer.status_code == 302
    clock.advance(minutes=10)
    async with client_for(app, "203.0.113.77") as person:
        await person.get(links[2], headers={"user-agent": BROWSER})
    seen = events(store, edition_id)
    assert [(e.machine, e.reason) for e in seen[:4]] == [(True, "burst")] * 4
    assert (seen[4].machine, seen[4].reason) == (True, "head")
    assert (seen[5].machine, seen[5].reason) == (False, "")


async def test_a_click_seconds_after_delivery_or_from_a_scanner_agent_is_a_machine_click(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = settings_for(tmp_path, smtp)
    edition_id, links = sent_links(store, settings, DAY, now=clock.now)
    app = create_app(settings, store, now=clock)
    clock.advance(seconds=2)
    async with client_for(app, "192.0.2.70") as client:
        await client.get(links[0], headers={"user-agent": BROWSER})
    clock.advance(minutes=30)
    async with client_for(app, "192.0.2.71") as client:
        await client.get(links[1], headers={"user-agent": "Mozilla/5.0 (compatible; Proofpoint URL Defense)"})
    assert [(e.machine, e.reason) for e in events(store, edition_id)] == [(True, "early"), (True, "scanner")]


async def test_an_apple_proxy_open_is_a_machine_open(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(
        tmp_path, smtp.port, tracking={"opens": "aggregate"}, web={"trusted_proxies": ["127.0.0.1"]}
    )
    reader = add_subscriber(store, "zoe@example.org", clock.now)
    edition_id = seeded_edition(store, DAY, now=clock.now)
    html = html_of(send_messages(store, settings, edition_id, [reader], now=clock.now)[reader])
    (image,) = re.findall(r'<img src="http://testserver(/o/[^"]+)"', html)
    image = image.replace("&amp;", "&")
    clock.advance(hours=2)  # Apple fetches when the Mail app next syncs: not "early"
    app = create_app(settings, store, now=clock)
    async with client_for(app, "127.0.0.1") as client:
        apple = await client.get(image, headers={"user-agent": "Mozilla/5.0", "x-forwarded-for": "17.58.101.4"})
        person = await client.get(image, headers={"user-agent": BROWSER, "x-forwarded-for": "203.0.113.5"})
    assert apple.status_code == person.status_code == 200
    assert apple.headers["content-type"] == "image/gif"
    opens = [(e.kind, e.position, e.machine, e.reason, e.subscriber_id) for e in events(store, edition_id)]
    assert opens == [("open", -1, True, "proxy", None), ("open", -1, False, "", None)]
