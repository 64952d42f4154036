"""An edition sent to a few readers, their messages composed by the sender's composer,
and the tracked links read back out of the mail: what the tracking tests click."""

from __future__ import annotations

import quopri
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from web_support import add_subscriber

from digest.config import Settings
from digest.mail.compose import EditionComposer
from digest.models import OutgoingMessage
from digest.store import Store
from digest.store import tables as t
from digest.store.claims import claim
from digest.store.editions import find_by_id
from digest.subscribers.membership import signed_links

#: The seeded edition's stories: (kind, category, title, article URL).
STORIES = [
    ("top", "Politique", "Le budget est voté", "https://news.example.org/budget"),
    ("top", "Sport", "Victoire en finale", "https://news.example.org/finale"),
    ("brief", "Sport", "Un record du monde", "https://news.example.org/record"),
    ("brief", "Culture", "Un festival s’ouvre", "https://news.example.org/festival"),
]


def seeded_edition(store: Store, day: date, *, now: datetime, language: str = "fr") -> int:
    """An edition of :data:`STORIES` (positions 1..4)."""
    with store.engine.begin() as conn:
        edition_id = int(
            conn.execute(
                insert(t.editions).values(
                    newsletter="Le Brief", edition_date=day, language=language, status="sent",
                    reading_minutes=5, built_at=now,
                )
            ).inserted_primary_key[0]
        )  # fmt: skip
        for position, (kind, category, title, url) in enumerate(STORIES, start=1):
            conn.execute(
                insert(t.edition_items).values(
                    edition_id=edition_id, position=position, kind=kind, category=category, title=title,
                    url=url, summary="Une phrase. Une autre phrase.", reading_minutes=2,
                )
            )  # fmt: skip
    return edition_id


