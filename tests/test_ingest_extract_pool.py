"""PageExtractor: article pages read in worker processes once a poll has many."""

from __future__ import annotations

import json
import lzma
import os
import resource
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from html import escape
from pathlib import Path

import pytest
from fixtures.ingest.http_server import FeedServer, Route, feed_server
from fixtures.ingest.seed_page import PAGE_URL, build

from digest import config
from digest.errors import SourceError
from digest.ingest import poll_feeds, register_feed
from digest.ingest.extract_pool import START_AFTER, PageExtractor, default_processes
from digest.ingest.page import extract_page
from digest.store import Store
from digest.store.articles import list_stored

PAGES = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "extraction" / "pages.jsonl.xz"


def test_pages_past_the_threshold_are_read_in_a_worker_process_with_the_same_result(seed_text: str) -> None:
    html = build(seed_text).html.encode("utf-8")
    here = extract_page(html, "seed.html", url=PAGE_URL)
    with PageExtractor(1, start_after=1) as extract:
        first = extract(html, "seed.html", url=PAGE_URL)
        assert not extract.started  # the first page: read here
        second = extract(html, "seed.html", url=PAGE_URL)
        assert extract.started
        pool = extract._pool
        assert pool is not None
        worker_pids = {p for p in pool._processes}  # the worker that read the second page
    assert first == here and second == here
    assert worker_pids and os.getpid() not in worker_pids
    assert not extract.started  # stopped with the block


def test_a_page_without_an_article_fails_the_same_way_in_a_worker() -> None:
    empty = (
        b"<html><head><link rel='canonical' href='https://news.example/x'></head><body><nav>Menu</nav></body></html>"
    )
    with PageExtractor(1, start_after=0) as extract, pytest.raises(SourceError, match="no article text found"):
        extract(empty, "empty.html")
    assert extract.pages == 1


def test_no_worker_without_spare_cores_or_below_the_threshold(seed_text: str) -> None:
    html = build(seed_text).html.encode("utf-8")
    with PageExtractor(0, start_after=0) as extract:
        for _ in range(3):
            extract(html, "seed.html", url=PAGE_URL)
        assert not extract.started
    with PageExtractor(1, start_after=5) as extract:
        for _ in range(5):
            extract(html, "seed.html", url=PAGE_URL)
        assert not extract.started and extract.pages == 5


def test_one_core_is_left_to_the_poll() -> None:
    assert default_processes() == max(0, min(4, (os.cpu_count() or 1) - 1))


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    path = tmp_path / "settings.toml"
    path.write_text("[ingest]\nallow_private_networks = true\nper_host_delay_ms = 0\n", encoding="utf-8")
    return config.load(path, env={})


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as s:
        yield s


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.skipif(default_processes() == 0, reason="one core: pages are read in the poll's own threads")
def test_a_poll_of_many_pages_stores_what_the_pages_say_read_by_worker_processes(
    store: Store, settings: config.Settings, server: FeedServer, now: datetime
) -> None:
    with lzma.open(PAGES, "rt", encoding="utf-8") as fh:
        pages = [json.loads(line) for _, line in zip(range(START_AFTER + 10), fh, strict=False)]
    items = []
    for n, page in enumerate(pages):
        server.routes[f"/a/{n}.html"] = Route(body=page["html"].encode("utf-8"), content_type="text/html")
        link = server.url(f"/a/{n}.html")
        items.append(
            f"<item><title>Story {n}</title><link>{escape(link)}</link><description>One line.</description></item>"
        )
    channel = f"<channel><title>F</title>{''.join(items)}</channel>"
    server.routes["/feed"] = Route(body=f"<?xml version='1.0'?><rss version='2.0'>{channel}</rss>".encode())
    register_feed(store, settings, server.url("/feed"), now=now)
    before = _children_cpu()
    report = poll_feeds(store, settings, now=now)
    assert _children_cpu() > before  # worker processes read pages, and ended with the poll
    assert report.feeds[0].pages == Counter(read=len(pages))
    stored = {s.article.url: s.article.body for s in list_stored(store)}
    for n, page in enumerate(pages):
        direct = extract_page(page["html"].encode("utf-8"), page["file"], url=server.url(f"/a/{n}.html"))
        assert stored[server.url(f"/a/{n}.html")] == direct.body


def test_a_dead_worker_leaves_the_pages_to_the_calling_thread(seed_text: str) -> None:
    html = build(seed_text).html.encode("utf-8")
    with PageExtractor(1, start_after=0) as extract:
        extract(html, "seed.html", url=PAGE_URL)
        pool = extract._pool
        assert pool is not None
        for process in list(pool._processes.values()):
            process.kill()
            process.join()
        # The pool notices its dead worker on the next page, which is then read here.
        assert extract(html, "seed.html", url=PAGE_URL) == extract_page(html, "seed.html", url=PAGE_URL)
        assert not extract.started and extract.processes == 0
        assert extract(html, "seed.html", url=PAGE_URL).body
