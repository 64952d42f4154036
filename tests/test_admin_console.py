"""The admin console over real HTTP: sessions, CSRF, roles, rate limits and each page's actions."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from admin_support import PASSWORD, flash, make_admin, sign_in, token_of
from delivery_support import add_edition
from smtp_server import SMTPServer
from web_support import Clock, RecordingProofSender, add_subscriber, web_settings

from digest.admins import Role
from digest.store import Store, audit
from digest.store.desk import approval
from digest.store.editions import get_edition
from digest.web.app import create_app

PAGES = [
    "/admin",
    "/admin/subscribers",
    "/admin/subscribers/import",
    "/admin/editions",
    "/admin/deliveries",
    "/admin/feeds",
    "/admin/articles",
    "/admin/audit",
]


@pytest.fixture
async def client(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, proofs: RecordingProofSender
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock, proof_sender=proofs)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Accept-Language": "en"}
    ) as c:
        yield c


@pytest.fixture
def admins(store: Store, now: datetime) -> None:
    make_admin(store, "owner@example.org", Role.OWNER, now)
    make_admin(store, "editor@example.org", Role.EDITOR, now)
    make_admin(store, "viewer@example.org", Role.VIEWER, now)


async def test_every_console_page_without_a_session_redirects_to_sign_in_and_shows_nothing(
    client: httpx.AsyncClient, store: Store, now: datetime
) -> None:
    add_subscriber(store, "secret.reader@example.org", now)
    for path in [*PAGES, "/admin/subscribers/1", "/admin/subscribers/export", "/admin/deliveries/counts?ids=1"]:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/login?next=")
        assert "secret.reader" not in response.text
    post = await client.post("/admin/subscribers/1/forget", data={"csrf_token": "x"})
    assert post.status_code == 303 and post.headers["location"].startswith("/admin/login")


async def test_sign_in_sets_a_strict_httponly_session_and_every_page_renders(
    client: httpx.AsyncClient, admins: None
) -> None:
    form = await client.get("/admin/login")
    for field in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert field in form.text
    signed = await sign_in(client, "Editor@Example.org")
    assert signed.status_code == 303 and signed.headers["location"] == "/admin"
    cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("digest_admin="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    for path in PAGES:
        page = await client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"


async def test_the_session_cookie_is_secure_behind_https(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, admins: None
) -> None:
    app = create_app(web_settings(tmp_path, smtp.port, base_url="https://brief.example.org"), store, now=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver", headers={"Accept-Language": "en"}
    ) as c:
        signed = await sign_in(c, "owner@example.org")
    cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("digest_admin="))
    assert "Secure" in cookie


async def test_a_session_ends_after_the_idle_time_and_at_logout(
    client: httpx.AsyncClient, admins: None, clock: Clock
) -> None:
    await sign_in(client, "viewer@example.org")
    clock.advance(hours=7)
    assert (await client.get("/admin")).status_code == 200  # activity restarts the idle clock
    clock.advance(hours=7, minutes=59)
    assert (await client.get("/admin")).status_code == 200
    clock.advance(hours=8, minutes=1)
    assert (await client.get("/admin")).status_code == 303
    await sign_in(client, "viewer@example.org")
    without = await client.post("/admin/logout", data={})
    assert without.status_code == 403
    out = await client.post("/admin/logout", data={"csrf_token": await token_of(client, "/admin")})
    assert out.status_code == 303 and out.headers["location"] == "/admin/login"
    assert (await client.get("/admin")).status_code == 303


async def test_wrong_passwords_are_refused_and_ten_failures_lock_the_address_with_429(
    client: httpx.AsyncClient, admins: None, clock: Clock
) -> None:
    wrong = await sign_in(client, "owner@example.org", "not the password at all")
    assert wrong.status_code == 400 and "wrong" in html.unescape(wrong.text)
    for _ in range(9):
        await sign_in(client, "owner@example.org", "not the password at all")
    locked = await sign_in(client, "owner@example.org", PASSWORD)
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    clock.advance(minutes=16)
    assert (await sign_in(client, "owner@example.org", PASSWORD)).status_code == 303


async def test_a_post_without_csrf_or_beyond_the_role_is_403_and_changes_nothing(
    client: httpx.AsyncClient, admins: None, store: Store, now: datetime
) -> None:
    edition_id = add_edition(store, day=now.date(), now=now)
    path = f"/admin/editions/{now.date().isoformat()}/fr/approve"
    await sign_in(client, "viewer@example.org")
    token = await token_of(client, "/admin")
    assert (await client.post(path, data={})).status_code == 403
    refused = await client.post(path, data={"csrf_token": token})
    assert refused.status_code == 403 and "role" in refused.text
    assert approval(store, edition_id) is None
    await sign_in(client, "editor@example.org")
    done = await client.post(path, data={"csrf_token": await token_of(client, "/admin")})
    assert done.status_code == 303
    assert approval(store, edition_id) is not None
    assert audit.recent(store)[0].actor == "editor@example.org"


async def test_subscriber_search_filters_sorts_and_pages_with_counts(
    client: httpx.AsyncClient, admins: None, store: Store, now: datetime
) -> None:
    for i in range(60):
        add_subscriber(store, f"reader{i:02d}@example.org", now, language="en" if i % 2 else "fr")
    add_subscriber(store, "zoe@example.net", now, name="Zoé Martin", topics="Sport")
    await sign_in(client, "viewer@example.org")
    found = await client.get("/admin/subscribers", params={"q": "martin"})
    assert "zoe@example.net" in found.text and "reader01" not in found.text and "1 subscriber matches." in found.text
    topic = await client.get("/admin/subscribers", params={"topic": "Sport"})
    assert "zoe@example.net" in topic.text and "reader" not in topic.text
    english = await client.get("/admin/subscribers", params={"language": "en", "sort": "email", "dir": "asc"})
    assert "30 subscribers match" in english.text
    text = english.text
    assert text.index("reader01@") < text.index("reader03@")
    first = await client.get("/admin/subscribers", params={"sort": "email", "dir": "asc"})
    assert "1–50 of 61" in first.text and "reader00@" in first.text and "zoe@" not in first.text
    second = await client.get("/admin/subscribers", params={"sort": "email", "dir": "asc", "offset": "50"})
    assert "51–61 of 61" in second.text and "zoe@" in second.text


async def test_import_keeps_valid_rows_and_reports_each_rejected_line(
    client: httpx.AsyncClient, admins: None, store: Store
) -> None:
    await sign_in(client, "editor@example.org")
    token = await token_of(client, "/admin/subscribers/import")
    csv = "email,name,language\nann@example.org,Ann,en\nnot-an-address,Bob,fr\nzed@example.org,Zed,xx\n"
    response = await client.post(
        "/admin/subscribers/import",
        data={"csrf_token": token, "confirmed": "yes"},
        files={"file": ("list.csv", csv.encode(), "text/csv")},
    )
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert "1 added" in page and "2 rejected" in page
    assert "Line 3:" in page and "Line 4:" in page
    listing = await client.get("/admin/subscribers", params={"q": "ann@"})
    assert "ann@example.org" in listing.text
    export = await client.get("/admin/subscribers/export")
    assert export.headers["content-type"].startswith("text/csv") and "ann@example.org" in export.text


async def test_story_edits_show_in_the_preview_and_lock_once_sending_started(
    client: httpx.AsyncClient, admins: None, store: Store, now: datetime
) -> None:
    edition_id = add_edition(store, day=now.date(), now=now)
    day = now.date().isoformat()
    await sign_in(client, "editor@example.org")
    token = await token_of(client, f"/admin/editions/{day}")
    saved = await client.post(
        f"/admin/editions/{day}/fr/items/0",
        data={
            "csrf_token": token,
            "op": "save",
            "headline": "Le budget adopté",
            "summary": "Un résumé réécrit par la rédaction.",
        },
    )
    assert saved.status_code == 303
    dropped = await client.post(f"/admin/editions/{day}/fr/items/1", data={"csrf_token": token, "op": "drop"})
    assert dropped.status_code == 303
    edition = get_edition(store, edition_id)
    assert [i.summary for i in edition.items] == ["Un résumé réécrit par la rédaction."]
    preview = await client.get(f"/admin/editions/{day}/fr/preview")
    assert "Un résumé réécrit par la rédaction." in html.unescape(preview.text)
    assert "La pluie revient" not in html.unescape(preview.text)
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    desk = await client.get(f"/admin/editions/{day}")
    assert "sandbox" in desk.text and "Un résumé réécrit" in html.unescape(desk.text)
    assert [e.action for e in audit.recent(store)][:2] == ["edition.item.drop", "edition.item.save"]
    restored = await client.post(f"/admin/editions/{day}/fr/items/1", data={"csrf_token": token, "op": "restore"})
    assert restored.status_code == 303 and len(get_edition(store, edition_id).items) == 2


async def test_the_preview_links_straight_to_the_articles_and_counts_no_click(
    client: httpx.AsyncClient, admins: None, store: Store, now: datetime
) -> None:
    from digest.store import tracking as tracking_db

    edition_id = add_edition(store, day=now.date(), now=now)  # [tracking] clicks: "aggregate" by default
    day = now.date().isoformat()
    await sign_in(client, "editor@example.org")
    preview = html.unescape((await client.get(f"/admin/editions/{day}/fr/preview")).text)
    assert 'href="https://news.example.org/0"' in preview and 'href="https://news.example.org/1"' in preview
    assert "/r/" not in preview and "/o/" not in preview and "?m=" not in preview
    assert tracking_db.raw_count(store, edition_id) == 0


async def test_test_send_goes_through_the_proof_path_to_at_most_ten_addresses(
    client: httpx.AsyncClient, admins: None, store: Store, now: datetime, proofs: RecordingProofSender
) -> None:
    edition_id = add_edition(store, day=now.date(), now=now)
    day = now.date().isoformat()
    await sign_in(client, "editor@example.org")
    token = await token_of(client, f"/admin/editions/{day}")
    eleven = ", ".join(f"p{i}@example.org" for i in range(11))
    too_many = await client.post(
        f"/admin/editions/{day}/fr/test-send", data={"csrf_token": token, "to": eleven}, follow_redirects=True
    )
    assert "at most 10" in flash(too_many.text) and proofs.calls == []
    sent = await client.post(
        f"/admin/editions/{day}/fr/test-send",
        data={"csrf_token": token, "to": "a@example.org, B@Example.org"},
        follow_redirects=True,
    )
    assert proofs.calls == [(edition_id, ["a@example.org", "b@example.org"])]
    assert "Test copy sent" in flash(sent.text)


async def test_the_console_speaks_french(client: httpx.AsyncClient, admins: None) -> None:
    await sign_in(client, "viewer@example.org")
    page = await client.get("/admin", params={"lang": "fr"})
    assert "Tableau de bord" in page.text and page.headers["content-language"] == "fr"
    again = await client.get("/admin/subscribers")
    assert "Abonnés" in again.text  # the choice is remembered
