"""What one variant of an edition shows: the items a topic set selects, grouped into
sections, with the labels and dates of the edition's language. Pure.

A *variant* is an edition seen through a topic set. Subscribers without topics (and
those whose topics the day does not cover) share the full variant; the others get only
their categories. Everything a template needs is computed here, so templates stay
free of logic beyond loops.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from digest import i18n
from digest.editorial.budget import TODAY_CHARS, edition_words
from digest.mail.slots import MARKERS
from digest.models import Edition, EditionItem, ItemKind, Link, reading_minutes
from digest.text.headlines import short_form
from digest.text.typography import typeset
from digest.urls import host_of

#: Longest subject line (characters): what phone mail apps show without cutting.
SUBJECT_CHARS = 60
#: Longest preheader text (characters); clients show 40-140.
PREHEADER_CHARS = 140


@dataclass(frozen=True)
class LinkView:
    """A "Lire aussi" link."""

    title: str
    url: str
    source: str


@dataclass(frozen=True)
class StoryView:
    """One story as the templates show it."""

    title: str
    url: str
    summary: str
    minutes: int
    source: str
    also_read: tuple[LinkView, ...] = ()
    category: str = ""
    #: Outlets reporting the story ("3 sources"): the item's own and its "Lire aussi" links'.
    sources: int = 1


@dataclass(frozen=True)
class SectionView:
    """A category and its stories, in edition order."""

    category: str
    stories: tuple[StoryView, ...]


@dataclass(frozen=True)
class Masthead:
    """What does not change from one edition to the next: the newsletter's identity."""

    newsletter: str
    postal_address: str = ""
    logo_url: str = ""
    #: Babel locales for dates and numbers, e.g. ("fr_MA", "en_GB"); an edition's
    #: language without one here uses the language's own ("fr", "en").
    locales: tuple[str, ...] = ()

    def locale(self, language: str) -> str:
        """The locale of ``language``'s editions: the configured one of that language, else the language."""
        for loc in self.locales:
            if loc.replace("-", "_").split("_")[0].lower() == language.lower():
                return loc.replace("-", "_")
        return language


@dataclass(frozen=True)
class EditionView:
    """Everything the edition templates show, for one variant."""

    lang: str
    newsletter: str
    date_full: str
    date_subject: str
    reading_minutes: int
    lead: StoryView | None  # the day's top story ("À la une"), fuller summary
    top_stories: tuple[StoryView, ...]  # the other top stories ("Les titres"), by importance
    brief_sections: tuple[SectionView, ...]
    preheader: str
    headline: str  # the subject line: the top headline, at most SUBJECT_CHARS
    topics: tuple[str, ...] = ()
    topics_missed: bool = False
    dropped_briefs: int = 0
    postal_address: str = ""
    logo_url: str = ""
    finally_story: StoryView | None = None  # the light story that closes the edition ("Et enfin")
    #: "Aujourd'hui" / "Today" under the masthead: the top stories' headlines.
    today: tuple[str, ...] = ()
    #: The 1x1 open image's URL ("" when [tracking] opens is off).
    open_image: str = ""

    @property
    def stories(self) -> tuple[StoryView, ...]:
        """Every story shown, top stories first, the "Et enfin" story last."""
        lead = (self.lead,) if self.lead else ()
        last = (self.finally_story,) if self.finally_story else ()
        return (*lead, *self.top_stories, *(s for sec in self.brief_sections for s in sec.stories), *last)


@dataclass(frozen=True)
class Tracking:
    """The tracked URLs of one variant (``[tracking]``): story position -> its
    redirect, and the open image ("" for none). Each gets the message's stamp slot
    appended, filled per message (see :class:`digest.mail.slots.Slot`)."""

    clicks: Mapping[int, str] = field(default_factory=dict)
    open_image: str = ""

    def story_url(self, item: EditionItem) -> str:
        """Where the story's link points: its redirect when tracked, else the article."""
        tracked = self.clicks.get(item.position)
        return tracked + MARKERS.stamp if tracked and item.url else item.url


#: No tracking: links go straight to the articles.
UNTRACKED = Tracking()


@dataclass(frozen=True)
class Selection:
    """The items of one variant and how they were chosen."""

    items: tuple[EditionItem, ...]
    topics: tuple[str, ...]  # categories kept, as the edition spells them; () = all
    topics_missed: bool  # the subscriber has topics, none of them is in today's edition


def for_topics(edition: Edition, topics: Iterable[str]) -> Selection:
    """The items a subscriber with ``topics`` gets (case-insensitive category match).

    No topics means everything. When none of the topics is covered today the reader
    gets the whole edition, with a note, rather than an empty email.
    """
    wanted = {t.strip().casefold() for t in topics if t.strip()}
    if not wanted:
        return Selection(edition.items, (), False)
    items = tuple(i for i in edition.items if i.category.casefold() in wanted)
    if not items:
        return Selection(edition.items, (), True)
    categories = tuple(dict.fromkeys(i.category for i in items))
    if len(categories) == len({i.category for i in edition.items}):
        return Selection(edition.items, (), False)  # every category of the day: the full variant
    return Selection(items, categories, False)


