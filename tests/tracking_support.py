"""An edition sent to a few readers, their messages composed by the sender's composer,
and the tracked links read back out of the mail: what the tracking tests click."""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select

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
