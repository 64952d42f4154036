"""Click tracking: 1,000,000 click events recorded and an edition report computed over
them; the redirect's server time per click and its requests per second over real HTTP.

    python benchmarks/tracking.py [--database-url URL] [--events 1000000] [--seconds 10]
        [--connections 32]

Runs on PostgreSQL by default (DIGEST_BENCH_DATABASE_URL, else the tests' local server),
in a schema of its own dropped at the end; a sqlite:/// URL works too. The events are
loaded with COPY (PostgreSQL) or in batches of 50,000 rows a transaction (SQLite); the
report is timed as loaded, then after VACUUM ANALYZE (what autovacuum does after a bulk
load). The redirect is served by uvicorn on port 0 with its lifespan (so the click writer
runs, as under `digest serve`), and driven by a keep-alive HTTP/1.1 client in another
process; server time is measured around the app, per request, under that load.
Targets (issue 27): the report in under 2 s, the redirect under 5 ms of server time and
at least 2,000 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from web_support import web_settings

from digest.daily.report import edition_report
from digest.daily.tracking import Request as Seen
from digest.daily.tracking import Tracker
from digest.links import TrackedLinks
from digest.store import Store
from digest.store import tables as t
from digest.store import tracking as db
from digest.subscribers.membership import signed_links
from digest.web.app import create_app

DEFAULT_URL = os.environ.get("DIGEST_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STORIES = 12
CATEGORIES = ("Politique", "Économie", "Sport", "Culture")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def fresh_store(url: str) -> tuple[Store, Any]:
    """A migrated store in its own schema (PostgreSQL) or file (SQLite), and its cleanup."""
    if url.startswith("sqlite"):
        store = Store(url)
        store.init()
        return store, store.close
    schema = f"bench_tracking_{os.getpid()}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    store = Store(f"{url}{sep}options=-csearch_path%3D{schema}")
    store.init()

    def drop() -> None:
        store.close()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return store, drop


def seed(store: Store, now: datetime) -> int:
    """One sent edition of :data:`STORIES` stories."""
    with store.engine.begin() as conn:
        edition_id = int(
            conn.execute(
                insert(t.editions).values(
                    newsletter="Le Brief", edition_date=date(2026, 11, 29), language="fr", status="sent",
                    reading_minutes=5, built_at=now,
                )
            ).inserted_primary_key[0]
        )  # fmt: skip
        for position in range(1, STORIES + 1):
            conn.execute(
                insert(t.edition_items).values(
                    edition_id=edition_id, position=position, kind="top" if position < 4 else "brief",
                    category=CATEGORIES[position % len(CATEGORIES)], title=f"Story {position}",
                    url=f"https://news.example.org/{position}", reading_minutes=2,
                )
            )  # fmt: skip
    return edition_id


COLUMNS = ("edition_id", "position", "variant", "kind", "machine", "reason", "client", "subscriber_id", "at")


def record_events(store: Store, edition_id: int, n: int, now: datetime) -> float:
    """Record ``n`` click events (10% machine, 50,000 clients); seconds taken."""

    def rows(start: int, stop: int) -> list[tuple[Any, ...]]:
        return [
            (edition_id, 1 + i % STORIES, "", "click", i % 10 == 0, "scanner" if i % 10 == 0 else "",
             i % 50_000, None, now + timedelta(seconds=i % 86_400))
            for i in range(start, stop)
        ]  # fmt: skip

    batch = 50_000
    started = time.perf_counter()
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY tracking_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for start in range(0, n, batch):
                    # COPY's text format, a batch at a time (write_row is 5x slower in Python).
                    copy.write(
                        "".join(
                            f"{e}\t{p}\t{v}\t{k}\t{'t' if m else 'f'}\t{r}\t{c}\t\\N\t{at.isoformat()}\n"
                            for e, p, v, k, m, r, c, _s, at in rows(start, min(n, start + batch))
                        )
                    )
            return time.perf_counter() - started
    for start in range(0, n, batch):
        events = [db.Event(*row) for row in rows(start, min(n, start + batch))]
        db.record(store, events)  # one multi-row INSERT, one transaction per batch
    return time.perf_counter() - started


def time_report(store: Store, settings: Any, edition_id: int, n: int) -> tuple[list[float], Any]:
    """Three runs of the edition report: (seconds each, the report)."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        report = edition_report(store, settings, edition_id)
        timings.append(time.perf_counter() - started)
    assert report.clicks + report.machine_clicks == n
    return timings, report


def server_time(tracker: Tracker, links: list[str], n: int) -> list[float]:
    """Milliseconds of Tracker.click_cached (what the route runs on the event loop) per call."""
    times = []
    now = datetime.now(UTC)
    for i in range(n):
        token, _, stamp = links[i % len(links)].rpartition("/r/")[2].partition("?m=")
        seen = Seen("GET", BROWSER, f"198.51.{i // 250 % 250}.{i % 250}", stamp, now + timedelta(seconds=60 + i))
        started = time.perf_counter()
        outcome = tracker.click_cached(token, seen)
        times.append((time.perf_counter() - started) * 1000)
        assert outcome is not None and outcome.url is not None
    return times