def send_messages(
    store: Store, settings: Settings, edition_id: int, subscriber_ids: list[int], *, now: datetime
) -> dict[int, OutgoingMessage]:
    """Each subscriber's message, composed as the sender does (claim, then compose at ``now``)."""
    with store.engine.begin() as conn:
        for sid in subscriber_ids:
            conn.execute(
                insert(t.deliveries).values(
                    edition_id=edition_id, subscriber_id=sid, state="pending", due_at=now - timedelta(minutes=1),
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
    claimed = claim(store, "test-sender", batch=100, now=now, lease=timedelta(minutes=5), edition_ids=[edition_id])
    edition = find_by_id(store, edition_id)
    assert edition is not None
    composer = EditionComposer.from_settings(settings, signed_links(settings))
    out = {}
    for c in claimed:
        assert c.subscriber.id is not None
        out[c.subscriber.id] = composer.compose(edition, c.subscriber, delivery_id=c.id, now=now)
    return out


def html_of(message: OutgoingMessage) -> str:
    """The decoded HTML part."""
    raw = message.data.split(b"Content-Type: text/html; charset=utf-8", 1)[1]
    return quopri.decodestring(raw).decode("utf-8")


def text_of(message: OutgoingMessage) -> str:
    """The decoded plain-text part."""
    raw = message.data.split(b"Content-Type: text/plain; charset=utf-8", 1)[1].split(b"Content-Type: text/html", 1)[0]
    return quopri.decodestring(raw).decode("utf-8")


@dataclass(frozen=True)
class Event:
    position: int
    kind: str
    machine: bool
    reason: str
    subscriber_id: int | None


def story_links(html: str, base_url: str = "http://testserver") -> list[str]:
    """The tracked story links of a message, in order, without repeats (paths)."""
    found = re.findall(re.escape(base_url) + r'(/r/[^"\s<>]+)', html)
    return list(dict.fromkeys(p.replace("&amp;", "&") for p in found))


def sent_links(store: Store, settings: Settings, day: date, *, now: datetime) -> tuple[int, list[str]]:
    """An edition of ``day`` sent to one reader (zoe@example.org): the edition's id and
    the tracked story links of their message."""
    reader = add_subscriber(store, "zoe@example.org", now)
    edition_id = seeded_edition(store, day, now=now)
    links = story_links(html_of(send_messages(store, settings, edition_id, [reader], now=now)[reader]))
    return edition_id, links


def events(store: Store, edition_id: int) -> list[Event]:
    """The raw events of an edition, in order."""
    e = t.tracking_events.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(e.position, e.kind, e.machine, e.reason, e.subscriber_id)
            .where(e.edition_id == edition_id)
            .order_by(e.id)
        ).all()
    return [Event(r.position, r.kind, bool(r.machine), r.reason, r.subscriber_id) for r in rows]


BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

#: What the report must say of :func:`seed_report`'s edition.
EXPECTED = {
    "sent": 6,
    "delivered": 4,
    "bounced_hard": 1,
    "bounced_soft": 1,
    "complaints": 1,
    "unsubscribed": 2,
    "clicks": 4,
    "readers": 2,
    "machine_clicks": 4,
    "opens": 0,
    "machine_opens": 0,
}
#: Human (clicks, readers, machine clicks) per story position.
EXPECTED_STORIES = {1: (3, 2, 1), 2: (1, 1, 1), 3: (0, 0, 1), 4: (0, 0, 1)}
EXPECTED_TOPICS = {"Politique": (3, 2, 1), "Sport": (1, 1, 2), "Culture": (0, 0, 1)}


def seed_report(store: Store, settings: Settings, clock: Any, click: Callable[[str, str], int], day: date) -> int:
    """An edition sent to six readers, with known bounces, complaints, unsubscribes and
    clicks (``click(path, ip)`` follows a link over HTTP, returning the status); its id."""
    from web_support import add_subscriber

    from digest.models import SubscriberStatus
    from digest.store.subscribers import address_hash
    from digest.subscribers import membership as subs

    start = clock.now
    ids = [add_subscriber(store, f"{name}@example.org", start) for name in "abcdef"]
    edition_id = seeded_edition(store, day, now=start)
    messages = send_messages(store, settings, edition_id, ids, now=start)
    with store.engine.begin() as conn:
        conn.execute(
            update(t.deliveries).where(t.deliveries.c.edition_id == edition_id).values(state="sent", sent_at=start)
        )
        for n, (sid, kind, hours) in enumerate([(ids[4], "hard", 1), (ids[5], "soft", 2), (ids[3], "complaint", 3)]):
            conn.execute(
                insert(t.bounces).values(
                    report_id=f"report-{n}", email_hash=address_hash(f"{'abcdef'[ids.index(sid)]}@example.org"),
                    subscriber_id=sid, kind=kind, received_at=start + timedelta(hours=hours),
                )
            )  # fmt: skip
    subs.unsubscribe(store, ids[2], now=start + timedelta(days=1), source="one-click")
    subs.unsubscribe(store, ids[3], now=start + timedelta(days=2), source="link")
    subs.unsubscribe(store, ids[1], now=start + timedelta(days=8), source="link")  # too late to count
    assert subs.get(store, ids[1]).status is SubscriberStatus.UNSUBSCRIBED  # type: ignore[union-attr]
    a_links = story_links(html_of(messages[ids[0]]), settings.newsletter.base_url)
    b_links = story_links(html_of(messages[ids[1]]), settings.newsletter.base_url)
    clock.advance(minutes=30)
    for path, ip in ((a_links[0], "198.51.100.1"), (a_links[1], "198.51.100.1"), (b_links[0], "198.51.100.2")):
        assert click(path, ip) == 302
        clock.advance(minutes=2)
    for path in a_links:  # a mail gateway opening every link of a message
        assert click(path, "192.0.2.99") == 302
        clock.advance(seconds=0.5)
    clock.advance(minutes=5)
    assert click(a_links[0], "198.51.100.1") == 302
    return edition_id
