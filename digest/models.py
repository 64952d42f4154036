"""Plain values passed between the steps of a day: ingest -> store -> select ->
summarize -> edition -> render -> deliver.

Leaf module: imports nothing from digest. Every datetime here is timezone-aware.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time

#: Silent reading speed for non-fiction, in words per minute (Trauzettel-Klosinski
#: et al. 2012, IReST): French 204, English 238.
WORDS_PER_MINUTE: dict[str, int] = {"fr": 204, "en": 238}
DEFAULT_WORDS_PER_MINUTE = 200


def words_per_minute(language: str) -> int:
    """Reading speed for ``language``, falling back to a conservative default."""
    return WORDS_PER_MINUTE.get(language, DEFAULT_WORDS_PER_MINUTE)


def reading_minutes(words: int, language: str) -> int:
    """Whole minutes needed to read ``words`` words, at least 1 for any text."""
    if words <= 0:
        return 0
    wpm = words_per_minute(language)
    return max(1, -(-words // wpm))  # ceiling division


@dataclass(frozen=True)
class Article:
    """One news article as the store holds it.

    ``body`` is clean plain text, paragraphs separated by a blank line.
    ``summary`` is the publisher's own standfirst when it had one.
    """

    url: str
    title: str
    body: str
    published_at: datetime
    language: str
    category: str = ""
    author: str = ""
    summary: str = ""
    guid: str = ""
    body_html: str = ""
    source: str = ""
    word_count: int = 0
    reading_minutes: int = 0
    id: int | None = None

    @property
    def paragraphs(self) -> list[str]:
        """The body's paragraphs, without empty ones."""
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]


@dataclass(frozen=True)
class Feed:
    """A registered RSS/Atom feed that is polled for new articles."""

    url: str
    category: str = ""
    language: str = ""
    title: str = ""
    etag: str = ""
    last_modified: str = ""
    last_polled_at: datetime | None = None
    last_error: str = ""
    full_text: str = "auto"  # fetch the linked page: auto (when the item is short), always, never
    id: int | None = None


@dataclass(frozen=True)
class Link:
    """A titled link, e.g. a near-duplicate listed under "Lire aussi"."""

    title: str
    url: str
    source: str = ""


class ItemKind(enum.StrEnum):
    """Where an item sits in the briefing."""

    TOP = "top"  # a top story: headline and a summary of about 45 words
    BRIEF = "brief"  # an "En bref" line: headline and one sentence
    FINALLY = "finally"  # the one light story that closes the edition ("Et enfin" / "And finally")


@dataclass(frozen=True)
class EditionItem:
    """One story in an edition, its summary fixed when the edition is built."""

    position: int
    kind: ItemKind
    category: str
    title: str
    url: str
    summary: str
    reading_minutes: int
    article_id: int | None = None
    also_read: tuple[Link, ...] = ()
    source: str = ""  # the publisher's name (Article.source); empty: the URL's host is shown


@dataclass(frozen=True)
class Section:
    """Items of one category, in edition order."""

    category: str
    items: tuple[EditionItem, ...]


@dataclass(frozen=True)
class ItemEdit:
    """An editor's change to the story at ``position`` (None keeps the original text)."""

    position: int
    headline: str | None
    summary: str | None
    dropped: bool
    edited_by: str
    edited_at: datetime


@dataclass(frozen=True)
class EditionOrder:
    """An editor's order of an edition's stories: ``positions`` in reading order (empty:
    as built; stories missing from it keep their built place after the listed ones)
    and the story pinned as the lead (None: the build's lead)."""

    positions: tuple[int, ...]
    lead: int | None
    edited_by: str
    edited_at: datetime


class StoryChange(enum.StrEnum):
    """What an editor decided about a story, beyond its text and order (kept across a
    rebuild by article URL)."""

    MERGE = "merge"  # ``other``'s story joins ``url``'s: its articles become "Lire aussi" sources
    SPLIT = "split"  # ``url``'s story goes back to one story per article
    FINALLY = "finally"  # ``url``'s story closes the edition ("Et enfin" / "And finally")
    NO_FINALLY = "no_finally"  # no story closes the edition