async def load(port: int, paths: list[str], seconds: float, connections: int) -> tuple[int, int]:
    """Keep-alive GETs of ``paths`` for ``seconds`` over ``connections``: (responses, non-302)."""
    deadline = time.perf_counter() + seconds
    done = bad = 0

    async def worker(k: int) -> None:
        nonlocal done, bad
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += connections
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: {BROWSER}\r\n"
                f"X-Forwarded-For: 198.18.{i // 250 % 250}.{i % 250}\r\n\r\n".encode("ascii")
            )  # fmt: skip
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            done += 1
            bad += not head.startswith(b"HTTP/1.1 302")
        writer.close()

    await asyncio.gather(*(worker(k) for k in range(connections)))
    return done, bad


def drive(port: int, paths: list[str], seconds: float, connections: int) -> tuple[int, int, float, float]:
    """:func:`load` run in another process (its own interpreter and core): (responses,
    non-302, seconds, the client's CPU seconds)."""
    code = (
        "import asyncio, json, sys, time; sys.path.insert(0, sys.argv[1]); import tracking as b; "
        "a = json.loads(sys.argv[2]); t = time.perf_counter(); c = time.process_time(); "
        "done, bad = asyncio.run(b.load(a['port'], a['paths'], a['seconds'], a['connections'])); "
        "print(json.dumps([done, bad, time.perf_counter() - t, time.process_time() - c]))"
    )
    args = {"port": port, "paths": paths, "seconds": seconds, "connections": connections}
    out = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), json.dumps(args)],
        check=True, capture_output=True, text=True, timeout=seconds + 120,
    )  # fmt: skip
    done, bad, took, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return int(done), int(bad), float(took), float(cpu)


class Timed:
    """ASGI wrapper: each /r/ request's server time (app called to response sent), in ms."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.ms: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/r/"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        await self.app(scope, receive, send)
        self.ms.append((time.perf_counter() - started) * 1000)


def serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    """``app`` under uvicorn (with its lifespan: the click writer) on a free port, in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, log_level=None, access_log=False, lifespan="on", ws="none",
                            loop="asyncio")  # as `digest serve` runs it: asyncio.run, HTTP parser "auto"  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, int(sock.getsockname()[1])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-report", action="store_true", help="only the redirect")
    args = parser.parse_args()

    import tempfile

    now = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    store, cleanup = fresh_store(args.database_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # Readers from many addresses (through a trusted local proxy), as in real traffic.
            settings = web_settings(Path(tmp), 25, base_url="http://bench", web={"trusted_proxies": ["127.0.0.1"]})
            edition_id = seed(store, now)
            print(f"database: {store.dialect}; load average {load_average()}")
            if not args.skip_report:
                seconds = record_events(store, edition_id, args.events, now)
                print(f"recorded {args.events:,} click events in {seconds:.1f} s ({args.events / seconds:,.0f}/s)")
                timings, report = time_report(store, settings, edition_id, args.events)
                print(
                    f"edition report as loaded: {min(timings):.2f} s best, {statistics.median(timings):.2f} s "
                    f"median of 3 ({report.clicks:,} human clicks, {report.readers:,} readers, "
                    f"{report.machine_clicks:,} machine); load average {load_average()}"
                )
                if store.dialect == "postgresql":
                    started = time.perf_counter()
                    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("VACUUM ANALYZE tracking_events"))
                    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
                    timings, report = time_report(store, settings, edition_id, args.events)
                    print(
                        f"edition report after it: {min(timings):.2f} s best, {statistics.median(timings):.2f} s "
                        f"median of 3; load average {load_average()}"
                    )

            tracked = TrackedLinks(signed_links(settings))
            stamp = tracked.stamp(edition_id, now=now)
            links = [tracked.click(edition_id, p, "") + stamp for p in range(1, STORIES + 1)]
            timed = Timed(create_app(settings, store))
            tracker: Tracker = timed.app.state.tracker
            tracker.targets(edition_id)  # what the first click of the day does
            server, thread, port = serve(timed)
            try:
                ms = sorted(server_time(tracker, links, 2000))
                print(
                    f"redirect in process (Tracker.click_cached, 2,000 calls): median {statistics.median(ms):.3f} ms, "
                    f"p95 {ms[int(len(ms) * 0.95)]:.3f} ms"
                )
                timed.ms.clear()
                paths = [link.removeprefix("http://bench") for link in links]
                cpu = time.process_time()
                done, bad, took, client_cpu = drive(port, paths, args.seconds, args.connections)
                server_cpu = time.process_time() - cpu
                uptime = load_average()
            finally:
                server.should_exit = True
                thread.join(timeout=30)
            written = tracker.writer.written
            ms = sorted(timed.ms)
            print(
                f"redirect over HTTP (uvicorn, client in another process, {args.connections} keep-alive "
                f"connections, {took:.0f} s): {done / took:,.0f} requests/s, {bad} not 302; server time median "
                f"{statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms; "
                f"{written:,} events written by the writer, {tracker.writer.dropped} dropped; CPU: server "
                f"{server_cpu / took:.0%} of a core, client {client_cpu / took:.0%}; load average {uptime}"
            )
    finally:
        cleanup()


if __name__ == "__main__":
    main()
