"""Click and open events written in batches, off the request: the redirect's buffer.

A redirect must answer in a few milliseconds, and one INSERT per click (a transaction,
a round trip, a WAL record) costs more than the rest of the request together. While
the web app runs, :class:`EventWriter` holds the events in a bounded in-memory queue
and one thread of its own writes them every :data:`FLUSH_SECONDS` (sooner once
:data:`FLUSH_EVENTS` wait), in one multi-row INSERT per batch. The app's lifespan
starts the thread and stops it at shutdown, which writes what is still queued.

A failed write is logged and its batch kept at the head of the queue for the next
attempt; the queue is bounded (:data:`CAPACITY`): when it is full (the database gone
for minutes under heavy traffic) new events are dropped and counted
(``digest_tracking_dropped`` on /metrics), never held without limit. A link scanner's
burst found while its earlier clicks are still queued is flagged in the queue, and the
matching UPDATE of rows written earlier runs after the batch (:meth:`mark_burst`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from digest import metrics
from digest.store import Store
from digest.store import tracking as db

log = logging.getLogger(__name__)

#: Seconds between two writes of the queue.
FLUSH_SECONDS = 0.2
#: Events that wake the writer before its next tick.
FLUSH_EVENTS = 1_000
#: Events held at most (a few MB): beyond, new events are dropped and counted.
CAPACITY = 100_000
#: Seconds waited after a failed write before the next attempt.
RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Reflag:
    """A burst found: the client's clicks on the edition from ``since`` to ``until`` are a machine's."""

    edition_id: int
    client: int
    since: datetime
    until: datetime


class EventWriter:
    """A bounded queue of events and the thread that writes it in batches."""

    def __init__(
        self,
        store: Store,
        *,
        interval: float = FLUSH_SECONDS,
        batch: int = FLUSH_EVENTS,
        capacity: int = CAPACITY,
        write: Callable[[Store, Sequence[db.Event]], None] = db.record,
    ) -> None:
        self.store = store
        self.interval = interval
        self.batch = batch
        self.capacity = capacity
        self._write = write
        self._events: deque[db.Event] = deque()
        self._reflags: list[Reflag] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one write at a time (the thread, a test, stop())
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.dropped = 0

    @property
    def running(self) -> bool:
        """Whether the writer thread runs (events put now are written by it)."""
        return self._thread is not None and self._thread.is_alive() and not self._stopping.is_set()

    def start(self) -> None:
        """Start the writer thread (once)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="digest-tracking-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread and write what is queued (retried until ``timeout`` seconds);
        events still unwritten then are logged as lost."""
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        left = self.pending()
        if left:
            log.error("tracking: %d events could not be written at shutdown", left)

    def pending(self) -> int:
        """Events queued, not yet written."""
        with self._lock:
            return len(self._events)

    def put(self, event: db.Event) -> bool:
        """Queue ``event``; False (and counted as dropped) when the queue is full."""
        wake = False
        with self._lock:
            if len(self._events) >= self.capacity:
                self.dropped += 1
                full = True
            else:
                self._events.append(event)
                full = False
                wake = len(self._events) >= self.batch
        if full:
            metrics.tracking_dropped()
            return False
        if wake:
            self._wake.set()
        return True

    def mark_burst(self, edition_id: int, client: int, *, since: datetime, until: datetime) -> None:
        """Flag the client's clicks on the edition between ``since`` and ``until`` as a
        burst's: those still queued at once, those already written at the next flush."""
        with self._lock:
            self._events = deque(
                replace(e, machine=True, reason="burst") if _in_burst(e, edition_id, client, since, until) else e
                for e in self._events
            )
            self._reflags.append(Reflag(edition_id, client, since, until))

    def flush(self) -> int:
        """Write what is queued now; the events written. On failure the batch goes back
        to the head of the queue (as much as fits) and the error propagates."""
        with self._flushing:
            with self._lock:
                events, self._events = list(self._events), deque()
                reflags, self._reflags = self._reflags, []
            try:
                if events:
                    self._write(self.store, events)
                for r in reflags:
                    db.mark_burst(self.store, r.edition_id, r.client, since=r.since, until=r.until)
            except Exception:
                with self._lock:
                    room = max(0, self.capacity - len(self._events))
                    kept = events[len(events) - room :] if room < len(events) else events
                    lost = len(events) - len(kept)
                    self._events.extendleft(reversed(kept))
                    self._reflags[:0] = reflags
                    self.dropped += lost
                if lost:
                    metrics.tracking_dropped(lost)
                raise
            self.written += len(events)
            return len(events)

    def _run(self) -> None:
        while True:
            stopping = self._stopping.is_set()
            try:
                self.flush()
            except Exception:
                log.exception("tracking: writing %d queued events failed; retrying", self.pending())
                if stopping:
                    # stop() waits for the thread: give a brief outage a few chances.
                    self._stopping.wait(RETRY_SECONDS)
                    if self._retries_left():
                        continue
                    return
                self._wake.wait(RETRY_SECONDS)
                self._wake.clear()
                continue
            if stopping:
                return
            self._wake.wait(self.interval)
            self._wake.clear()

    _final_attempts = 3

    def _retries_left(self) -> bool:
        self._final_attempts -= 1
        return self._final_attempts > 0


def _in_burst(event: db.Event, edition_id: int, client: int, since: datetime, until: datetime) -> bool:
    return (
        event.edition_id == edition_id
        and event.client == client
        and event.kind == "click"
        and not event.machine
        and since <= event.at <= until
    )
