"""Poll 200 feeds x 30 items against a local HTTP server: time and memory.

    .venv/bin/python benchmarks/feeds_poll.py [--feeds 200] [--items 30] [--polls 3] [--full-content]

Each feed is on its own host name (feed-N.bench, resolved to 127.0.0.1 by the fetcher's
resolver, so the per-host gate and robots.txt cache work per site as in real life) and
is excerpt-only: one sentence per item, linking to an article page of about 400 words
on the same host. digest reads every page (full_text = auto) under the default
[ingest] settings: 2 requests at a time per host, 250 ms between starts, robots.txt
read once per host. Poll 1 stores everything; polls 2.. find the feeds unchanged
(ETag, 304). ``--full-content`` serves full texts in the feed instead (no page reads).
Prints seconds per poll, the CPU seconds of the polling process and of the worker
processes that read article pages (``digest.ingest.extract_pool``), pages fetched, and the
process's memory after each poll (RSS and live Python objects; tracemalloc would triple
the time), which should stay flat from poll to poll.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import random
import resource
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest import config  # noqa: E402
from digest.ingest import poll_feeds, register_feed  # noqa: E402
from digest.ingest.fetch import Fetcher  # noqa: E402
from digest.store import Store  # noqa: E402

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
WIDTHS = (4, 8, 8, 9, 9, 6, 10, 7, 9)
WORDS = [
    "the",
    "council",
    "budget",
    "harbour",
    "minister",
    "vote",
    "city",
    "region",
    "water",
    "school",
    "road",
    "rail",
    "health",
    "market",
    "week",
    "plan",
    "report",
    "court",
    "police",
    "union",
    "company",
    "price",
    "energy",
    "farmers",
    "storm",
    "bridge",
    "station",
    "hospital",
    "museum",
    "election",
]


def sentence(rng: random.Random, n: int = 18) -> str:
    """A plausible sentence of ``n`` words."""
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def article_page(feed: int, item: int) -> bytes:
    """An article page of about 400 words, with navigation and a footer around it."""
    rng = random.Random(feed * 1000 + item)
    paragraphs = "".join(f"<p>{' '.join(sentence(rng) for _ in range(4))}</p>" for _ in range(6))
    return (
        f"<!doctype html><html lang='en'><head><title>Story {feed}-{item}</title>"
        f"<meta property='og:title' content='Story {feed}-{item}'>"
        f"<meta property='article:published_time' content='{(NOW - timedelta(minutes=10 * item)).isoformat()}'>"
        "</head><body>"
        f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Story {feed}-{item}</h1>"
        f"{paragraphs}</article><footer>Contact us. All rights reserved.</footer></body></html>"
    ).encode()


def feed_xml(feed: int, items: int, host: str, full: bool) -> bytes:
    """An RSS 2.0 feed: excerpt-only unless ``full``."""
    entries = []
    for item in range(items):
        when = (NOW - timedelta(minutes=10 * item)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        link = f"http://{host}/a/{item}.html"
        text = f"One sentence about story {feed}-{item}."
        content = ""
        if full:
            rng = random.Random(feed * 1000 + item)
            body = "".join(f"<p>{' '.join(sentence(rng) for _ in range(4))}</p>" for _ in range(6))
            content = f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        entries.append(
            f"<item><title>Story {feed}-{item}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{when}</pubDate><description>{text}</description>{content}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/'
        f'content/"><channel><title>Feed {feed}</title><link>http://{host}/</link><description>x</description>'
        f"<language>en</language>{''.join(entries)}</channel></rss>"
    ).encode()


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 answering for every feed-N.bench host, in a
    child process, so its own work is not counted as digest's."""

    def __init__(self, items: int, full: bool) -> None:
        self._hits = multiprocessing.Value("i", 0)
        ports: multiprocessing.Queue[int] = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=_serve, args=(items, full, ports, self._hits), daemon=True)
        self.process.start()
        self.port = ports.get(timeout=30)

    @property
    def hits(self) -> int:
        """Requests answered so far."""
        return int(self._hits.value)

    def stop(self) -> None:
        """Stop the server process."""
        self.process.terminate()
        self.process.join(timeout=5)


