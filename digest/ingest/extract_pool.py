"""Article pages read in worker processes when a poll has many of them.

Reading a page's article (:func:`~digest.ingest.page.extract_page`: lxml, trafilatura,
the furniture rules) is pure CPU work in Python, so the threads of a poll take turns on
one core (the GIL) while the fetches, the feed parsing and the store wait for them. A poll
that reads many pages hands the extraction to a small pool of worker processes, started
on the :data:`START_AFTER`-th page (a poll of a few pages does not pay for starting
processes) and stopped when the poll ends: the page's bytes go to a worker and the
:class:`~digest.ingest.items.Item` comes back. With one core, or ``processes=0``, pages
are read in the calling thread, as before, and so is the rest of a poll whose worker died.

Workers are started with ``spawn``: forking a process whose other threads may hold a
lock (the poll's fetch threads do) can leave the child waiting on it forever.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from digest.ingest.items import Item
from digest.ingest.page import extract_page

log = logging.getLogger(__name__)

#: Pages read in the calling thread before the worker processes are started.
START_AFTER = 20
#: At most this many worker processes, whatever the number of cores.
MAX_PROCESSES = 4

# Pages read in this process are read one at a time. The work is pure CPU under the GIL,
# so the poll's threads gain nothing by interleaving it, and trafilatura and its
# fallbacks (readability, justext) keep module-level lxml objects that are not known to
# be safe to use from two threads at once: a suite run aborted inside lxml with two
# threads extracting at the same time.
_IN_PROCESS = threading.Lock()


def _extract_here(content: bytes, where: str, url: str) -> Item:
    with _IN_PROCESS:
        return extract_page(content, where, url=url)


def default_processes() -> int:
    """Worker processes for this machine: one core is left to the poll's own thread."""
    return max(0, min(MAX_PROCESSES, (os.cpu_count() or 1) - 1))


class PageExtractor:
    """``extract_page``, in worker processes once :data:`START_AFTER` pages were asked for.

    Use as a context manager (or call :meth:`close`): the workers stop with it.
    """

    def __init__(self, processes: int | None = None, *, start_after: int = START_AFTER) -> None:
        self.processes = default_processes() if processes is None else max(0, processes)
        self.start_after = start_after
        self.pages = 0  # pages asked for so far
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    def __enter__(self) -> PageExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def started(self) -> bool:
        """True once worker processes read the pages."""
        return self._pool is not None

    def __call__(self, content: bytes, where: str, *, url: str = "") -> Item:
        """:func:`~digest.ingest.page.extract_page` of ``content``, here or in a worker;
        raises what it raises (SourceError)."""
        with self._lock:
            self.pages += 1
            if self._pool is None and not self._closed and self.processes and self.pages > self.start_after:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=context)
            pool = self._pool
        if pool is None:
            return _extract_here(content, where, url)
        try:
            return pool.submit(extract_page, content, where, url=url).result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the rest of the poll reads its pages
            # here, as a poll of a few pages does, rather than failing every feed.
            log.warning("page-reading workers stopped; reading pages in the poll's threads")
            with self._lock:
                self.processes = 0
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return _extract_here(content, where, url)

    def close(self) -> None:
        """Stop the worker processes (waiting for the pages they are reading)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
