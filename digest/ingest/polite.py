"""Polite fetching: a per-host gate (so many requests at once, so long between starts)
and robots.txt, read once per host with the standard library's parser.

Both are shared by every thread of one poll, so the limits hold for the whole poll,
not per feed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser


class HostGate:
    """At most ``concurrency`` requests in flight per host, starts ``delay`` seconds apart."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self.concurrency = max(1, concurrency)
        self.delay = max(0.0, delay)
        self._lock = threading.Lock()
        self._hosts: dict[str, tuple[threading.BoundedSemaphore, list[float]]] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the host's slots for the duration of a request to ``url``."""
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            entry = self._hosts.get(host)
            if entry is None:
                entry = self._hosts[host] = (threading.BoundedSemaphore(self.concurrency), [0.0])
        semaphore, next_start = entry
        semaphore.acquire()
        try:
            with self._lock:
                now = time.monotonic()
                start = max(now, next_start[0])
                next_start[0] = start + self.delay
            if start > now:
                time.sleep(start - now)
            yield
        finally:
            semaphore.release()


#: Fetches a robots.txt URL: (HTTP status, text); status 0 when it could not be reached.
RobotsFetch = Callable[[str], tuple[int, str]]


class Robots:
    """robots.txt per host (scheme, host and port), fetched once and cached.

    As RFC 9309 says: a missing file (4xx) allows everything; a server error (5xx)
    disallows everything for now (the page is skipped, not lost). A host that cannot
    be reached at all is let through, so the page's own fetch fails with the true
    reason (timeout, connection refused) rather than "robots".
    """

    def __init__(self, fetch: RobotsFetch, user_agent: str) -> None:
        self._fetch = fetch
        self._agent = user_agent
        self._lock = threading.Lock()
        self._parsers: dict[str, RobotFileParser | bool] = {}
        self._host_locks: dict[str, threading.Lock] = {}

    def allowed(self, url: str) -> bool:
        """May ``url`` be fetched under its host's robots.txt?"""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        with self._lock:
            host_lock = self._host_locks.setdefault(origin, threading.Lock())
        with host_lock:  # one fetch per host, even with many threads asking at once
            parser = self._parsers.get(origin)
            if parser is None:
                parser = self._parsers[origin] = self._load(origin)
        if isinstance(parser, bool):
            return parser
        return parser.can_fetch(self._agent, url)

    def _load(self, origin: str) -> RobotFileParser | bool:
        status, text = self._fetch(f"{origin}/robots.txt")
        if status == 0 or 400 <= status < 500:
            return True
        if status >= 500:
            return False
        parser = RobotFileParser()
        parser.parse(text.splitlines())
        return parser
