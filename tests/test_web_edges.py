"""The web app's edges: body caps, trusted proxies, odd paths, JSON answers under /api,
no Host echo, TCP_NODELAY, and the counters /metrics gains."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from smtp_server import SMTPServer
from starlette.applications import Starlette
from web_support import ADMIN, Clock, add_subscriber, csrf_token, token, web_settings

from digest.metrics import REGISTRY
from digest.models import SubscriberStatus
from digest.runtime.service import bind
from digest.store import Store
from digest.store import subscribers as db
from digest.web.app import create_app
from digest.web.middleware import client_from_forwarded, networks


def client(app: Starlette, ip: str = "203.0.113.5", **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver", headers=headers
    )


@pytest.fixture
def app(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock) -> Starlette:
    return create_app(web_settings(tmp_path, smtp.port, web={"max_upload_kb": 256}), store, now=clock)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# Bodies -------------------------------------------------------------------------------


async def test_a_declared_oversized_body_is_refused_before_anything_is_read(app: Starlette) -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1000):
            pulled += 1
            yield b"x" * 65536

    async with client(app) as c:
        response = await c.post(
            "/unsubscribe/anything", content=body(), headers={"Content-Length": str(200 * 1024 * 1024)}
        )
    assert response.status_code == 413
    assert pulled <= 1  # the transport's first pull at most: nothing buffered


async def test_a_streamed_body_is_cut_off_at_the_cap_without_being_held(
    app: Starlette, store: Store, clock: Clock
) -> None:
    sub = add_subscriber(store, "reader@example.org", clock.now)
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(3200):  # 200 MB if it were all read
            pulled += 1
            yield b"List-Unsubscribe=One-Click&" + b"x" * 65509

    async with client(app) as c:
        response = await c.post(f"/unsubscribe/{token(sub, 'unsubscribe', clock.now)}", content=body())
    assert response.status_code == 413
    assert pulled <= 3  # 64 KiB default cap: the second chunk passes it
    assert db.get(store, sub).status is SubscriberStatus.CONFIRMED  # type: ignore[union-attr]


async def test_a_forged_token_is_refused_before_the_body_is_read(app: Starlette) -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        pulled += 1
        yield b"List-Unsubscribe=One-Click"

    async with client(app) as c:
        response = await c.post("/unsubscribe/forged.token.value", content=body())
    assert response.status_code == 400 and pulled <= 1


async def test_csv_upload_has_its_own_larger_cap_with_a_json_413(app: Starlette, smtp: SMTPServer) -> None:
    rows = "".join(f"p{i}@example.org,{'N' * 60}\n" for i in range(1000))  # ~80 KB: over 64, under 256
    async with client(app, **ADMIN) as c:
        ok = await c.post(  # confirmed rows: no mails to wait for
            "/api/subscribers/import?confirmed=true",
            content=f"email,name\n{rows}",
            headers={"Content-Type": "text/csv"},
        )
        assert ok.status_code == 200, ok.text
        big_csv = "email\n" + "x@example.org\n" * 30000
        big = await c.post("/api/subscribers/import", content=big_csv, headers={"Content-Type": "text/csv"})
    assert big.status_code == 413 and big.json() == {"error": "body: larger than 256 KiB"}


# Client addresses ------------------------------------------------------------------


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    trusted = networks(["10.0.0.0/8", "192.0.2.1"])
    assert client_from_forwarded("10.1.2.3", "203.0.113.7", trusted) == "203.0.113.7"
    # the left part is whatever the client wrote: the rightmost untrusted hop counts
    assert client_from_forwarded("10.1.2.3", "1.2.3.4, 203.0.113.7, 192.0.2.1", trusted) == "203.0.113.7"
    assert client_from_forwarded("127.0.0.1", "203.0.113.7", trusted) == "127.0.0.1"
    assert client_from_forwarded("10.1.2.3", "203.0.113.7", networks([])) == "10.1.2.3"
    assert client_from_forwarded("10.1.2.3", "not-an-ip", trusted) == "10.1.2.3"


async def _subscribe(c: httpx.AsyncClient, email: str) -> httpx.Response:
    form = await c.get("/subscribe")
    return await c.post(
        "/subscribe", data={"csrf_token": csrf_token(form.text), "email": email, "consent": "yes", "language": "fr"}
    )


async def test_behind_a_trusted_proxy_each_visitor_has_their_own_bucket_and_consent_ip(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port, web={"trusted_proxies": ["10.0.0.0/8"], "subscribe_per_minute": 2})
    app = create_app(settings, store, now=clock)
    for i in range(6):  # six visitors through one proxy: nobody is locked out
        async with client(app, ip="10.0.0.2", **{"X-Forwarded-For": f"203.0.113.{i + 1}"}) as c:
            assert (await _subscribe(c, f"v{i}@example.org")).status_code == 303  # post/redirect/get
    first = db.by_email(store, "v0@example.org")
    assert first is not None and first.consent is not None and first.consent.ip == "203.0.113.1"
    # from loopback, which is not trusted here, the header is ignored: no forged consent IP
    async with client(app, ip="127.0.0.1", **{"X-Forwarded-For": "198.51.100.9"}) as c:
        assert (await _subscribe(c, "loop@example.org")).status_code == 303
    loop = db.by_email(store, "loop@example.org")
    assert loop is not None and loop.consent is not None and loop.consent.ip == "127.0.0.1"


# Paths -------------------------------------------------------------------------------


async def test_odd_paths_and_unknown_api_paths_get_clean_answers(app: Starlette) -> None:
    async with client(app, **ADMIN) as c:
        for path in ("/static/%00", "/static/web.css%00", "/subscribe%00", "/%01"):
            assert (await c.get(path)).status_code == 404, path
        unknown = await c.get("/api/nothing-here")
        assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/json"
        assert "error" in unknown.json()
        wrong = await c.delete("/api/openapi.json")
        assert wrong.status_code == 405 and "error" in wrong.json()
        bare = await c.get("/api", headers={"Host": "evil.example"})
        assert bare.status_code == 404 and "evil.example" not in bare.text
        assert "evil.example" not in bare.headers.get("location", "")


async def test_responses_subscribes_and_429s_are_counted(app: Starlette) -> None:
    before = (
        sample("digest_subscribe_requests_total", outcome="new"),
        sample("digest_http_responses_total", status="200") + sample("digest_http_responses_total", status="303"),
        sample("digest_http_rate_limited_total", limit="subscribe"),
        sample("digest_http_request_seconds_count"),
        sample("digest_confirmation_mails_total", result="sent"),
    )
    async with client(app, ip="198.51.100.200") as c:
        for i in range(6):
            await _subscribe(c, f"m{i}@example.org")
    after = (
        sample("digest_subscribe_requests_total", outcome="new"),
        sample("digest_http_responses_total", status="200") + sample("digest_http_responses_total", status="303"),
        sample("digest_http_rate_limited_total", limit="subscribe"),
        sample("digest_http_request_seconds_count"),
        sample("digest_confirmation_mails_total", result="sent"),
    )
    assert after[0] - before[0] == 5  # [web] subscribe_per_minute = 5
    assert after[1] - before[1] >= 11  # six forms (200), five answers (303, post/redirect/get)
    assert after[2] - before[2] == 1
    assert after[3] - before[3] == 12
    assert after[4] - before[4] == 5


async def test_unsubscribes_are_counted(app: Starlette, store: Store, clock: Clock) -> None:
    sub = add_subscriber(store, "leaving@example.org", clock.now)
    before = sample("digest_unsubscribes_total", source="one-click")
    async with client(app) as c:
        response = await c.post(
            f"/unsubscribe/{token(sub, 'unsubscribe', clock.now)}", data={"List-Unsubscribe": "One-Click"}
        )
    assert response.status_code == 200
    assert sample("digest_unsubscribes_total", source="one-click") - before == 1


# The socket ---------------------------------------------------------------------------


def test_the_bound_socket_and_its_connections_have_tcp_nodelay() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        sock.setblocking(True)
        with socket.create_connection(sock.getsockname()[:2]):
            accepted, _ = sock.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()
