"""What a reader reads: every word an edition shows, counted against the five-minute
budget (the masthead, the "Aujourd'hui" list, labels, categories and every item). Pure.

:mod:`digest.editorial.plan` fits stories into the budget with these counts;
:mod:`digest.mail.view` shows the same labels, so the count is the page's.
"""

from __future__ import annotations

from collections.abc import Sequence

from digest.i18n import N_, gettext
from digest.models import EditionItem, ItemKind
from digest.text.headlines import short_form
from digest.urls import host_of
from digest.words import word_count

#: The masthead's date ("dimanche 29 novembre 2026": 4 words) and reading-time line
#: ("Temps de lecture : 5 minutes": 4 words and the number), on top of the name.
MASTHEAD_WORDS = 9

#: Words a reader sees around the stories (messages of the catalogues, digest.i18n).
BRIEF_LABEL, ALSO_READ_LABEL, DEFAULT_CATEGORY = N_("In brief"), N_("Also read:"), N_("News")
LEAD_LABEL = N_("Top story")
FINALLY_LABEL = N_("And finally")
TOP_STORIES_LABEL, TODAY_LABEL, SOURCES_WORDS = N_("Top stories"), N_("Today"), 2  # "3 sources"
#: Longest line of the "Aujourd'hui" / "Today" list under the masthead (characters).
TODAY_CHARS = 60


def item_label(minutes: int) -> str:
    """The item's reading-time label, "3 min" (the same in French and English)."""
    return f"{minutes} min"


def item_words(item: EditionItem, language: str) -> int:
    """Words one item shows: headline, summary, reading time, publisher, "Lire aussi" links."""
    n = word_count(item.title) + word_count(item.summary) + word_count(item_label(item.reading_minutes))
    n += word_count(item.source or host_of(item.url))
    if item.also_read:
        n += word_count(gettext(language, ALSO_READ_LABEL)) + sum(word_count(link.title) for link in item.also_read)
        n += SOURCES_WORDS
    return n


def today_words(title: str) -> int:
    """Words of a top story's line in the "Aujourd'hui" / "Today" list."""
    return word_count(short_form(title, TODAY_CHARS))


def masthead_words(newsletter: str) -> int:
    """Words of the header a reader reads first: the name, the date and the reading time."""
    return word_count(newsletter) + MASTHEAD_WORDS


def edition_words(items: Sequence[EditionItem], language: str, *, newsletter: str = "") -> int:
    """Every word the edition shows: the masthead, the "Aujourd'hui" list, the lead's
    label, "Les titres", each top story's category, "En bref" and its category headings,
    "Et enfin", and every item (with its "3 sources"). An edition
    without items counts nothing: it is not sent."""
    if not items:
        return 0
    tops = [i for i in items if i.kind is ItemKind.TOP]
    brief_categories = {i.category for i in items if i.kind is ItemKind.BRIEF}
    n = masthead_words(newsletter)
    if any(i.kind is ItemKind.FINALLY for i in items):
        n += word_count(gettext(language, FINALLY_LABEL))
    if tops:
        n += word_count(gettext(language, LEAD_LABEL)) + word_count(gettext(language, TODAY_LABEL))
        n += sum(today_words(i.title) for i in tops)
    if len(tops) > 1:
        n += word_count(gettext(language, TOP_STORIES_LABEL))
    n += sum(word_count(i.category) for i in tops) + sum(word_count(c) for c in brief_categories)
    if brief_categories:
        n += word_count(gettext(language, BRIEF_LABEL))
    return n + sum(item_words(i, language) for i in items)