@dataclass(frozen=True)
class StoryDecision:
    """One editor's decision on the day's stories, keyed by article URLs (not positions:
    a rebuild renumbers the stories, the URLs stay)."""

    what: StoryChange
    url: str
    other: str = ""  # MERGE: an article of the story merged into ``url``'s
    edited_by: str = ""
    edited_at: datetime | None = None

    def __str__(self) -> str:
        return f"{self.what.value} {self.url}" + (f" + {self.other}" if self.other else "")


@dataclass(frozen=True)
class Approval:
    """Who approved an edition, and when."""

    edition_id: int
    approved_by: str
    approved_at: datetime


class EditionStatus(enum.StrEnum):
    """Life of an edition."""

    BUILT = "built"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Edition:
    """The day's briefing in one language: the same content for every subscriber.

    ``word_count`` counts every word a reader reads (headlines, section titles,
    summaries); ``reading_minutes`` is what the header shows.
    """

    edition_date: date
    language: str
    items: tuple[EditionItem, ...]
    word_count: int
    reading_minutes: int
    newsletter: str = ""
    status: EditionStatus = EditionStatus.BUILT
    built_at: datetime | None = None
    id: int | None = None

    @property
    def top(self) -> tuple[EditionItem, ...]:
        """Top stories in order."""
        return tuple(i for i in self.items if i.kind is ItemKind.TOP)

    @property
    def briefs(self) -> tuple[EditionItem, ...]:
        """ "En bref" items in order."""
        return tuple(i for i in self.items if i.kind is ItemKind.BRIEF)

    def sections(self, kind: ItemKind | None = None) -> tuple[Section, ...]:
        """Items grouped by category, categories in order of first appearance."""
        order: dict[str, list[EditionItem]] = {}
        for item in self.items:
            if kind is None or item.kind is kind:
                order.setdefault(item.category, []).append(item)
        return tuple(Section(c, tuple(items)) for c, items in order.items())


class SubscriberStatus(enum.StrEnum):
    """Where a subscriber stands; only CONFIRMED ones receive editions."""

    PENDING = "pending"  # subscribed, double opt-in not confirmed yet
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"  # hard bounce: suppressed
    FORGOTTEN = "forgotten"  # personal data erased on request


#: Statuses that are not sent to and must not come back without a new consent.
SUPPRESSED_STATUSES = frozenset({SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED, SubscriberStatus.FORGOTTEN})

#: Sort keys of the console's subscriber list.
SUBSCRIBER_SORTS = ("created", "email", "name", "status", "language")


@dataclass(frozen=True)
class SubscriberQuery:
    """The console's subscriber filters (empty strings filter nothing)."""

    text: str = ""
    status: str = ""
    language: str = ""
    topic: str = ""
    sort: str = "created"
    descending: bool = True


@dataclass(frozen=True)
class Consent:
    """Proof of consent, kept for GDPR: when, from where, and to which text."""

    at: datetime
    source: str  # "web", "import", "cli", "api"
    ip: str = ""
    user_agent: str = ""
    text_version: str = ""


@dataclass(frozen=True)
class Subscriber:
    """A person on the list. ``topics`` empty means every category.

    ``timezone`` and ``send_at`` empty mean the newsletter's own schedule.
    """

    email: str
    name: str = ""
    language: str = "fr"
    topics: tuple[str, ...] = ()
    timezone: str = ""
    send_at: time | None = None
    status: SubscriberStatus = SubscriberStatus.PENDING
    created_at: datetime | None = None
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    consent: Consent | None = None
    id: int | None = None
    #: They agreed to per-person click tracking (``[tracking] clicks = "per_subscriber"``).
    tracking_consent: bool = False


class DeliveryState(enum.StrEnum):
    """State of one (edition, subscriber) delivery row."""

    PENDING = "pending"  # due at due_at, not claimed
    SENDING = "sending"  # claimed and DATA under way: the only uncertain state
    SENT = "sent"  # the server answered 250 to DATA
    RETRY = "retry"  # a temporary failure; due again at due_at
    FAILED = "failed"  # permanent failure or retries exhausted
    HELD = "held"  # was in flight at a crash; held for an operator by policy
    SKIPPED = "skipped"  # not sent on purpose (suppressed meanwhile, edition skipped)


@dataclass(frozen=True)
class OutgoingMessage:
    """A finished message: envelope and the exact bytes to send."""

    mail_from: str
    rcpt_to: str
    data: bytes
    message_id: str = ""
    delivery_id: int | None = None
    subscriber_id: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
