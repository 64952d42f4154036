"""Full text for excerpt-only feeds, over real HTTP on 127.0.0.1 (port 0): the feed gives
one sentence per item and links to real news pages (from the extraction development
set); digest reads each page politely and stores its article text. Pages that cannot be
read (robots.txt, 404, too slow, paywalled) keep their item with its excerpt, counted
per feed with the reason."""

from __future__ import annotations

import json
import lzma
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fixtures.ingest.http_server import FeedServer, Route, feed_server

from digest import config, metrics
from digest.cli import cli
from digest.ingest import poll_feeds, register_feed
from digest.ingest.page import extract_page
from digest.store import Store
from digest.store.articles import list_stored
from digest.store.feeds import known_pages, page_outcomes

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "benchmarks" / "data" / "extraction" / "pages.jsonl.xz"
NEWS = ("boingboing.net", "correctiv.org", "elpais.com", "larepublica.pe", "libero.pe", "aoc.media")
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
PAYWALL = """<html><head><title>Abonnés</title></head><body><article><h1>Le budget</h1>
<p>Cet article est réservé aux abonnés.</p></article></body></html>""".encode()


def real_pages() -> list[dict[str, Any]]:
    with lzma.open(PAGES, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [r for r in rows if any(host in r["url"] for host in NEWS)]


def tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def f1(found: str, expected: str) -> float:
    a, b = tokens(found), tokens(expected)
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def rss(server: FeedServer, links: list[tuple[str, str, str]]) -> bytes:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{server.url(path)}</link><guid>{server.url(path)}</guid>"
        f"<pubDate>Sat, 28 Nov 2026 08:00:00 GMT</pubDate><description>{escape(excerpt)}</description></item>"
        for path, title, excerpt in links
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Excerpts</title>'
        f"<link>{server.url('/')}</link><description>x</description>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    path = tmp_path / "settings.toml"
    path.write_text(
        "[ingest]\nallow_private_networks = true\ntimeout_seconds = 1\nper_host_delay_ms = 0\n", encoding="utf-8"
    )
    return config.load(path, env={})


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as s:
        s.routes["/robots.txt"] = Route(body=ROBOTS, content_type="text/plain")
        yield s


@pytest.mark.slow(seconds=20)
def test_excerpt_only_feed_stores_the_pages_article_text_and_reads_each_page_once(
    store: Store, settings: config.Settings, server: FeedServer, now: datetime
) -> None:
    pages = real_pages()
    assert len(pages) == len(NEWS)
    links = []
    for n, page in enumerate(pages):
        path = f"/news/{n}.html"
        server.routes[path] = Route(
            body=page["html"].encode("utf-8"), content_type="text/html; charset=utf-8", etag=f'"p{n}"'
        )
        links.append((path, f"Story {n}", "One sentence about the story, as excerpt-only feeds give it."))
    server.routes["/feed"] = Route(body=rss(server, links))  # no validators: every poll reads the items again
    feed, _ = register_feed(store, settings, server.url("/feed"), now=now)
    assert feed.full_text == "auto"

    first = poll_feeds(store, settings, now=now)
    assert first.feeds[0].status == "ok", first.feeds[0].error
    assert first.feeds[0].pages == Counter(read=len(pages))
    assert first.totals.added == len(pages) and first.totals.rejected == 0
    stored = {s.article.url: s.article for s in list_stored(store)}
    scores = []
    for n, page in enumerate(pages):
        article = stored[server.url(f"/news/{n}.html")]
        direct = extract_page(page["html"].encode("utf-8"), page["file"], url=page["url"]).body
        scores.append(f1(article.body, direct))
        found = " ".join(article.body.split())
        # The article text its annotators marked is in the stored body.
        hits = sum(" ".join(s.split()) in found for s in page["with"])
        assert hits >= len(page["with"]) - 1, (page["url"], hits, page["with"])
        # The excerpt is not the body's opening: it is kept as the standfirst.
        assert article.summary == "One sentence about the story, as excerpt-only feeds give it."
        assert f1("One sentence about the story, as excerpt-only feeds give it.", direct) < 0.2
    assert sum(scores) / len(scores) >= 0.95

    page_requests = [r for r in server.requests if r.path.startswith("/news/")]
    assert len(page_requests) == len(pages)
    assert all("digest/" in r.headers["user-agent"] for r in page_requests)
    assert len(server.seen("/robots.txt")) == 1  # cached per host

    second = poll_feeds(store, settings, now=now)
    assert second.feeds[0].status == "ok"
    assert second.totals.unchanged == len(pages) and second.totals.updated == 0
    assert [r for r in server.requests if r.path.startswith("/news/")] == page_requests  # nothing fetched again
    assert second.feeds[0].pages == Counter()


def test_unreadable_pages_keep_their_items_with_the_excerpt_and_count_the_reason(
    store: Store, settings: config.Settings, server: FeedServer, now: datetime
) -> None:
    html = "text/html; charset=utf-8"
    server.routes["/private/secret.html"] = Route(body=PAYWALL, content_type=html)
    server.routes["/slow.html"] = Route(body=PAYWALL, content_type=html, delay=2.5)
    server.routes["/paywall.html"] = Route(body=PAYWALL, content_type=html)
    excerpt = "Le gouvernement a présenté vendredi un budget qui prévoit une hausse des dépenses de santé."
    links = [(p, f"Story {p}", excerpt) for p in ("/private/secret.html", "/gone.html", "/slow.html", "/paywall.html")]
    server.routes["/feed"] = Route(body=rss(server, links))
    feed, _ = register_feed(store, settings, server.url("/feed"), now=now)
    before = {o: metrics.ARTICLE_PAGES.labels(feed=str(feed.id), outcome=o)._value.get() for o in ("robots",)}

    report = poll_feeds(store, settings, now=now)
    poll = report.feeds[0]
    assert poll.status == "ok" and poll.report.added == 4 and poll.report.rejected == 0
    assert poll.pages == Counter(robots=1, http_error=1, timeout=1, paywall=1)
    assert {a.article.body for a in list_stored(store)} == {excerpt}
    assert server.seen("/private/secret.html") == []  # robots.txt said no: never requested
    assert feed.id is not None
    assert page_outcomes(store)[feed.id] == {"robots": 1, "http_error": 1, "timeout": 1, "paywall": 1}
    marks = known_pages(store, [server.url(p) for p, _, _ in links])
    assert {m.outcome for m in marks.values()} == {"robots", "http_error", "timeout", "paywall"}
    assert "HTTP 404" in marks[server.url("/gone.html")].reason
    after = metrics.ARTICLE_PAGES.labels(feed=str(feed.id), outcome="robots")._value.get()
    assert after == before["robots"] + 1

    # Listed per feed with the reasons.
    path = Path(str(store.engine.url.database or ""))
    if path.suffix == ".db":
        out = CliRunner().invoke(cli, ["feeds", "list"], env={"DIGEST_DATABASE_URL": str(store.engine.url)})
        assert "full text: auto; pages: 1 http error, 1 paywall, 1 robots, 1 timeout" in out.output


def test_never_and_always(store: Store, settings: config.Settings, server: FeedServer, now: datetime) -> None:
    page = real_pages()[0]
    server.routes["/a.html"] = Route(body=page["html"].encode("utf-8"), content_type="text/html")
    long_excerpt = " ".join(["word"] * 200)
    server.routes["/never"] = Route(body=rss(server, [("/a.html", "Never", "Short excerpt.")]))
    server.routes["/auto"] = Route(body=rss(server, [("/a.html", "Auto", long_excerpt)]))
    register_feed(store, settings, server.url("/never"), now=now, full_text="never")
    register_feed(store, settings, server.url("/auto"), now=now)
    report = poll_feeds(store, settings, now=now)
    assert [p.pages for p in report.feeds] == [Counter(), Counter()]  # never; auto with a long item
    assert server.seen("/a.html") == []
    register_feed(store, settings, server.url("/auto"), now=now, full_text="always")
    report = poll_feeds(store, settings, now=now)
    assert [p.pages for p in report.feeds] == [Counter(), Counter(read=1)]
