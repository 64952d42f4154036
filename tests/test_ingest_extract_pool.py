"""PageExtractor: article pages read in worker processes once a poll has many."""

from __future__ import annotations

import os

import pytest
from fixtures.ingest.seed_page import PAGE_URL, build

from digest.errors import SourceError
from digest.ingest.extract_pool import PageExtractor, default_processes
from digest.ingest.page import extract_page


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
