"""Feed polling against a real HTTP server on 127.0.0.1 (port 0): conditional GET,
304s, failures recorded per feed, and the `digest feeds` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.ingest.http_server import FeedServer, Route, feed_server

from digest import config
from digest.cli import cli
from digest.errors import ValidationError
from digest.ingest import poll_feeds, register_feed
from digest.store import Store
from digest.store.articles import count_articles, list_stored
from digest.store.feeds import list_feeds

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
LAST_MODIFIED = "Sat, 28 Nov 2026 17:40:00 GMT"


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    path = tmp_path / "settings.toml"
    path.write_text("[ingest]\nallow_private_networks = true\ntimeout_seconds = 2\n", encoding="utf-8")
    return config.load(path, env={})


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as s:
        s.routes["/rss"] = Route(body=(FIXTURES / "rss.xml").read_bytes(), etag='"rss-1"', last_modified=LAST_MODIFIED)
        s.routes["/atom"] = Route(
            body=(FIXTURES / "atom.xml").read_bytes(),
            content_type="application/atom+xml",
            last_modified=LAST_MODIFIED,  # no ETag: If-Modified-Since alone
        )
        yield s


def test_second_poll_is_conditional_and_a_304_changes_nothing(
    store: Store, settings: config.Settings, server: FeedServer, now: datetime
) -> None:
    register_feed(store, settings, server.url("/rss"), now=now, category="Économie")
    register_feed(store, settings, server.url("/atom"), now=now)
    first = poll_feeds(store, settings, now=now)
    assert [p.status for p in first.feeds] == ["ok", "ok"]
    assert (first.totals.added, first.totals.rejected) == (5, 2)
    rss, atom = list_feeds(store)
    assert (rss.etag, rss.last_modified, rss.title) == ('"rss-1"', LAST_MODIFIED, "La Gazette de l’Atlas – Économie")
    assert (atom.etag, atom.last_modified) == ("", LAST_MODIFIED)
    assert rss.last_polled_at == now and rss.last_error == ""

    later = now + timedelta(minutes=30)
    second = poll_feeds(store, settings, now=later)
    assert [p.status for p in second.feeds] == ["not_modified", "not_modified"]
    rss_requests, atom_requests = server.seen("/rss"), server.seen("/atom")
    assert "if-none-match" not in rss_requests[0].headers
    assert rss_requests[1].headers["if-none-match"] == '"rss-1"'
    assert rss_requests[1].headers["if-modified-since"] == LAST_MODIFIED
    assert "if-none-match" not in atom_requests[1].headers
    assert atom_requests[1].headers["if-modified-since"] == LAST_MODIFIED
    assert [r.status for r in rss_requests + atom_requests] == [200, 304, 200, 304]
    assert count_articles(store) == 5
    assert all(f.last_polled_at == later for f in list_feeds(store))


def test_feed_items_carry_the_feed_and_its_category(
    store: Store, settings: config.Settings, server: FeedServer, now: datetime
) -> None:
    feed, created = register_feed(store, settings, server.url("/atom"), now=now, category="Monde", language="en")
    assert created
    poll_feeds(store, settings, now=now)
    stored = list_stored(store)
    assert {(s.feed_id, s.article.category, s.article.language) for s in stored} == {(feed.id, "Monde", "en")}


def test_a_changed_feed_is_fetched_again_and_its_items_updated(
    store: Store, settings: config.Settings, server: FeedServer, now: datetime
) -> None:
    register_feed(store, settings, server.url("/atom"), now=now)
    poll_feeds(store, settings, now=now)
    body = (FIXTURES / "atom.xml").read_text(encoding="utf-8").replace("Rail strike ends", "Rail strike finally ends")
    server.routes["/atom"] = Route(body=body.encode(), last_modified="Sat, 28 Nov 2026 19:00:00 GMT")
    report = poll_feeds(store, settings, now=now + timedelta(hours=1))
    assert (report.totals.added, report.totals.updated, report.totals.unchanged) == (0, 1, 1)
    assert count_articles(store) == 2
    assert list_feeds(store)[0].last_modified == "Sat, 28 Nov 2026 19:00:00 GMT"


def test_a_failing_feed_is_recorded_and_the_others_are_still_polled(
    store: Store, settings: config.Settings, server: FeedServer, now: datetime
) -> None:
    server.routes["/broken"] = Route(body=(FIXTURES / "malformed.xml").read_bytes())
    server.routes["/down"] = Route(status=503)
    for path in ("/broken", "/down", "/rss"):
        register_feed(store, settings, server.url(path), now=now)
    register_feed(store, settings, "http://127.0.0.1:9/unreachable.xml", now=now)
    report = poll_feeds(store, settings, now=now)
    assert [p.status for p in report.feeds] == ["error", "error", "ok", "error"]
    errors = {f.url: f.last_error for f in list_feeds(store)}
    assert errors[server.url("/broken")].startswith(f"{server.url('/broken')}: not a valid RSS/Atom feed")
    assert errors[server.url("/down")] == f"{server.url('/down')}: HTTP 503 Service Unavailable"
    assert errors["http://127.0.0.1:9/unreachable.xml"] == "http://127.0.0.1:9/unreachable.xml: connection refused"
    assert errors[server.url("/rss")] == ""
    assert count_articles(store) == 3

    # Once the feed is repaired, the next poll clears its error.
    server.routes["/down"] = Route(body=(FIXTURES / "atom.xml").read_bytes())
    poll_feeds(store, settings, now=now + timedelta(minutes=30))
    assert {f.url: f.last_error for f in list_feeds(store)}[server.url("/down")] == ""


def test_feeds_on_private_addresses_are_refused_unless_allowed(
    store: Store, tmp_path: Path, server: FeedServer, now: datetime
) -> None:
    path = tmp_path / "default.toml"
    path.write_text("", encoding="utf-8")
    strict = config.load(path, env={})
    with pytest.raises(ValidationError, match=r"127\.0\.0\.1 is a loopback address"):
        register_feed(store, strict, server.url("/rss"), now=now)
    # A name is only resolved when fetching: the poll refuses it and records why.
    register_feed(store, strict, f"http://localhost:{server.port}/rss", now=now)
    report = poll_feeds(store, strict, now=now)
    assert report.feeds[0].status == "error" and "loopback address" in list_feeds(store)[0].last_error
    assert server.requests == []


def test_register_feed_validates_and_updates(store: Store, settings: config.Settings, now: datetime) -> None:
    with pytest.raises(ValidationError, match="feed URL: expected an absolute http"):
        register_feed(store, settings, "feed.xml", now=now)
    with pytest.raises(ValidationError, match="--language"):
        register_feed(store, settings, "https://a.example/feed", language="xx-not-a-code", now=now)
    feed, created = register_feed(store, settings, "https://a.example/feed?utm_source=x", now=now)
    again, created_again = register_feed(store, settings, "https://A.example/feed", category="Tech", now=now)
    assert created and not created_again and again.id == feed.id and again.category == "Tech"
    assert [f.url for f in list_feeds(store)] == ["https://a.example/feed"]


def test_no_feeds_is_an_empty_report(store: Store, settings: config.Settings, now: datetime) -> None:
    assert poll_feeds(store, settings, now=now).feeds == []


def test_cli_feeds_add_list_poll_remove(tmp_path: Path, db_url: str, server: FeedServer) -> None:
    cfg = tmp_path / "digest.toml"
    cfg.write_text("[ingest]\nallow_private_networks = true\n", encoding="utf-8")
    env = {"DIGEST_CONFIG": str(cfg), "DIGEST_DATABASE_URL": db_url}
    run = CliRunner()
    assert run.invoke(cli, ["init"], env=env).exit_code == 0
    added = run.invoke(cli, ["feeds", "add", server.url("/rss"), "--category", "Économie", "--language", "fr"], env=env)
    assert added.exit_code == 0 and added.stdout.startswith(f"added feed 1: {server.url('/rss')} (Économie, fr)")
    run.invoke(cli, ["feeds", "add", "http://127.0.0.1:9/x.xml"], env=env)
    assert "never polled" in run.invoke(cli, ["feeds", "list"], env=env).stdout

    polled = run.invoke(cli, ["feeds", "poll"], env=env)
    assert polled.exit_code == 1  # one feed failed (and two items were rejected)
    assert f"{server.url('/rss')}: added 3, updated 0, unchanged 0, rejected 2" in polled.stdout
    assert "error: http://127.0.0.1:9/x.xml: connection refused" in polled.stderr
    assert polled.stdout.strip().endswith("2 feeds polled, 1 failed; added 3, updated 0, unchanged 0, rejected 2")

    listed = run.invoke(cli, ["feeds", "list"], env=env).stdout
    assert "error: http://127.0.0.1:9/x.xml: connection refused" in listed and "ok" in listed
    data = json.loads(run.invoke(cli, ["feeds", "list", "--json"], env=env).stdout)
    assert [d["etag"] for d in data] == ['"rss-1"', ""]

    assert run.invoke(cli, ["feeds", "remove", "http://127.0.0.1:9/x.xml"], env=env).exit_code == 0
    again = run.invoke(cli, ["feeds", "poll"], env=env)
    assert again.exit_code == 0 and f"{server.url('/rss')}: not modified" in again.stdout
    missing = run.invoke(cli, ["feeds", "remove", "http://127.0.0.1:9/x.xml"], env=env)
    assert missing.exit_code == 1 and missing.stderr.startswith("error: no feed registered")
    refused = run.invoke(cli, ["feeds", "add", "ftp://example.org/feed"], env=env)
    assert refused.exit_code != 0 and refused.stderr.strip().startswith("error: feed URL:")
