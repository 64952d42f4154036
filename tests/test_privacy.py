"""Privacy by design (issue 25, item 8): no reader's address in clear in what a relay
said or why an address is suppressed, whichever page or API answer shows it; over a
real send to a real SMTP server, real HTTP (ASGI) and a real SQLite file."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from admin_support import make_admin, sign_in, token_of
from delivery_support import add_edition, add_subscribers, subscriber_id
from smtp_server import SMTPServer
from sqlalchemy import text
from web_support import ADMIN, Clock, web_settings

from digest.actions import Actor, Door, Operations
from digest.actions import subscribers as subscriber_actions
from digest.admins import Role
from digest.store import Store
from digest.store.subscribers import address_hash
from digest.web.app import create_app

OWNER = "owner@example.org"


def send(store: Store, settings: object, edition_id: int, now: datetime) -> None:
    """What `digest send` does: fan out, then one sender loop to the SMTP server."""
    from digest.daily.build import fan_out_now
    from digest.deliver.messages import EditionMessages
    from digest.deliver.sender import run_sender
    from digest.store.editions import get_edition

    fan_out_now(store, [get_edition(store, edition_id)], now=now)
    messages = EditionMessages.from_settings(settings, store, clock=lambda: now)  # type: ignore[arg-type]
    stop = asyncio.Event()
    asyncio.run(run_sender(store, settings, messages, sender_id="privacy", stop=stop, edition_ids=[edition_id]))  # type: ignore[arg-type]


async def test_no_page_or_api_answer_shows_a_suppressed_address_in_clear(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime
) -> None:
    make_admin(store, OWNER, Role.OWNER, now)
    bounced, old, kept = add_subscribers(store, 3, now=now, prefix="reject")
    edition_id = add_edition(store, day=now.date(), now=now)
    smtp.fail_recipient(bounced, f"550 5.1.1 <{bounced}>: Recipient address rejected: user unknown")
    settings = web_settings(tmp_path, smtp.port)
    await asyncio.to_thread(send, store, settings, edition_id, now)
    with store.engine.begin() as conn:  # a row written before masking: a suppression naming the address
        conn.execute(text("UPDATE deliveries SET state='failed', last_error=:e WHERE subscriber_id=:s"),
                     {"e": f"550 5.1.1 <{old}> no such user", "s": subscriber_id(store, old)})  # fmt: skip
        conn.execute(text("INSERT INTO suppressions (email_hash, reason, detail, created_at) "
                          "SELECT :h, 'hard_bounce', :d, created_at FROM subscribers WHERE email=:e"),
                     {"h": address_hash(old),
                      "d": f"550 5.1.1 <{old}> no such user", "e": old})  # fmt: skip
        stored = conn.execute(text("SELECT detail FROM suppressions")).scalars().all()
    assert stored and not any(bounced in d for d in stored)  # masked as written
    ops = Operations(settings, store, clock)
    for address in (bounced, old):  # the readers are gone: only a hashed suppression is left
        subscriber_actions.forget(ops, Actor("cli:test", Role.OWNER, Door.CLI), subscriber_id(store, address))

    app = create_app(settings, store, now=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        answers: dict[str, str] = {}
        for path in ["/api/subscribers", "/api/subscribers?q=reject", "/api/suppressions", "/api/editions",
                     f"/api/editions/{edition_id}", "/api/deliveries/failures", "/api/subscribers/export",
                     *(f"/api/subscribers/{i}" for i in (1, 2, 3))]:  # fmt: skip
            response = await client.get(path, headers=ADMIN)
            assert response.status_code == 200, (path, response.text[:300])
            answers[path] = response.text
        assert (await sign_in(client, OWNER)).status_code == 303
        for path in ["/admin", "/admin/subscribers", "/admin/subscribers?q=reject", "/admin/deliveries",
                     "/admin/audit", "/admin/editions", f"/admin/editions/{now.date()}", "/admin/subscribers/export",
                     *(f"/admin/subscribers/{i}" for i in (1, 2, 3))]:  # fmt: skip
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            answers[path] = response.text
    leaks = {path: address for path, body in answers.items() for address in (bounced, old) if address in body}
    assert leaks == {}
    seen = "".join(answers.values())
    assert "r***@example.org" in seen and "user unknown" in seen  # the reasons are shown, masked
    assert kept in answers["/api/subscribers"]  # a reader still on the list is listed as before


async def test_a_viewers_pages_exports_and_api_answers_hold_no_consent_ip_user_agent_or_name(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime
) -> None:
    from web_support import add_subscriber

    from digest.actions import api_keys

    make_admin(store, OWNER, Role.OWNER, now)
    make_admin(store, "viewer@example.org", Role.VIEWER, now)
    add_subscriber(store, "ada@example.org", now, name="Ada Lovelace", language="fr")
    ip, agent = "203.0.113.77", "ConsentBrowser/9.1"
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE subscribers SET consent_ip=:ip, consent_user_agent=:ua"), {"ip": ip, "ua": agent})
    settings = web_settings(tmp_path, smtp.port)
    ops = Operations(settings, store, clock)
    key = api_keys.create(ops, Actor("viewer@example.org", Role.VIEWER, Door.CONSOLE), "reader", Role.VIEWER)
    viewer_api = {"Authorization": f"Bearer {key.secret}"}

    app = create_app(settings, store, now=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        owner_export = await client.get("/api/subscribers/export", headers=ADMIN)
        assert ip in owner_export.text and agent in owner_export.text and "Ada Lovelace" in owner_export.text
        answers = {
            path: (await client.get(path, headers=viewer_api)).text
            for path in ("/api/subscribers/export", "/api/subscribers", "/api/subscribers/1")
        }
        renamed = await client.patch("/api/subscribers/1", headers=ADMIN, json={"name": "Ada King"})
        assert renamed.status_code == 200  # the audit log now holds both names
        assert (await sign_in(client, "viewer@example.org")).status_code == 303
        for path in ("/admin/subscribers/export", "/admin/subscribers", "/admin/subscribers/1", "/admin/audit"):
            response = await client.get(path)
            assert response.status_code == 200, path
            answers[path] = response.text
        # The selection exported from the list's bulk form and from the API: the same filter.
        token = await token_of(client, "/admin/subscribers")
        picked = await client.post(
            "/admin/subscribers/bulk", data={"csrf_token": token, "operation": "export", "id": "1"}
        )
        assert picked.status_code == 200, picked.text
        answers["/admin/subscribers/bulk"] = picked.text
        bulk = await client.post("/api/subscribers/bulk", headers=viewer_api, json={"operation": "export", "ids": [1]})
        assert bulk.status_code == 200, bulk.text
        answers["/api/subscribers/bulk"] = bulk.text
    assert "subscriber.update" in answers["/admin/audit"] and "session.sign_in" in answers["/admin/audit"]
    assert all("ada@example.org" in body for p, body in answers.items() if p != "/admin/audit")  # the address: yes
    private = (ip, agent, "Ada Lovelace", "Ada King", "python-httpx")  # the last: the viewer's own user agent
    leaks = {(p, v) for p, body in answers.items() for v in private if v in body}
    assert leaks == set()


# The public archive waits for the readers ----------------------------------------------


def _edition_being_sent(store: Store, now: datetime) -> dict[str, int]:
    """Today's edition: one reader served at 06:00, one still waiting since 06:00, one
    whose own send time is 09:00 UTC."""
    from datetime import timedelta

    from reader_support import stored_edition
    from sqlalchemy import insert

    from digest.store import tables as t

    ids = {name: sub for name, sub in zip(("served", "waiting", "later"), _subscribers(store, now), strict=True)}
    six = now.replace(hour=6, minute=0)
    edition_id = stored_edition(store, now.date(), "fr", first_send=six, subscriber_id=ids["served"], now=six)
    with store.engine.begin() as conn:
        for name, due in (("waiting", six), ("later", six + timedelta(hours=3))):
            conn.execute(insert(t.deliveries).values(edition_id=edition_id, subscriber_id=ids[name], state="pending",
                                                     due_at=due, created_at=six, updated_at=six))  # fmt: skip
    return ids


def _subscribers(store: Store, now: datetime) -> list[int]:
    from web_support import add_subscriber

    return [add_subscriber(store, f"{n}@example.org", now) for n in ("served", "waiting", "later")]


async def _archived(app: object, day: str) -> tuple[int, bool]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:  # type: ignore[arg-type]
        page = await c.get(f"/archive/{day}/fr")
        index = await c.get("/archive")
    return page.status_code, f"/archive/{day}/fr" in index.text


async def test_the_archive_hides_an_edition_until_its_sends_are_done_or_its_last_send_time(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime
) -> None:
    _edition_being_sent(store, now)
    day = now.date().isoformat()
    app = create_app(web_settings(tmp_path, smtp.port, web={"public_archive": True}), store, now=clock)
    clock.now = now.replace(hour=7)  # the first reader has theirs; two are still waiting
    assert await _archived(app, day) == (404, False)
    clock.now = now.replace(hour=9)  # the latest send time of the day: public even if a send lags
    assert await _archived(app, day) == (200, True)
    clock.now = now.replace(hour=7)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE deliveries SET state='sent'"))
    assert await _archived(app, day) == (200, True)  # every send done: public at once


async def test_archive_after_publishes_at_that_local_time_whatever_the_sends(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime
) -> None:
    _edition_being_sent(store, now)
    day = now.date().isoformat()
    settings = web_settings(tmp_path, smtp.port, web={"public_archive": True, "archive_after": "08:00"},
                            schedule={"timezone": "Europe/Paris"})  # fmt: skip
    app = create_app(settings, store, now=clock)
    clock.now = now.replace(hour=6, minute=59)  # 07:59 in Paris
    assert await _archived(app, day) == (404, False)
    clock.now = now.replace(hour=7)  # 08:00 in Paris
    assert await _archived(app, day) == (200, True)


def test_archive_after_must_be_a_time() -> None:
    from digest import config
    from digest.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[web\] archive_after: expected HH:MM"):
        config.load(env={}).with_overrides({"web": {"archive_after": "8h"}})
