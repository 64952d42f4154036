"""Recording clicks and opens: where the redirect sends a reader, and what is counted.

The web routes ``/r/{token}`` and ``/o/{token}`` call :class:`Tracker`. A click token
names an edition, a story position and a variant (signed, never expiring); the story's
URL is looked up among that edition's own URLs, kept in memory per edition, so the
redirect costs a signature check and a dictionary look-up (its event is queued for
:class:`digest.daily.event_writer.EventWriter`), and can never send anyone to a URL of
the token's choosing. The message's stamp (``?m=``) gives the
send time, for the machine rules of :mod:`digest.daily.machines`, and — only under
``[tracking] clicks = "per_subscriber"`` for a reader who opted in — the subscriber.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from digest import metrics
from digest.config import Settings
from digest.daily.event_writer import EventWriter
from digest.daily.machines import Bursts, machine_reason
from digest.errors import TokenError
from digest.store import Store
from digest.store import tracking as db
from digest.tokens import Tokens

#: Editions whose story URLs are kept in memory (a day has one per language).
CACHE_EDITIONS = 256


@dataclass(frozen=True)
class Request:
    """What the route knows of a request."""

    method: str
    user_agent: str
    ip: str
    stamp: str  # the ?m= value, "" when absent
    at: datetime


@dataclass(frozen=True)
class Outcome:
    """Where to send the visitor: ``url`` (an article of the edition), else the edition's
    archive page (``archive``: date and language) when it is known, else nowhere (404)."""

    url: str | None = None
    archive: tuple[str, str] | None = None
    counted: bool = False
    machine: str = ""


class _Missing:
    """Not in memory: the database must be read."""


MISSING = _Missing()


class Tracker:
    """Checks tracked links, records their events and answers where they lead.

    Its :attr:`writer` queues the events while the web app's lifespan runs it; without
    it (a test client with no lifespan, a script) each event is written at once.
    """

    def __init__(self, settings: Settings, store: Store, tokens: Tokens) -> None:
        self.settings = settings
        self.store = store
        self.tokens = tokens
        self.bursts = Bursts()
        self.writer = EventWriter(store)
        self._targets: OrderedDict[int, db.EditionTargets | None] = OrderedDict()
        self._lock = threading.Lock()

    def targets(self, edition_id: int) -> db.EditionTargets | None:
        """The edition's story URLs, read once and kept (an edition's items do not
        change once it is sent)."""
        with self._lock:
            if edition_id in self._targets:
                self._targets.move_to_end(edition_id)
                return self._targets[edition_id]
        found = db.targets(self.store, edition_id)
        with self._lock:
            self._targets[edition_id] = found
            while len(self._targets) > CACHE_EDITIONS:
                self._targets.popitem(last=False)
        return found

    def _known(self, edition_id: int, *, cached: bool) -> db.EditionTargets | _Missing | None:
        """The edition's targets; with ``cached``, MISSING when reading them needs the database."""
        if not cached:
            return self.targets(edition_id)
        with self._lock:
            if edition_id not in self._targets:
                return MISSING
            self._targets.move_to_end(edition_id)
            return self._targets[edition_id]

    def _fallback(self, purpose: str, token: str) -> Outcome:
        """A bad token: the archive page of the edition it claims, if that exists."""
        metrics.tracking_refused()
        edition_id = self.tokens.peek_link(purpose, token)
        found = self.targets(edition_id) if edition_id is not None else None
        if found is None:
            return Outcome()
        return Outcome(archive=(found.edition_date.isoformat(), found.language))

    def _sent(self, edition_id: int, stamp: str) -> datetime | None:
        """The message's send time from its stamp (None when absent or bad)."""
        if not stamp:
            return None
        try:
            sent, _subscriber_id = self.tokens.check_stamp(edition_id, stamp)
        except TokenError:
            return None
        return datetime.fromtimestamp(sent, UTC)

    def _stamp(self, edition_id: int, stamp: str, *, cached: bool = False) -> tuple[datetime | None, int | None] | None:
        """(send time, consenting subscriber) from a message's stamp; (None, None) when
        absent or bad; with ``cached``, None when the consent must be read from the database."""
        if not stamp:
            return None, None
        try:
            sent, subscriber_id = self.tokens.check_stamp(edition_id, stamp)
        except TokenError:
            return None, None
        person = None
        if subscriber_id is not None and self.settings.tracking.clicks == "per_subscriber":
            if cached:
                return None
            if db.has_consent(self.store, subscriber_id):
                person = subscriber_id  # counted by name only while their consent stands
        return datetime.fromtimestamp(sent, UTC), person

    def click(self, token: str, request: Request) -> Outcome:
        """Where a tracked story link leads, its click recorded (unless clicks are off)."""
        outcome = self._click(token, request, cached=False)
        assert outcome is not None  # without ``cached`` there is always an answer
        return outcome

    def click_cached(self, token: str, request: Request) -> Outcome | None:
        """:meth:`click` answered from memory alone (the edition's URLs cached, the event
        queued for the writer); None when that needs the database: call :meth:`click`
        off the event loop then. Nothing is counted when None is returned."""
        return self._click(token, request, cached=True)

    def _click(self, token: str, request: Request, *, cached: bool) -> Outcome | None:
        try:
            edition_id, position, variant = self.tokens.check_link("click", token)
        except TokenError:
            return None if cached else self._fallback("click", token)
        found = self._known(edition_id, cached=cached)
        if isinstance(found, _Missing):
            return None
        if found is None:
            return Outcome()
        url = found.urls.get(position)
        if url is None:  # signed by us, but the story is gone: its edition's page
            return Outcome(archive=(found.edition_date.isoformat(), found.language))
        if self.settings.tracking.clicks == "off":
            return Outcome(url=url)
        stamped = self._stamp(edition_id, request.stamp, cached=cached)
        if stamped is None or (cached and not self.writer.running):
            return None
        sent, person = stamped
        client = self.tokens.client_key(request.ip, request.user_agent, request.at.date().isoformat())
        reason = machine_reason(
            kind="click", method=request.method, user_agent=request.user_agent, ip=request.ip, at=request.at, sent=sent
        )
        burst = self.bursts.click(client, edition_id, position, at=request.at, edition_links=len(found.urls))
        if not reason and burst.machine:
            reason = "burst"
        event = db.Event(edition_id, position, variant, "click", bool(reason), reason, client, person, request.at)
        self._record(event)
        if burst.reflag_since is not None:
            if self.writer.running:
                self.writer.mark_burst(edition_id, client, since=burst.reflag_since, until=request.at)
            else:
                db.mark_burst(self.store, edition_id, client, since=burst.reflag_since, until=request.at)
        metrics.tracking_event("click", machine=bool(reason))
        return Outcome(url=url, counted=True, machine=reason)

    def _record(self, event: db.Event) -> None:
        """Queue the event while the writer runs (the app's lifespan), else write it now."""
        if self.writer.running:
            self.writer.put(event)
        else:
            db.record(self.store, [event])

    def open(self, token: str, request: Request) -> bool:
        """Record an open of a variant's image; False when the token is bad or opens are off."""
        done = self._open(token, request, cached=False)
        return bool(done)

    def open_cached(self, token: str, request: Request) -> bool | None:
        """:meth:`open` from memory alone; None when that needs the database."""
        return self._open(token, request, cached=True)

    def _open(self, token: str, request: Request, *, cached: bool) -> bool | None:
        if self.settings.tracking.opens == "off":
            return False
        try:
            edition_id, _position, variant = self.tokens.check_link("open", token)
        except TokenError:
            metrics.tracking_refused()
            return False
        found = self._known(edition_id, cached=cached)
        if isinstance(found, _Missing) or (cached and not self.writer.running):
            return None
        if found is None:
            return False
        sent = self._sent(edition_id, request.stamp)  # opens are never per person: no consent read
        client = self.tokens.client_key(request.ip, request.user_agent, request.at.date().isoformat())
        reason = machine_reason(
            kind="open", method=request.method, user_agent=request.user_agent, ip=request.ip, at=request.at, sent=sent
        )
        self._record(db.Event(edition_id, -1, variant, "open", bool(reason), reason, client, None, request.at))
        metrics.tracking_event("open", machine=bool(reason))
        return True


def roll_up(store: Store, settings: Settings, now: datetime) -> int:
    """Roll raw events older than ``[tracking] retention_days`` (whole UTC days) into
    daily totals and delete them; how many raw events went. The report keeps counting
    those days from their totals (unique readers then add up per day)."""
    days = max(1, int(settings.tracking.retention_days))
    cutoff = (now.astimezone(UTC) - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    return db.roll_up(store, before=cutoff)