def variant_key(topics: Sequence[str]) -> str:
    """A short, stable name of a variant for the tracked links: "" for the full
    edition, else 8 hex digits of its topic set (no topic name in a URL)."""
    if not topics:
        return ""
    joined = ";".join(sorted(t.casefold() for t in topics))
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=4).hexdigest()


def source_of(url: str) -> str:
    """The site a link points to, as a reader names it: "lemonde.fr"."""
    return host_of(url)


def _story(item: EditionItem, language: str, tracking: Tracking = UNTRACKED) -> StoryView:
    return StoryView(
        title=typeset(item.title, language),
        url=tracking.story_url(item),
        summary=typeset(item.summary, language),
        minutes=max(1, item.reading_minutes),
        source=item.source or source_of(item.url),
        also_read=tuple(_link(link, language) for link in item.also_read),
        category=item.category,
        sources=len(
            {item.source or source_of(item.url), *(link.source or source_of(link.url) for link in item.also_read)}
        ),
    )


def _link(link: Link, language: str) -> LinkView:
    return LinkView(
        title=typeset(link.title, language) if link.title else source_of(link.url) or link.url,
        url=link.url,
        source=link.source or source_of(link.url),
    )


def _sections(items: Sequence[EditionItem], language: str, tracking: Tracking) -> tuple[SectionView, ...]:
    order: dict[str, list[StoryView]] = {}
    for item in items:
        order.setdefault(item.category, []).append(_story(item, language, tracking))
    return tuple(SectionView(c, tuple(s)) for c, s in order.items())


def subject_line(title: str, limit: int = SUBJECT_CHARS) -> str:
    """A subject a person would write from the lead's headline, at most ``limit``
    characters and never cut with "…" (see :func:`digest.text.headlines.short_form`)."""
    return short_form(title, limit)


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-–—")
    return cut + "…"


def build(
    edition: Edition,
    masthead: Masthead,
    selection: Selection,
    *,
    brief_limit: int | None = None,
    tracking: Tracking = UNTRACKED,
) -> EditionView:
    """The view of ``selection``, showing at most ``brief_limit`` "En bref" items
    (the last ones in edition order are left out first), story links through
    ``tracking``."""
    lang = edition.language
    tops = [i for i in selection.items if i.kind is ItemKind.TOP]
    briefs = [i for i in selection.items if i.kind is ItemKind.BRIEF]
    closing = next((i for i in selection.items if i.kind is ItemKind.FINALLY), None)
    dropped = 0
    if brief_limit is not None and brief_limit < len(briefs):
        keep = {i.position for i in sorted(briefs, key=lambda i: i.position)[: max(0, brief_limit)]}
        dropped = len(briefs) - len(keep)
        briefs = [i for i in briefs if i.position in keep]
    shown = tops + briefs + ([closing] if closing else [])
    if len(shown) == len(edition.items) and edition.reading_minutes > 0:
        minutes = edition.reading_minutes  # the edition's own figure, as it was built
    else:
        # a topic subset or fewer briefs: counted the way the edition counts itself
        minutes = reading_minutes(edition_words(shown, lang, newsletter=masthead.newsletter), lang)
    # The subject is composed from the lead story's headline (never cut with "…");
    # the preheader, shown after it, carries the next stories (or the lead's summary
    # when there is no other), never the subject again.
    ordered = tops + briefs
    headline = typeset(subject_line(ordered[0].title), lang) if ordered else ""
    rest = [short_form(i.title, SUBJECT_CHARS) for i in ordered[1:4] if i.title.strip()]
    teaser = " · ".join(rest) if rest else (ordered[0].summary if ordered else "")
    preheader = typeset(shorten(teaser, PREHEADER_CHARS), lang)
    locale = masthead.locale(lang)
    subject_date = i18n.day_and_month(edition.edition_date, locale)
    return EditionView(
        lang=lang,
        newsletter=masthead.newsletter,
        date_full=i18n.full_date(edition.edition_date, locale),
        date_subject=subject_date[:1].upper() + subject_date[1:],
        reading_minutes=max(1, minutes),
        lead=_story(tops[0], lang, tracking) if tops else None,
        top_stories=tuple(_story(i, lang, tracking) for i in tops[1:]),
        brief_sections=_sections(briefs, lang, tracking),
        preheader=preheader,
        headline=headline,
        topics=selection.topics,
        topics_missed=selection.topics_missed,
        dropped_briefs=dropped,
        postal_address=masthead.postal_address,
        logo_url=masthead.logo_url,
        finally_story=_story(closing, lang, tracking) if closing else None,
        open_image=tracking.open_image + MARKERS.stamp if tracking.open_image else "",
        today=tuple(typeset(short_form(i.title, TODAY_CHARS), lang) for i in tops),
    )
