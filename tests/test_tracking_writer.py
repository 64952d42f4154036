"""The click writer: events queued by the redirect and written in batches by the thread
the app's lifespan runs. Real HTTP (uvicorn with its lifespan), real database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_support import serving
from prometheus_client import generate_latest
from smtp_server import SMTPServer
from tracking_support import BROWSER, events, seeded_edition, sent_links
from web_support import Clock, web_settings

from digest import metrics
from digest.daily.event_writer import EventWriter
from digest.store import Store
from digest.store import tracking as tracking_db
from digest.web.app import create_app

DAY = date(2026, 11, 29)


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` under uvicorn with its lifespan on a free port; the block's end is the shutdown."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    with serving(app, sock, lifespan="on", http="auto", stop_timeout=20, must_stop=True):
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def one_event(edition_id: int, i: int) -> tracking_db.Event:
    at = datetime(2026, 11, 29, 8, 0, tzinfo=UTC) + timedelta(seconds=i)
    return tracking_db.Event(edition_id, 1 + i % 4, "", "click", False, "", i, None, at)


def test_events_are_written_only_by_a_flush(store: Store) -> None:
    edition_id = seeded_edition(store, DAY, now=datetime.now(UTC))
    writer = EventWriter(store, interval=3600)
    for i in range(25):
        assert writer.put(one_event(edition_id, i))
    assert writer.pending() == 25 and tracking_db.raw_count(store, edition_id) == 0
    assert writer.flush() == 25
    assert writer.pending() == 0 and tracking_db.raw_count(store, edition_id) == 25


def test_the_thread_writes_within_its_interval(store: Store) -> None:
    edition_id = seeded_edition(store, DAY, now=datetime.now(UTC))
    writer = EventWriter(store, interval=0.05)
    writer.start()
    try:
        for i in range(10):
            writer.put(one_event(edition_id, i))
        deadline = time.monotonic() + 10
        while tracking_db.raw_count(store, edition_id) < 10:
            assert time.monotonic() < deadline, "the writer thread wrote nothing"
            time.sleep(0.05)
    finally:
        writer.stop()


def test_a_failed_write_is_logged_kept_and_retried(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    edition_id = seeded_edition(store, DAY, now=datetime.now(UTC))
    failures = [RuntimeError("database gone")]

    def flaky(s: Store, batch: Sequence[tracking_db.Event]) -> None:
        if failures:
            raise failures.pop()
        tracking_db.record(s, batch)

    writer = EventWriter(store, interval=0.05, write=flaky)
    for i in range(5):
        writer.put(one_event(edition_id, i))
    with caplog.at_level(logging.ERROR, logger="digest.daily.event_writer"):
        writer.start()
        deadline = time.monotonic() + 15
        while tracking_db.raw_count(store, edition_id) < 5:
            assert time.monotonic() < deadline, "the failed batch was not retried"
            time.sleep(0.05)
        writer.stop()
    assert "retrying" in caplog.text and "database gone" in caplog.text
    assert tracking_db.raw_count(store, edition_id) == 5 and writer.dropped == 0


def test_a_full_queue_drops_and_counts_on_metrics(store: Store) -> None:
    edition_id = seeded_edition(store, DAY, now=datetime.now(UTC))
    writer = EventWriter(store, interval=3600, capacity=3)
    before = metrics.TRACKING_DROPPED._value.get()
    assert [writer.put(one_event(edition_id, i)) for i in range(5)] == [True, True, True, False, False]
    assert writer.dropped == 2 and metrics.TRACKING_DROPPED._value.get() - before == 2
    assert "digest_tracking_dropped_total" in generate_latest(metrics.REGISTRY).decode()
    writer.flush()
    assert tracking_db.raw_count(store, edition_id) == 3


def test_clicks_are_queued_then_written_at_shutdown_none_lost_in_a_concurrent_burst(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port, web={"trusted_proxies": ["127.0.0.1"]})
    edition_id, links = sent_links(store, settings, DAY, now=clock.now)
    clock.advance(minutes=30)
    app = create_app(settings, store, now=clock)
    writer: EventWriter = app.state.tracker.writer
    writer.interval, writer.batch = 3600, 10**6  # nothing written before the shutdown
    n = 300
    with served(app) as base:

        async def burst() -> list[int]:
            limits = httpx.Limits(max_connections=50)
            # The 300 requests queue for 50 connections: on a busy machine that wait can pass
            # httpx's 5 s default, which says nothing about the server; each request still
            # has 30 s to be answered.
            timeout = httpx.Timeout(30.0, pool=None)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:

                async def one(i: int) -> int:
                    headers = {"user-agent": BROWSER, "x-forwarded-for": f"198.18.{i // 200}.{i % 200}"}
                    return (await client.get(links[i % len(links)], headers=headers)).status_code

                return await asyncio.gather(*(one(i) for i in range(n)))

        assert asyncio.run(burst()) == [302] * n
        assert writer.running and writer.pending() == n
        assert tracking_db.raw_count(store, edition_id) == 0, "the request waited on the database"
    assert writer.pending() == 0 and not writer.running
    assert tracking_db.raw_count(store, edition_id) == n
    assert all(not e.machine for e in events(store, edition_id))


def test_a_scanner_burst_is_flagged_in_the_queue_and_in_the_database(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    edition_id, links = sent_links(store, settings, DAY, now=clock.now)
    clock.advance(minutes=3)
    app = create_app(settings, store, now=clock)
    writer: EventWriter = app.state.tracker.writer
    writer.interval = 3600
    with served(app) as base, httpx.Client(base_url=base) as scanner:
        for k, link in enumerate(links):
            assert scanner.get(link, headers={"user-agent": BROWSER}).status_code == 302
            clock.advance(seconds=0.4)
            if k == 0:
                assert writer.flush() == 1  # the first click is in the database before the burst is found
        clock.advance(minutes=10)
        assert scanner.get(links[1], headers={"user-agent": BROWSER}).status_code == 302  # later: a reader again
    seen = events(store, edition_id)
    assert [(e.machine, e.reason) for e in seen] == [(True, "burst")] * len(links) + [(False, "")]
