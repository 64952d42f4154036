"""The console's other pages over real HTTP: a subscriber's record and actions,
deliveries (retry, suppression list), feeds, articles, the audit log, rebuild."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from admin_support import flash, make_admin, sign_in, token_of
from delivery_support import add_edition, add_subscribers
from smtp_server import SMTPServer
from sqlalchemy import select
from test_web_api import edition_with_deliveries
from web_support import Clock, add_subscriber, web_settings

from digest.admins import Role
from digest.models import Article, SubscriberStatus
from digest.store import Store, audit
from digest.store import subscribers as db
from digest.store import tables as t
from digest.store.articles import upsert_article
from digest.store.editions import get_edition
from digest.subscribers import membership as subs
from digest.web.app import create_app


@pytest.fixture
async def client(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime
) -> AsyncIterator[httpx.AsyncClient]:
    make_admin(store, "editor@example.org", Role.EDITOR, now)
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"Accept-Language": "en"}
    ) as c:
        await sign_in(c, "editor@example.org")
        yield c


async def test_a_subscribers_page_shows_consent_and_history_and_its_actions_work(
    client: httpx.AsyncClient, store: Store, now: datetime, smtp: SMTPServer
) -> None:
    pending = add_subscriber(store, "new@example.org", now, confirmed=False, name="Ada")
    page = html.unescape((await client.get(f"/admin/subscribers/{pending}")).text)
    assert "Consent record" in page and "Ada" in page and "No delivery yet." in page
    token = await token_of(client, f"/admin/subscribers/{pending}")
    sent = await client.post(
        f"/admin/subscribers/{pending}/resend-confirmation", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Confirmation mail sent." in flash(sent.text)
    assert [m.rcpt_tos for m in smtp.wait_for(1)] == [("new@example.org",)]
    edited = await client.post(
        f"/admin/subscribers/{pending}/edit",
        data={
            "csrf_token": token,
            "name": "Ada L.",
            "language": "en",
            "topics": "Sport, Tech",
            "timezone": "Europe/Paris",
            "send_at": "06:30",
        },
        follow_redirects=True,
    )
    assert "Saved." in flash(edited.text)
    sub = db.get(store, pending)
    assert sub is not None and sub.name == "Ada L." and sub.topics == ("Sport", "Tech") and sub.language == "en"
    await client.post(f"/admin/subscribers/{pending}/unsubscribe", data={"csrf_token": token})
    sub = db.get(store, pending)
    assert sub is not None and sub.status is SubscriberStatus.UNSUBSCRIBED
    await client.post(f"/admin/subscribers/{pending}/forget", data={"csrf_token": token})
    sub = db.get(store, pending)
    assert sub is not None and sub.status is SubscriberStatus.FORGOTTEN and sub.email != "new@example.org"
    actions = [e.action for e in audit.recent(store)]
    assert actions[:4] == [
        "subscriber.forget",
        "subscriber.unsubscribe",
        "subscriber.update",
        "subscriber.resend_confirmation",
    ]


async def test_retry_failed_and_suppression_removal_from_the_deliveries_page(
    client: httpx.AsyncClient, store: Store, now: datetime
) -> None:
    edition_id = edition_with_deliveries(store, now, {"failed": 2, "sent": 1})
    gone = add_subscriber(store, "gone@example.org", now)
    subs.unsubscribe(store, gone, now=now, source="test")
    page = html.unescape((await client.get("/admin/deliveries")).text)
    assert "s1@example.org" in page and "1 entry." in page
    token = await token_of(client, "/admin/deliveries")
    retried = await client.post(
        f"/admin/deliveries/{edition_id}/retry-failed", data={"csrf_token": token}, follow_redirects=True
    )
    assert "2 deliveries due again." in flash(retried.text)
    with store.engine.connect() as conn:
        states = sorted(r.state for r in conn.execute(select(t.deliveries.c.state)))
    assert states == ["retry", "retry", "sent"]
    found = html.unescape((await client.get("/admin/deliveries", params={"address": "gone@example.org"})).text)
    assert "1 entry." in found
    assert (await client.get("/admin/deliveries", params={"address": "other@example.org"})).text.count(
        "0 entries."
    ) == 1
    with store.engine.connect() as conn:
        (row,) = conn.execute(select(t.suppressions.c.id)).all()
    removed = await client.post(
        f"/admin/suppressions/{row.id}/remove", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Removed from the suppression list." in flash(removed.text)
    assert db.suppression(store, "gone@example.org") is None
    counts = (await client.get("/admin/deliveries/counts", params={"ids": str(edition_id)})).json()
    assert counts[str(edition_id)]["retry"] == 2


async def test_feeds_articles_and_audit_pages(client: httpx.AsyncClient, store: Store, now: datetime) -> None:
    token = await token_of(client, "/admin/feeds")
    refused = await client.post(
        "/admin/feeds/add", data={"csrf_token": token, "url": "ftp://nope"}, follow_redirects=True
    )
    assert flash(refused.text) and "No feed registered." in refused.text
    upsert_article(
        store,
        Article(
            url="https://news.example.org/a",
            title="Le budget adopté",
            body="Texte. " * 50,
            published_at=now - timedelta(hours=1),
            language="fr",
            category="Politique",
        ),
        now=now,
    )
    day = (now - timedelta(hours=1)).date().isoformat()
    listed = html.unescape((await client.get("/admin/articles", params={"date": day})).text)
    assert "Le budget adopté" in listed and "1 article." in listed
    searched = html.unescape((await client.get("/admin/articles", params={"date": day, "q": "pluie"})).text)
    assert "0 articles." in searched
    add_subscribers(store, 1, now=now)
    log = html.unescape((await client.get("/admin/audit", params={"q": "feed"})).text)
    assert "Nothing recorded yet." in log
    await client.post("/admin/feeds/poll", data={"csrf_token": token})
    log = html.unescape((await client.get("/admin/audit", params={"q": "feed"})).text)
    assert "feed.poll" in log and "editor@example.org" in log


async def test_rebuild_is_refused_once_a_delivery_exists(
    client: httpx.AsyncClient, store: Store, now: datetime
) -> None:
    from digest.daily.build import fan_out_now

    edition_id = add_edition(store, day=now.date(), now=now)
    add_subscribers(store, 1, now=now)
    fan_out_now(store, [get_edition(store, edition_id)], now=now)
    day = now.date().isoformat()
    desk = html.unescape((await client.get(f"/admin/editions/{day}")).text)
    assert "Its delivery has started" in desk and "Rebuild</button>" not in desk and "Drop story" not in desk
    token = await token_of(client, f"/admin/editions/{day}")
    refused = await client.post(f"/admin/editions/{day}/fr/rebuild", data={"csrf_token": token}, follow_redirects=True)
    assert "cannot be rebuilt" in html.unescape(flash(refused.text))
    locked = await client.post(
        f"/admin/editions/{day}/fr/items/0", data={"csrf_token": token, "op": "drop"}, follow_redirects=True
    )
    assert "started" in html.unescape(flash(locked.text))
    assert len(get_edition(store, edition_id).items) == 2
