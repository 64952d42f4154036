"""An expired preferences or confirmation link leads to a button that mails a fresh
link to the address the old one was made for."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from smtp_server import SMTPServer
from web_support import Clock, add_subscriber, confirm_path, csrf_token, heading, token, web_settings

from digest.models import Consent, SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.subscribers import membership as subs
from digest.subscribers import signup as consent
from digest.web.app import create_app


def browser(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.5", 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def renew_action(page: str) -> str:
    match = re.search(r'<form method="post" action="(/renew/[^"]+)"', page)
    assert match, "no renew form on the page"
    return match.group(1)


async def test_expired_preferences_link_mails_a_fresh_one_that_works(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now, language="en")
    old = token(sub, "preferences", clock.now)
    clock.advance(days=61)
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    async with browser(app) as c:
        expired = await c.get(f"/preferences/{old}")
        assert expired.status_code == 410 and heading(expired.text) == "Ce lien a expiré"
        done = await c.post(renew_action(expired.text), data={"csrf_token": csrf_token(expired.text)})
        assert done.status_code == 200 and heading(done.text) == "Vérifiez votre boîte de réception"
        (mail,) = smtp.wait_for(1)
        assert tuple(mail.rcpt_tos) == ("reader@example.org",)
        body = mail.message().get_body(("plain",))
        assert body is not None
        match = re.search(r"http://testserver(/preferences/[A-Za-z0-9_.\-]+)", body.get_content())
        assert match, body.get_content()
        assert (await c.get(match.group(1))).status_code == 200
        # the button needs the form's CSRF token; a forged link gets nothing
        assert (await c.post(renew_action(expired.text))).status_code == 403
        assert (await c.post("/renew/preferences/forged.token.x", data={"csrf_token": "x"})).status_code == 400
        assert (await c.post(f"/renew/unsubscribe/{old}", data={"csrf_token": "x"})).status_code == 404
    assert len(smtp.received) == 1


async def test_expired_confirmation_link_mails_a_fresh_confirmation(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    first = add_subscriber(store, "back@example.org", clock.now, name="Bea")
    subs.unsubscribe(store, first, now=clock.now, source="link")
    web = Consent(at=clock.now, source="web", ip="203.0.113.5")
    profile, _ = subs.check_profile(settings, [], name="Bea", language="fr")
    asked = consent.subscribe(store, "back@example.org", profile, consent=web, now=clock.now)
    assert asked.request_id is not None
    app = create_app(settings, store, now=clock)
    link = f"/confirm/{app.state.web.links.confirm_request(asked.request_id, now=clock.now).rsplit('/', 1)[1]}"
    clock.advance(days=61)
    async with browser(app) as c:
        expired = await c.get(link)
        assert expired.status_code == 410
        await c.post(renew_action(expired.text), data={"csrf_token": csrf_token(expired.text)})
        (mail,) = smtp.wait_for(1)
        fresh = confirm_path(mail)
        page = await c.get(fresh)
        confirmed = await c.post(fresh, data={"csrf_token": csrf_token(page.text)})
        assert confirmed.status_code == 303
    back = db.get(store, first)
    assert back is not None and back.status is SubscriberStatus.CONFIRMED
    assert db.suppression(store, "back@example.org") is None
