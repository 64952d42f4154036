"""The pages refuse what they must: bad link tokens, forged forms, floods, and they
say nothing about who is on the list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from smtp_server import SMTPServer
from sqlalchemy import insert
from starlette.applications import Starlette
from web_support import Clock, add_subscriber, csrf_token, heading, token, web_settings

from digest.models import SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.store import tables as t
from digest.subscribers import membership as subs
from digest.web.app import create_app


@pytest.fixture
def app(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock) -> Starlette:
    return create_app(web_settings(tmp_path, smtp.port), store, now=clock)


def browser(app: Starlette, ip: str = "203.0.113.5") -> httpx.AsyncClient:
    """A client with its own cookie jar, seen as coming from ``ip``."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver")


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as c:
        yield c


def snapshot(store: Store) -> list[Any]:
    return [(s.id, s.status, s.name, s.language, s.topics, s.confirmed_at) for s in db.search(store)] + [
        db.suppression(store, s.email) for s in db.search(store)
    ]


def altered(value: str) -> str:
    """``value`` with one character of its signature changed."""
    i = len(value) - 3
    return value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1 :]


# Link tokens ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("page", ["confirm", "preferences", "unsubscribe"])
async def test_forged_altered_and_misused_tokens_get_4xx_and_change_nothing(
    client: httpx.AsyncClient, store: Store, clock: Clock, page: str, method: str
) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now, confirmed=False)
    before = snapshot(store)
    form = await client.get("/subscribe")
    data = {"csrf_token": csrf_token(form.text), "name": "Mallory", "language": "en"}
    other_purpose = "archive" if page != "preferences" else "unsubscribe"
    for bad in ("not-a-token", altered(token(sub, page, clock.now)), token(sub, other_purpose, clock.now)):
        response = await client.request(method, f"/{page}/{bad}", data=data if method == "POST" else None)
        assert response.status_code == 400, (page, bad)
        assert heading(response.text) == "Ce lien n'est pas valide"
    assert snapshot(store) == before


