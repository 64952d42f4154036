"""The console's feeds page over real HTTP (ASGI): the full-text mode chosen when a feed
is added, and each feed's article pages counted by outcome."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from admin_support import flash, make_admin, sign_in, token_of
from smtp_server import SMTPServer
from web_support import Clock, web_settings

from digest.admins import Role
from digest.store import Store
from digest.store.feeds import PageFetch, list_feeds, record_pages
from digest.web.app import create_app


@pytest.fixture
async def client(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime
) -> AsyncIterator[httpx.AsyncClient]:
    make_admin(store, "editor@example.org", Role.EDITOR, now)
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Accept-Language": "en"}
    ) as c:
        await sign_in(c, "editor@example.org")
        yield c


async def test_feeds_page_shows_full_text_mode_and_page_outcomes(
    client: httpx.AsyncClient, store: Store, now: datetime
) -> None:
    token = await token_of(client, "/admin/feeds")
    added = await client.post(
        "/admin/feeds/add",
        data={"csrf_token": token, "url": "https://news.example.org/rss", "full_text": "always", "language": ""},
        follow_redirects=True,
    )
    assert flash(added.text) == "Feed added."
    (feed,) = list_feeds(store)
    assert feed.full_text == "always"
    record_pages(
        store,
        [
            PageFetch("https://news.example.org/a", feed.id, "read", now, body="Texte."),
            PageFetch("https://news.example.org/b", feed.id, "read", now, body="Texte."),
            PageFetch("https://news.example.org/c", feed.id, "robots", now, reason="disallowed by robots.txt"),
        ],
    )
    page = html.unescape((await client.get("/admin/feeds")).text)
    assert "Full text" in page and "always" in page
    assert "read 2 · robots.txt 1" in page
    bad = await client.post(
        "/admin/feeds/add",
        data={"csrf_token": token, "url": "https://news.example.org/rss", "full_text": "sometimes"},
        follow_redirects=True,
    )
    assert "full text: 'sometimes' is not one of auto, always, never" in html.unescape(flash(bad.text))


async def test_opml_import_with_a_line_per_feed_and_export_download(
    client: httpx.AsyncClient, store: Store, now: datetime
) -> None:
    token = await token_of(client, "/admin/feeds")
    opml = (
        b'<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        b'<outline text="Sport"><outline type="rss" text="Foot" xmlUrl="https://foot.example/rss"/></outline>'
        b'<outline type="rss" text="Bad" xmlUrl="ftp://bad.example/rss"/></body></opml>'
    )
    imported = await client.post(
        "/admin/feeds/import",
        data={"csrf_token": token},
        files={"file": ("mine.opml", opml, "text/x-opml")},
    )
    page = html.unescape(imported.text)
    assert imported.status_code == 200
    assert "Added 1, updated 0, rejected 1." in page
    assert "added: mine.opml:1: https://foot.example/rss (Sport)" in page
    assert "rejected: mine.opml:1: feed URL:" in page
    assert [(f.url, f.category) for f in list_feeds(store)] == [("https://foot.example/rss", "Sport")]
    exported = await client.get("/admin/feeds/export")
    assert exported.headers["content-disposition"] == 'attachment; filename="feeds.opml"'
    assert b'<outline text="Sport" title="Sport">' in exported.content
    assert b'xmlUrl="https://foot.example/rss"' in exported.content
