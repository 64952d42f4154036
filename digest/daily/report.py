"""The edition report: what became of an edition and what its readers did with it.

One function computes the figures (:func:`edition_report`); the console page, the JSON
API, the CSV download and ``digest report`` only present them. Per edition (an edition
is one date in one language): messages sent, delivered, bounced (hard, soft),
complaints, unsubscribes within seven days after (by one-click, the page, ...), and
human clicks and unique clicking readers per story and per topic, with machine opens
and clicks apart. Days whose raw events were rolled up count from their daily totals.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from digest.config import Settings
from digest.daily.learning import click_factors
from digest.errors import NotFoundError
from digest.store import Store
from digest.store import tracking_report as report_db
from digest.store.edition_figures import UNSUBSCRIBE_DAYS, delivery_figures
from digest.store.editions import editions_for_date, find_by_id


@dataclass(frozen=True)
class StoryFigures:
    """One story's clicks."""

    position: int
    title: str
    category: str
    url: str
    clicks: int
    readers: int
    machine_clicks: int


@dataclass(frozen=True)
class TopicFigures:
    """One topic's clicks, and the factor the picking learnt for it (1.0 when off)."""

    topic: str
    stories: int
    clicks: int
    readers: int
    machine_clicks: int
    factor: float = 1.0


@dataclass(frozen=True)
class EditionReport:
    """The figures of one edition."""

    edition_id: int
    date: str
    language: str
    tracking: str  # [tracking] clicks
    sent: int
    delivered: int
    bounced_hard: int
    bounced_soft: int
    complaints: int
    unsubscribed: int
    unsubscribed_by: dict[str, int]
    clicks: int
    readers: int
    machine_clicks: int
    opens: int
    machine_opens: int
    stories: list[StoryFigures] = field(default_factory=list)
    topics: list[TopicFigures] = field(default_factory=list)
    learn_from_clicks: bool = False
    unsubscribe_days: int = UNSUBSCRIBE_DAYS


def edition_report(store: Store, settings: Settings, edition_id: int) -> EditionReport:
    """The figures of ``edition_id`` (NotFoundError when there is no such edition)."""
    edition = find_by_id(store, edition_id)
    if edition is None:
        raise NotFoundError(f"no edition {edition_id}")
    mail = delivery_figures(store, edition_id)
    counts = report_db.edition_counts(store, edition_id)
    by_position, by_topic = counts.by_position, counts.by_topic
    human_readers = counts.clickers[0]

    def pick(counts: list[report_db.Count], key: Any, kind: str, machine: bool) -> report_db.Count | None:
        return next((c for c in counts if c.key == key and c.kind == kind and c.machine is machine), None)

    stories = []
    for item in edition.items:
        human, machine = (
            pick(by_position, item.position, "click", False),
            pick(by_position, item.position, "click", True),
        )
        stories.append(
            StoryFigures(
                position=item.position,
                title=item.title,
                category=item.category,
                url=item.url,
                clicks=human.events if human else 0,
                readers=human.readers if human else 0,
                machine_clicks=machine.events if machine else 0,
            )
        )
    factors = click_factors(store, settings, before=edition.edition_date)
    topics = []
    for topic in dict.fromkeys(i.category for i in edition.items):
        human, machine = pick(by_topic, topic, "click", False), pick(by_topic, topic, "click", True)
        topics.append(
            TopicFigures(
                topic=topic,
                stories=sum(1 for i in edition.items if i.category == topic),
                clicks=human.events if human else 0,
                readers=human.readers if human else 0,
                machine_clicks=machine.events if machine else 0,
                factor=factors.get(topic, 1.0),
            )
        )
    opens = [c for c in by_position if c.kind == "open"]
    bounced = mail.bounced_hard + mail.bounced_soft
    return EditionReport(
        edition_id=edition_id,
        date=edition.edition_date.isoformat(),
        language=edition.language,
        tracking=settings.tracking.clicks,
        sent=mail.sent,
        delivered=max(0, mail.sent - bounced),
        bounced_hard=mail.bounced_hard + mail.failed,
        bounced_soft=mail.bounced_soft,
        complaints=mail.complaints,
        unsubscribed=sum(mail.unsubscribed.values()),
        unsubscribed_by=dict(sorted(mail.unsubscribed.items())),
        clicks=sum(s.clicks for s in stories),
        readers=human_readers,
        machine_clicks=sum(s.machine_clicks for s in stories),
        opens=sum(c.events for c in opens if not c.machine),
        machine_opens=sum(c.events for c in opens if c.machine),
        stories=stories,
        topics=topics,
        learn_from_clicks=settings.selection.learn_from_clicks,
    )


def reports_for_date(store: Store, settings: Settings, day: date) -> list[EditionReport]:
    """The report of each language's edition of ``day`` (NotFoundError when none)."""
    editions = [e for e in editions_for_date(store, settings.newsletter.name, day) if e.id is not None]
    if not editions:
        raise NotFoundError(f"no edition on {day}")
    return [edition_report(store, settings, e.id) for e in editions if e.id is not None]


def as_json(report: EditionReport) -> dict[str, Any]:
    """The report as JSON-ready values."""
    return asdict(report)


#: The CSV's columns: one row per story, then one per topic, then the totals.
CSV_COLUMNS = ("edition_id", "date", "language", "row", "key", "title", "count", "readers", "machine", "factor")

#: The totals, in the order the CSV, the page and the CLI show them.
TOTALS = (
    "sent",
    "delivered",
    "bounced_hard",
    "bounced_soft",
    "complaints",
    "unsubscribed",
    "clicks",
    "readers",
    "machine_clicks",
    "opens",
    "machine_opens",
)


def as_csv(reports: list[EditionReport]) -> str:
    """The reports as one CSV table (UTF-8 text, a header row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in reports:
        head = (r.edition_id, r.date, r.language)
        for s in r.stories:
            writer.writerow((*head, "story", s.position, s.title, s.clicks, s.readers, s.machine_clicks, ""))
        for t in r.topics:
            writer.writerow((*head, "topic", t.topic, "", t.clicks, t.readers, t.machine_clicks, t.factor))
        for name in TOTALS:
            writer.writerow((*head, "total", name, "", getattr(r, name), "", "", ""))
        for how, n in r.unsubscribed_by.items():
            writer.writerow((*head, "unsubscribed_by", how, "", n, "", "", ""))
    return out.getvalue()
