"""The web app as `digest serve` wires it: "view in browser" shows the rendered edition
with the reader's own links, and the admin API's test send mails a real proof."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
from email_samples import french_edition
from smtp_server import SMTPServer
from web_support import ADMIN, Clock, add_subscriber, token, web_settings

from digest.runtime.service import web_app
from digest.store import Store
from digest.store.editions import save_edition
from digest.text.typography import typeset


async def test_view_in_browser_shows_the_rendered_edition_with_personal_links(
    store: Store, tmp_path: Path, now: datetime, smtp: SMTPServer
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    edition = save_edition(store, replace(french_edition(), id=None, newsletter="Le Brief"), rebuild=False, now=now)
    assert edition.id is not None
    sid = add_subscriber(store, "zoe@example.org", now, name="Zoé")
    app = web_app(settings, store, clock=Clock(now))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        page = await client.get(
            f"/editions/{edition.id}", params={"t": token(sid, "archive", now, scope=str(edition.id))}
        )
        forged = await client.get(
            f"/editions/{edition.id}", params={"t": token(sid, "archive", now, scope=str(edition.id)) + "x"}
        )
    assert page.status_code == 200
    text = html.unescape(page.text)
    for item in edition.items:
        assert typeset(item.title, "fr") in text  # the email's French spacing
    assert "Zoé" in text  # the reader's own greeting, not a generic listing
    assert f"http://testserver/unsubscribe/{token(sid, 'unsubscribe', now)}" in text
    assert 'role="presentation"' in page.text  # the email's layout, not the fallback listing
    assert forged.status_code in (400, 403, 404)


async def test_admin_test_send_mails_a_marked_proof_and_touches_no_delivery(
    store: Store, tmp_path: Path, now: datetime, smtp: SMTPServer
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    edition = save_edition(store, replace(french_edition(), id=None, newsletter="Le Brief"), rebuild=False, now=now)
    app = web_app(settings, store, clock=Clock(now))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        refused = await client.post(f"/api/editions/{edition.id}/test-send", json={"to": ["ed@example.org"]})
        answer = await client.post(
            f"/api/editions/{edition.id}/test-send", json={"to": ["Ed@Example.org"]}, headers=ADMIN
        )
    assert refused.status_code == 401
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"] == {"ed@example.org": "sent"}
    received = smtp.wait_for(1)
    message = received[0].message()
    assert message["Subject"].startswith("[TEST] ")
    assert message["X-Digest-Test"] == "yes"
    from sqlalchemy import func, select

    from digest.store import tables as t

    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.deliveries)).scalar_one() == 0
