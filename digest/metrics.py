"""Prometheus metrics: the objects every part increments, in one registry.

``/metrics`` (digest/web/ops.py) serves :data:`REGISTRY` in the Prometheus text format.
Parts record through the small functions below rather than touching the objects, so a
metric can change shape without touching its callers:

* deliver: :func:`message_outcome` once per attempt outcome (sent, failed, retry);
* ingest: :func:`feed_polled` once per feed poll;
* daily/schedule: :func:`edition_built` once per edition actually created;
* language model: :func:`model_call` once per call, :func:`rewrite_fallback` once per
  story that keeps its extractive summary, :func:`rewrite_cache_hit` per cached answer.

Counters are per process: with extra ``digest worker`` processes, each one's sends are
counted where they happen (scrape them too, or read ``digest status``).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from digest import __version__

#: digest's own registry (not the library's global one), so tests and embedding
#: applications never see duplicate-registration errors or foreign metrics.
REGISTRY = CollectorRegistry(auto_describe=True)

BUILD_INFO = Info("digest", "Version of the running digest.", registry=REGISTRY)
BUILD_INFO.info({"version": __version__})


def _counter(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
    # Every metric lives in REGISTRY: the one place that says so.
    return Counter(name, documentation, labels, registry=REGISTRY)


def _gauge(name: str, documentation: str) -> Gauge:
    return Gauge(name, documentation, registry=REGISTRY)


def _histogram(name: str, documentation: str, buckets: tuple[float, ...]) -> Histogram:
    return Histogram(name, documentation, buckets=buckets, registry=REGISTRY)


EDITIONS_BUILT = _counter("digest_editions_built", "Editions built by this process, by language.", ("language",))
MESSAGES = _counter(
    "digest_messages",
    "Delivery attempts by outcome (sent, failed, retry) and SMTP reply code (none when the "
    "connection failed before a reply).",
    ("outcome", "code"),
)
SEND_RATE = _gauge(
    "digest_send_rate_per_second", "Messages accepted by the SMTP server per second, over the last minute."
)
DELIVERIES_DUE = _gauge(
    "digest_deliveries_due", "Delivery rows due now (pending or retry with due_at in the past), read at scrape time."
)
DELIVERIES_IN_FLIGHT = _gauge(
    "digest_deliveries_in_flight", "Delivery rows in the sending state (DATA under way), read at scrape time."
)
FEED_POLLS = _counter("digest_feed_polls", "Feed polls, by result (ok, error).", ("result",))
FEED_POLL_ERRORS = _counter("digest_feed_poll_errors", "Feed polls that failed.")
ARTICLE_PAGES = _counter(
    "digest_article_pages",
    "Article pages fetched for feed items, by feed id and outcome (read, robots, timeout, http_error, paywall, error).",
    ("feed", "outcome"),
)
SCHEDULE_DECISIONS = _counter(
    "digest_schedule_decisions",
    "Scheduler decisions about an edition: built on time, caught up, skipped.",
    ("outcome",),
)
DATABASE_ERRORS = _counter(
    "digest_metrics_database_errors",
    "Scrapes whose database-backed gauges could not be read (the database was unreachable).",
)
TICKS = _counter("digest_scheduler_ticks", "Scheduler ticks run, by result (ok, error).", ("result",))
TICK_SECONDS = _histogram(
    "digest_scheduler_tick_seconds",
    "Time one scheduler tick took.",
    (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

# The web edge: what anonymous visitors cause, and how the server answers.
SUBSCRIBE_REQUESTS = _counter(
    "digest_subscribe_requests",
    "Subscribe form posts, by outcome (new, pending, resubscribed, already, blocked, invalid, honeypot).",
    ("outcome",),
)
CONFIRMATION_MAILS = _counter(
    "digest_confirmation_mails",
    "Confirmation mails, by result (sent, failed, limited: held back by a limit).",
    ("result",),
)
RATE_LIMITED = _counter("digest_http_rate_limited", "Requests answered 429, by limit.", ("limit",))
UNSUBSCRIBES = _counter(
    "digest_unsubscribes", "Unsubscribes, by source (link, one-click, mailto, api, cli).", ("source",)
)
HTTP_RESPONSES = _counter("digest_http_responses", "HTTP responses of the web app, by status code.", ("status",))
HTTP_SECONDS = _histogram(
    "digest_http_request_seconds",
    "Time from a request's arrival to the end of its response.",
    (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# The operator's language model (digest.language_model): what it cost and what the guard refused.
MODEL_CALLS = _counter(
    "digest_model_calls",
    "Calls to the summarising model, by result (ok, or the error: timeout, http_429...).",
    ("result",),
)
MODEL_SECONDS = _histogram(
    "digest_model_call_seconds",
    "Time one answered call to the model took, retries included.",
    (0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
)
MODEL_TOKENS = _counter(
    "digest_model_tokens", "Tokens the model's server reported, by kind (prompt, completion).", ("kind",)
)
REWRITE_REJECTIONS = _counter(
    "digest_rewrite_rejections", "Rewrites the guard refused, by reason (number, name, quote, length...).", ("reason",)
)
REWRITE_FALLBACKS = _counter(
    "digest_rewrite_fallbacks",
    "Stories that kept their extractive summary, by reason (a guard reason, or the call's error, or deadline).",
    ("reason",),
)
REWRITE_CACHE_HITS = _counter("digest_rewrite_cache_hits", "Rewrites read from the cache instead of calling the model.")

# Reader tracking (digest.daily.tracking): what the redirect and the open image counted.
TRACKING_EVENTS = _counter(
    "digest_tracking_events",
    "Clicks and opens recorded, by kind (click, open) and whether a machine made them.",
    ("kind", "machine"),
)
TRACKING_DROPPED = _counter(
    "digest_tracking_dropped",
    "Clicks and opens not recorded because the write queue was full (the database unreachable for long).",
)
TRACKING_REFUSED = _counter("digest_tracking_refused", "Tracked links refused: forged, altered or unknown tokens.")


class RateMeter:
    """Events per second over a sliding window (monotonic clock; thread-safe)."""

    def __init__(self, window_seconds: float = 60.0) -> None:
        self.window = window_seconds
        self._events: deque[float] = deque()
        self._lock = threading.Lock()

    def add(self, count: int = 1, *, at: float | None = None) -> None:
        """Record ``count`` events at ``at`` (default: now)."""
        stamp = time.monotonic() if at is None else at
        with self._lock:
            self._events.extend([stamp] * count)
            self._trim(stamp)

    def rate(self, *, at: float | None = None) -> float:
        """Events per second over the window ending at ``at`` (default: now)."""
        stamp = time.monotonic() if at is None else at
        with self._lock:
            self._trim(stamp)
            return len(self._events) / self.window

    def _trim(self, stamp: float) -> None:
        while self._events and self._events[0] <= stamp - self.window:
            self._events.popleft()


_sent_rate = RateMeter()
SEND_RATE.set_function(_sent_rate.rate)


def message_outcome(outcome: str, code: int | None = None, *, count: int = 1) -> None:
    """Count a delivery attempt's outcome: ``sent``, ``failed`` or ``retry``, with the
    SMTP reply code when the server gave one."""
    MESSAGES.labels(outcome=outcome, code=str(code) if code is not None else "none").inc(count)
    if outcome == "sent":
        _sent_rate.add(count)


def feed_polled(*, ok: bool) -> None:
    """Count one feed poll and whether it failed."""
    FEED_POLLS.labels(result="ok" if ok else "error").inc()
    if not ok:
        FEED_POLL_ERRORS.inc()


def article_page(feed_id: int | None, outcome: str) -> None:
    """Count one article page fetched for a feed item, and its outcome."""
    ARTICLE_PAGES.labels(feed=str(feed_id or ""), outcome=outcome).inc()


def tracking_event(kind: str, *, machine: bool) -> None:
    """Count one click or open recorded."""
    TRACKING_EVENTS.labels(kind=kind, machine="yes" if machine else "no").inc()


def tracking_dropped(count: int = 1) -> None:
    """Count events dropped because the tracking write queue was full."""
    TRACKING_DROPPED.inc(count)


def tracking_refused() -> None:
    """Count one tracked link refused (bad token)."""
    TRACKING_REFUSED.inc()


def edition_built(language: str) -> None:
    """Count one edition created (not one found already built)."""
    EDITIONS_BUILT.labels(language=language).inc()


def schedule_decision(outcome: str) -> None:
    """Count a scheduler decision about an edition (built, caught_up, skipped)."""
    SCHEDULE_DECISIONS.labels(outcome=outcome).inc()


def set_delivery_gauges(*, due: int, in_flight: int) -> None:
    """Update the delivery-table gauges (done at scrape time by /metrics)."""
    DELIVERIES_DUE.set(due)
    DELIVERIES_IN_FLIGHT.set(in_flight)


def subscribe_request(outcome: str) -> None:
    """Count one subscribe form post by what it did."""
    SUBSCRIBE_REQUESTS.labels(outcome=outcome).inc()


def confirmation_mail(result: str) -> None:
    """Count one confirmation mail: ``sent``, ``failed`` or ``limited``."""
    CONFIRMATION_MAILS.labels(result=result).inc()


def rate_limited(limit: str) -> None:
    """Count one 429 answer, by the limit that caused it."""
    RATE_LIMITED.labels(limit=limit).inc()


def unsubscribed(source: str) -> None:
    """Count one unsubscribe, by how it was asked for."""
    UNSUBSCRIBES.labels(source=source).inc()


def http_response(status: int, seconds: float) -> None:
    """Count one HTTP response and how long it took."""
    HTTP_RESPONSES.labels(status=str(status)).inc()
    HTTP_SECONDS.observe(seconds)


def model_call(
    result: str, *, seconds: float | None = None, prompt_tokens: int | None = None, completion_tokens: int | None = None
) -> None:
    """Count one call to the model: ``ok`` or the error's reason, with its latency and
    the tokens the server reported (when it did)."""
    MODEL_CALLS.labels(result=result).inc()
    if seconds is not None:
        MODEL_SECONDS.observe(seconds)
    if prompt_tokens is not None:
        MODEL_TOKENS.labels(kind="prompt").inc(prompt_tokens)
    if completion_tokens is not None:
        MODEL_TOKENS.labels(kind="completion").inc(completion_tokens)


def rewrite_fallback(reason: str, *, rejected: bool) -> None:
    """Count one story that keeps its extractive summary; ``rejected``: the guard
    refused the answer (``reason`` is the guard's), else there was no answer."""
    if rejected:
        REWRITE_REJECTIONS.labels(reason=reason).inc()
    REWRITE_FALLBACKS.labels(reason=reason).inc()


def rewrite_cache_hit(count: int = 1) -> None:
    """Count answers read from the cache."""
    REWRITE_CACHE_HITS.inc(count)