async def test_expired_links_are_refused_but_opt_out_links_never_expire(
    app: Starlette, client: httpx.AsyncClient, store: Store, clock: Clock
) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now)
    old = {
        p: token(sub, p, clock.now, scope="1" if p == "archive" else "")
        for p in ("unsubscribe", "preferences", "archive")
    }
    clock.advance(days=61)
    before = snapshot(store)
    for purpose in ("preferences", "archive"):
        value = old[purpose]
        path = f"/editions/1?t={value}" if purpose == "archive" else f"/{purpose}/{value}"
        response = await client.get(path)
        assert response.status_code == 410 and heading(response.text) == "Ce lien a expiré"
    assert snapshot(store) == before
    page = await client.get(f"/unsubscribe/{old['unsubscribe']}")
    assert page.status_code == 200
    async with browser(app) as provider:
        one_click = await provider.post(f"/unsubscribe/{old['unsubscribe']}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert db.get(store, sub).status is SubscriberStatus.UNSUBSCRIBED  # type: ignore[union-attr]


async def test_one_click_with_a_forged_token_changes_nothing(app: Starlette, store: Store, clock: Clock) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now)
    async with browser(app) as provider:
        response = await provider.post(
            f"/unsubscribe/{altered(token(sub, 'unsubscribe', clock.now))}",
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 400
    assert db.get(store, sub).status is SubscriberStatus.CONFIRMED  # type: ignore[union-attr]


async def test_one_click_accepts_multipart_and_a_body_without_content_type(
    app: Starlette, store: Store, clock: Clock
) -> None:
    first = add_subscriber(store, "one@example.org", clock.now)
    second = add_subscriber(store, "two@example.org", clock.now)
    async with browser(app) as provider:
        multipart = await provider.post(
            f"/unsubscribe/{token(first, 'unsubscribe', clock.now)}", files={"List-Unsubscribe": (None, "One-Click")}
        )
        bare = await provider.post(
            f"/unsubscribe/{token(second, 'unsubscribe', clock.now)}", content=b"List-Unsubscribe=One-Click"
        )
        repeat = await provider.post(
            f"/unsubscribe/{token(second, 'unsubscribe', clock.now)}", content=b"List-Unsubscribe=One-Click"
        )
    assert (multipart.status_code, bare.status_code, repeat.status_code) == (200, 200, 200)
    assert {db.get(store, i).status for i in (first, second)} == {SubscriberStatus.UNSUBSCRIBED}  # type: ignore[union-attr]


# CSRF -------------------------------------------------------------------------------


async def test_forms_without_a_valid_csrf_token_are_refused(
    app: Starlette, client: httpx.AsyncClient, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now)
    before = snapshot(store)
    page = await client.get("/subscribe")
    good = csrf_token(page.text)
    posts = [
        ("/subscribe", {"email": "new@example.org", "consent": "yes"}),
        (f"/preferences/{token(sub, 'preferences', clock.now)}", {"language": "en"}),
        (f"/unsubscribe/{token(sub, 'unsubscribe', clock.now)}", {}),
    ]
    for path, data in posts:
        missing = await client.post(path, data=data)
        forged = await client.post(path, data={**data, "csrf_token": altered(good)})
        assert (missing.status_code, forged.status_code) == (403, 403), path
        assert heading(forged.text) == "Ce formulaire a expiré"
    # A valid token without its cookie (another site posting the form) is refused too.
    async with browser(app) as attacker:
        stolen = await attacker.post(
            "/subscribe", data={"email": "new@example.org", "consent": "yes", "csrf_token": good}
        )
    assert stolen.status_code == 403
    # And a token older than four hours.
    clock.advance(hours=4, minutes=1)
    stale = await client.post("/subscribe", data={"email": "new@example.org", "consent": "yes", "csrf_token": good})
    assert stale.status_code == 403
    assert snapshot(store) == before and smtp.received == []


# Same answer, rate limits -----------------------------------------------------------


async def _subscribe(client: httpx.AsyncClient, email: str) -> httpx.Response:
    form = await client.get("/subscribe")
    return await client.post(
        "/subscribe", data={"csrf_token": csrf_token(form.text), "email": email, "consent": "yes", "language": "fr"}
    )


SENT = 303  # post/redirect/get: every accepted subscription redirects to "check your inbox"


async def test_subscribe_answers_the_same_whoever_the_address_belongs_to(
    app: Starlette, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    add_subscriber(store, "confirmed@example.org", clock.now)
    left = add_subscriber(store, "left@example.org", clock.now)
    subs.unsubscribe(store, left, now=clock.now, source="link")
    db.suppress(store, "bounced@example.org", "hard_bounce", now=clock.now)
    answers = []
    for i, email in enumerate(["new@example.org", "confirmed@example.org", "left@example.org", "bounced@example.org"]):
        async with browser(app, ip=f"192.0.2.{i + 1}") as c:
            response = await _subscribe(c, email)
        answers.append((response.status_code, response.text, sorted(response.headers.keys())))
    assert all(a == answers[0] for a in answers) and answers[0][0] == SENT
    # The new and the returning address get a confirmation, the confirmed one "already
    # subscribed" with its preferences link; the bounced one nothing.
    smtp.wait_for(3)
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == [
        "confirmed@example.org",
        "left@example.org",
        "new@example.org",
    ]


async def test_subscribe_is_rate_limited_per_ip(app: Starlette, store: Store, clock: Clock) -> None:
    async with browser(app, ip="198.51.100.1") as flood, browser(app, ip="198.51.100.2") as other:
        statuses = [(await _subscribe(flood, f"a{i}@example.org")).status_code for i in range(6)]
        assert statuses == [SENT] * 5 + [429]
        limited = await _subscribe(flood, "late@example.org")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert heading(limited.text) == "Trop de tentatives"
        assert (await _subscribe(other, "b@example.org")).status_code == SENT
        clock.advance(seconds=60)
        assert (await _subscribe(flood, "c@example.org")).status_code == SENT
    assert db.by_email(store, "late@example.org") is None


async def test_confirmation_limits_live_in_the_database_and_survive_a_restart(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    for i in range(3):
        # a fresh app each time: a restarted process, or another one, sees the same counts
        async with browser(create_app(settings, store, now=clock), ip=f"192.0.2.{i + 10}") as c:
            assert (await _subscribe(c, "target@example.org")).status_code == SENT
    assert len(smtp.wait_for(2)) == 2  # [web] confirmations_per_address_per_day = 2
    clock.advance(hours=23)
    async with browser(create_app(settings, store, now=clock), ip="192.0.2.99") as c:
        await _subscribe(c, "target@example.org")
    clock.advance(hours=1, seconds=1)  # the first mails are a day old now
    async with browser(create_app(settings, store, now=clock), ip="192.0.2.98") as c:
        await _subscribe(c, "target@example.org")
    assert len(smtp.wait_for(3)) == 3


async def test_confirmations_have_a_global_hourly_cap(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    app = create_app(web_settings(tmp_path, smtp.port, web={"confirmations_per_hour": 3}), store, now=clock)
    for i in range(5):
        async with browser(app, ip=f"198.51.100.{i + 1}") as c:
            assert (await _subscribe(c, f"person{i}@example.org")).status_code == SENT
    assert len(smtp.wait_for(3)) == 3
    clock.advance(hours=1, seconds=1)
    async with browser(app, ip="198.51.100.77") as c:
        await _subscribe(c, "late@example.org")
    assert len(smtp.wait_for(4)) == 4 and tuple(smtp.received[-1].rcpt_tos) == ("late@example.org",)


async def test_honeypot_and_invalid_input(client: httpx.AsyncClient, store: Store, smtp: SMTPServer) -> None:
    form = await client.get("/subscribe")
    base = {"csrf_token": csrf_token(form.text), "language": "fr"}
    bot = await client.post("/subscribe", data={**base, "email": "bot@example.org", "consent": "yes", "website": "x"})
    assert bot.status_code == SENT
    bot = await client.get(bot.headers["location"])
    assert heading(bot.text) == "Vérifiez votre boîte de réception"
    bad = await client.post("/subscribe", data={**base, "email": "not an address", "name": "<b>Eve</b>"})
    assert bad.status_code == 400
    assert 'role="alert"' in bad.text and 'aria-invalid="true"' in bad.text
    assert "Saisissez une adresse e-mail valide" in bad.text and "Cochez la case" in bad.text
    assert "&lt;b&gt;Eve&lt;/b&gt;" in bad.text and "<b>Eve</b>" not in bad.text  # kept, escaped
    assert db.search(store) == [] and smtp.received == []


# Headers and the archive ------------------------------------------------------------


async def test_pages_send_security_headers_and_token_pages_are_not_cached(
    client: httpx.AsyncClient, store: Store, clock: Clock
) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now)
    public = await client.get("/subscribe")
    private = await client.get(f"/preferences/{token(sub, 'preferences', clock.now)}")
    for response in (public, private):
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "script-src" not in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert private.headers["cache-control"] == "no-store"
    assert 'name="robots" content="noindex' in private.text
    cookie = public.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    css = await client.get("/static/web.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404 and heading(missing.text) == "Page introuvable"


async def test_archive_lists_the_edition_and_escapes_what_it_stores(
    client: httpx.AsyncClient, store: Store, clock: Clock
) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now)
    with store.engine.begin() as conn:
        edition_id = conn.execute(
            insert(t.editions).values(
                newsletter="Le Brief", edition_date=date(2026, 11, 29), language="fr", status="sent",
                reading_minutes=5, built_at=clock.now,
            )
        ).inserted_primary_key[0]  # fmt: skip
        items = [
            ("top", "Politique", "Le budget <script>alert(1)</script> adopté", "https://news.example.org/budget"),
            ("top", "Sport", "Victoire & fête", "javascript:alert(1)"),
            ("brief", "Culture", "Un musée rouvre", "https://news.example.org/musee"),
        ]
        for position, (kind, category, title, url) in enumerate(items, start=1):
            conn.execute(
                insert(t.edition_items).values(
                    edition_id=edition_id, position=position, kind=kind, category=category, title=title, url=url,
                    summary="Résumé.", reading_minutes=3,
                )
            )  # fmt: skip
    page = await client.get(f"/editions/{edition_id}?t={token(sub, 'archive', clock.now, scope=str(edition_id))}")
    assert page.status_code == 200
    assert heading(page.text) == "Le Brief du dimanche 29 novembre 2026"
    assert "Temps de lecture\u00a0: 5 minutes" in page.text  # the plural form the mail uses
    assert "&lt;script&gt;" in page.text and "<script>" not in page.text
    assert "Victoire &amp; fête" in page.text and "javascript:" not in page.text
    assert '<a href="https://news.example.org/musee">Un musée rouvre</a>' in page.text
    assert "<h2" in page.text and "En bref" in page.text
    scoped = token(sub, "archive", clock.now, scope=str(edition_id + 1))
    missing = await client.get(f"/editions/{edition_id + 1}?t={scoped}")
    assert missing.status_code == 404
    unsigned = await client.get(f"/editions/{edition_id}")
    assert unsigned.status_code == 400


async def test_archive_serves_the_rendered_edition_when_a_renderer_is_given(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now)
    seen: list[tuple[int, int]] = []

    def rendered(edition_id: int, subscriber_id: int) -> str | None:
        seen.append((edition_id, subscriber_id))
        return "<!DOCTYPE html><html><body><p style='color:red'>the email</p></body></html>"

    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock, edition_page_html=rendered)
    async with browser(app) as c:
        page = await c.get(f"/editions/7?t={token(sub, 'archive', clock.now, scope='7')}")
    assert page.status_code == 200 and "the email" in page.text and seen == [(7, sub)]
    assert "style-src 'unsafe-inline'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]