def _serve(items: int, full: bool, ports: Any, hits: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, Nagle's algorithm
            # and the client's delayed ACK can add 40 ms to a keep-alive answer.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            with hits.get_lock():
                hits.value += 1
            host = self.headers.get("Host", "")  # with the port: the links must reach this server
            feed = int(host.split(".")[0].split("-")[1])
            if self.path == "/robots.txt":
                self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain", "")
            elif self.path == "/rss":
                etag = f'"feed-{feed}"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", "", etag)
                else:
                    self._send(200, feed_xml(feed, items, host, full), "application/rss+xml", etag)
            elif self.path.startswith("/a/"):
                item = int(self.path[3:].split(".")[0])
                self._send(200, article_page(feed, item), "text/html; charset=utf-8", "")
            else:
                self._send(404, b"not found", "text/plain", "")

        def _send(self, status: int, body: bytes, ctype: str, etag: str) -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)) if status != 304 else "0")
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.request_queue_size = 256
    ports.put(httpd.server_address[1])
    httpd.serve_forever()


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended (the page-reading workers
    stop at the end of each poll; the test server runs until the end)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    """The process's resident memory now, in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the polls and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--full-content", action="store_true")
    parser.add_argument("--set", action="append", default=[], help="an [ingest] line, e.g. 'per_host_delay_ms = 0'")
    args = parser.parse_args()
    server = Server(args.items, args.full_content)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "digest.toml"
        cfg.write_text(
            f'[database]\nurl = "sqlite:///{tmp}/bench.db"\n[ingest]\nallow_private_networks = true\n'
            + "".join(f"{line}\n" for line in args.set),
            encoding="utf-8",
        )
        settings = config.load(cfg, env={})
        store = Store(f"sqlite:///{tmp}/bench.db")
        store.init()
        for n in range(args.feeds):
            register_feed(store, settings, f"http://feed-{n}.bench:{server.port}/rss", now=NOW)
        print(
            f"{args.feeds} feeds x {args.items} items, "
            f"{'full content in the feed' if args.full_content else 'excerpt-only (every page read)'}; "
            f"[ingest] per_host_concurrency = {settings.ingest.per_host_concurrency}, "
            f"per_host_delay_ms = {settings.ingest.per_host_delay_ms}"
        )
        heads = ("poll", "seconds", "CPU s", "workers s", "requests", "added", "pages read", "RSS MB", "objects")
        print(" ".join(f"{h:>{w}}" for h, w in zip(heads, WIDTHS, strict=True)))
        for poll in range(1, args.polls + 1):
            before = server.hits
            started, cpu, workers = time.perf_counter(), time.process_time(), children_cpu()
            with Fetcher(settings, resolver=lambda host, port: ["127.0.0.1"]) as fetcher:
                report = poll_feeds(store, settings, now=NOW + timedelta(minutes=poll), fetcher=fetcher)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            workers = children_cpu() - workers
            pages = sum(p.pages.get("read", 0) for p in report.feeds)
            added = report.totals.added
            failed = [p.error for p in report.feeds if p.status == "error"]
            del report
            gc.collect()
            objects = len(gc.get_objects())
            requests = server.hits - before
            cells = (poll, f"{seconds:.1f}", f"{cpu:.1f}", f"{workers:.1f}", requests, added, pages, f"{rss_mb():.0f}")
            cells += (objects,)
            line = " ".join(f"{c:>{w}}" for c, w in zip(cells, WIDTHS, strict=True))
            print(line + (f"  {len(failed)} failed: {failed[0]}" if failed else ""))
        server.stop()


if __name__ == "__main__":
    main()
