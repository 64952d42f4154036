"""The guarded fetcher against a real HTTP server on 127.0.0.1 (port 0)."""

from __future__ import annotations

import gzip
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.ingest.http_server import FeedServer, Route, feed_server

from digest import config
from digest.ingest.fetch import BlockedAddressError, Fetcher, FetchError, public_only


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    """Built-in defaults (private networks refused), a short timeout and a small cap."""
    path = tmp_path / "digest.toml"
    path.write_text("[ingest]\ntimeout_seconds = 1.5\nmax_bytes = 100000\n", encoding="utf-8")
    return config.load(path, env={})


@pytest.fixture
def private_ok(settings: config.Settings) -> config.Settings:
    return settings.with_overrides({"ingest": {"allow_private_networks": True}})


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as s:
        s.routes["/feed"] = Route(body=b"<rss/>")
        yield s


def only_127_0_0_1_is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Test policy: the local server plays the public internet; everything else is judged as usual."""
    return None if str(ip) == "127.0.0.1" else public_only(ip)


def test_loopback_is_refused_by_default_and_nothing_is_sent(settings: config.Settings, server: FeedServer) -> None:
    with Fetcher(settings) as fetcher, pytest.raises(BlockedAddressError, match="loopback address"):
        fetcher.get(server.url("/feed"))
    assert server.requests == []


def test_host_name_is_checked_after_dns_resolution(settings: config.Settings, server: FeedServer) -> None:
    with Fetcher(settings) as fetcher, pytest.raises(BlockedAddressError, match=r"localhost \(127\.0\.0\.1\)"):
        fetcher.get(f"http://localhost:{server.port}/feed")
    assert server.requests == []


@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (["10.1.2.3"], r"internal\.example \(10\.1\.2\.3\): private address"),
        (["169.254.169.254"], "link-local address"),
        (["93.184.216.34", "192.168.1.10"], r"192\.168\.1\.10\): private"),  # one bad answer is enough
        (["::ffff:127.0.0.1"], "loopback address"),
        (["fd00::1"], "private address"),
        (["100.64.0.1"], "not public"),
    ],
)
def test_names_resolving_to_internal_addresses_are_refused(
    settings: config.Settings, addresses: list[str], reason: str
) -> None:
    with (
        Fetcher(settings, resolver=lambda host, port: addresses) as fetcher,
        pytest.raises(BlockedAddressError, match=reason),
    ):
        fetcher.get("http://internal.example/admin")


@pytest.mark.parametrize("target", ["http://[::1]:{port}/feed", "http://169.254.169.254/latest/meta-data/"])
def test_redirects_to_internal_addresses_are_refused(
    settings: config.Settings, server: FeedServer, target: str
) -> None:
    server.routes["/go"] = Route(status=302, location=target.format(port=server.port))
    with (
        Fetcher(settings, policy=only_127_0_0_1_is_public) as fetcher,
        pytest.raises(BlockedAddressError, match=r"/go \(redirected to .*\): refused"),
    ):
        fetcher.get(server.url("/go"))
    assert [r.path for r in server.requests] == ["/go"]


def test_redirects_are_followed_when_allowed(settings: config.Settings, server: FeedServer) -> None:
    server.routes["/old"] = Route(status=301, location="/feed")
    with Fetcher(settings, policy=only_127_0_0_1_is_public) as fetcher:
        result = fetcher.get(server.url("/old"))
    assert result.url == server.url("/feed") and result.content == b"<rss/>"


def test_redirect_loop_stops(private_ok: config.Settings, server: FeedServer) -> None:
    server.routes["/loop"] = Route(status=302, location="/loop")
    with Fetcher(private_ok) as fetcher, pytest.raises(FetchError, match="more than 5 redirects"):
        fetcher.get(server.url("/loop"))


def test_allow_private_networks_lets_local_fetches_through_with_user_agent(
    private_ok: config.Settings, server: FeedServer
) -> None:
    with Fetcher(private_ok) as fetcher:
        result = fetcher.get(server.url("/feed"))
    assert result.status == 200 and result.content == b"<rss/>"
    assert server.requests[0].headers["user-agent"] == private_ok.ingest.user_agent


def test_conditional_get_sends_validators_and_understands_304(private_ok: config.Settings, server: FeedServer) -> None:
    server.routes["/feed"] = Route(body=b"<rss/>", etag='"v1"', last_modified="Sat, 28 Nov 2026 10:00:00 GMT")
    with Fetcher(private_ok) as fetcher:
        first = fetcher.get(server.url("/feed"))
        second = fetcher.get(server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert (first.etag, first.last_modified) == ('"v1"', "Sat, 28 Nov 2026 10:00:00 GMT")
    assert second.not_modified and second.status == 304 and second.content == b""
    headers = server.requests[1].headers
    assert headers["if-none-match"] == '"v1"' and headers["if-modified-since"] == "Sat, 28 Nov 2026 10:00:00 GMT"


@pytest.mark.parametrize(
    "route",
    [
        Route(body=b"x" * 200_000),  # declared too large
        Route(body=b"x" * 200_000, omit_length=True),  # streamed past the cap
        Route(body=b"<rss>" + b" " * 5_000_000 + b"</rss>", gzip=True),  # small on the wire, huge unpacked
    ],
    ids=["content-length", "streamed", "gzip-bomb"],
)
def test_size_cap(private_ok: config.Settings, server: FeedServer, route: Route) -> None:
    server.routes["/big"] = route
    with Fetcher(private_ok) as fetcher, pytest.raises(FetchError, match="max_bytes = 100000"):
        fetcher.get(server.url("/big"))


def test_gzip_bodies_are_decoded(private_ok: config.Settings, server: FeedServer) -> None:
    server.routes["/gz"] = Route(body=b"<rss>hello</rss>", gzip=True)
    with Fetcher(private_ok) as fetcher:
        assert fetcher.get(server.url("/gz")).content == b"<rss>hello</rss>"
    assert "gzip" in server.requests[0].headers["accept-encoding"]
    assert gzip.decompress(gzip.compress(b"x")) == b"x"


@pytest.mark.parametrize(
    "route", [Route(delay=1.0), Route(body=b"x" * 2048, drip=0.1)], ids=["silent-server", "slow-drip"]
)
def test_slow_servers_time_out(private_ok: config.Settings, server: FeedServer, route: Route) -> None:
    server.routes["/slow"] = route
    quick = private_ok.with_overrides({"ingest": {"timeout_seconds": 0.4}})
    with Fetcher(quick) as fetcher, pytest.raises(FetchError, match=r"timed out after 0\.4 s"):
        fetcher.get(server.url("/slow"))


def test_http_errors_and_unreachable_hosts_are_one_line(private_ok: config.Settings, server: FeedServer) -> None:
    with Fetcher(private_ok) as fetcher:
        with pytest.raises(FetchError, match=r"/missing: HTTP 404 Not Found$"):
            fetcher.get(server.url("/missing"))
        with pytest.raises(FetchError, match="connection refused"):
            fetcher.get("http://127.0.0.1:9/")
        with pytest.raises(FetchError, match="only http and https"):
            fetcher.get("file:///etc/passwd")
