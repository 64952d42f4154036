"""Consent nobody can rewrite: the anonymous form never changes an existing subscriber,
and a suppressed address comes back only through its own confirmation or a recorded
admin override that keeps the profile (real HTTP through the ASGI app, real SMTP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from smtp_server import SMTPServer
from sqlalchemy import select
from web_support import ADMIN, Clock, add_subscriber, confirm_path, csrf_token, web_settings

from digest.models import SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.store import tables as t
from digest.subscribers import membership as subs
from digest.web.app import create_app


def browser(app: Any, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver")


def row(store: Store, email: str) -> tuple[Any, ...]:
    with store.engine.connect() as conn:
        found = conn.execute(select(t.subscribers).where(t.subscribers.c.email == email)).one()
    return tuple(found)


async def subscribe(c: httpx.AsyncClient, email: str, name: str, language: str) -> httpx.Response:
    form = await c.get("/subscribe")
    data = {"csrf_token": csrf_token(form.text), "email": email, "name": name, "language": language, "consent": "yes"}
    return await c.post("/subscribe", data=data, headers={"User-Agent": "attacker/1.0"})


async def test_the_form_rewrites_nobody_and_the_request_applies_only_when_confirmed(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    left = add_subscriber(store, "left@example.org", clock.now, name="Léa", language="fr", topics="Sport")
    subs.unsubscribe(store, left, now=clock.now, source="link")
    add_subscriber(store, "pending@example.org", clock.now, confirmed=False, name="Paul", language="fr")
    before = {e: row(store, e) for e in ("left@example.org", "pending@example.org")}
    clock.advance(hours=1)
    async with browser(app, "198.51.100.66") as mallory:
        for email in before:
            assert (await subscribe(mallory, email, "Gagnez 1000 EUR sur http://evil.example", "en")).status_code == 303
    assert {e: row(store, e) for e in before} == before  # status, name, language, consent: all untouched
    assert db.suppression(store, "left@example.org") is not None
    mails = {m.rcpt_tos[0]: m for m in smtp.wait_for(2)}
    for mail in mails.values():
        assert "evil.example" not in mail.data.decode("ascii", "replace")  # nothing typed reaches the inbox
    # Léa herself opens the mail and confirms: only now does the request apply.
    async with browser(app, "203.0.113.20") as lea:
        path = confirm_path(mails["left@example.org"])
        page = await lea.get(path)
        assert (await lea.post(path, data={"csrf_token": csrf_token(page.text)})).status_code == 303
    back = db.by_email(store, "left@example.org")
    assert back is not None and back.status is SubscriberStatus.CONFIRMED and back.language == "en"
    assert back.consent is not None and back.consent.ip == "198.51.100.66"  # the request's own record
    assert db.suppression(store, "left@example.org") is None


async def test_api_confirms_a_suppressed_address_only_with_a_recorded_override_that_keeps_the_profile(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    sub = add_subscriber(store, "ann@example.org", clock.now, name="Ann", language="en", topics="Sport")
    subs.unsubscribe(store, sub, now=clock.now, source="link")
    async with browser(app, "127.0.0.1") as admin:
        refused = await admin.patch(f"/api/subscribers/{sub}", headers=ADMIN, json={"status": "confirmed"})
        assert refused.status_code == 409 and refused.json()["suppressed"] is True
        assert db.suppression(store, "ann@example.org") is not None
        done = await admin.patch(
            f"/api/subscribers/{sub}", headers=ADMIN, json={"status": "confirmed", "override_suppression": True}
        )
        assert done.status_code == 200, done.text
        body = done.json()["subscriber"]
        assert (body["status"], body["name"], body["language"], body["topics"]) == ("confirmed", "Ann", "en", ["Sport"])
        await admin.delete(f"/api/subscribers/{sub}", headers=ADMIN)
        readded = await admin.post(
            "/api/subscribers", headers=ADMIN, json={"email": "ann@example.org", "override_suppression": True}
        )
        assert readded.status_code == 201, readded.text
        assert (readded.json()["subscriber"]["name"], readded.json()["subscriber"]["topics"]) == ("Ann", ["Sport"])
    with store.engine.connect() as conn:
        recorded = conn.execute(select(t.suppression_overrides.c.reason, t.suppression_overrides.c.source)).all()
    assert [tuple(r) for r in recorded] == [("unsubscribed", "api"), ("unsubscribed", "api")]
