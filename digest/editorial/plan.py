"""Fit the day's stories into the reading-time budget. Pure: values in, values out.

The budget is ``words_per_minute(language) x reading_minutes`` words for everything
a reader reads: the masthead (name, date, reading time), section titles, headlines,
summaries, each item's "3 min", its publisher and its "Lire aussi" links. (The
footer's legal lines are not part of the read.) Stories are taken in
:func:`digest.editorial.pick.pick_stories` order, which is their importance:

1. top stories fill up to :data:`TOP_SHARE` of the budget, at most ``top_stories``
   of them, no category holding more than ``max_category_share`` of them while
   other categories still have stories. The first is the lead story ("À la une" /
   "Top story") with a fuller :data:`digest.editorial.summarize.LEAD` summary; the others get
   a :data:`digest.editorial.summarize.TOP` summary and show their category above the headline;
2. the day's best light story (trivia: :attr:`digest.editorial.pick.Pick.light`), if
   any, closes the edition in the "Et enfin" / "And finally" slot with a one-sentence
   summary; trivia is never a top story nor a brief, so at most one is shown (the
   editor may put another story in the slot, or none: ``closing``);
3. the rest of the budget goes to "En bref" / "In brief": one sentence per story
   (:data:`digest.editorial.summarize.BRIEF`), grouped by category, under the same share rule.

A story's summary comes from the article that reports it; when that one gives no usable
summary (a single sentence too long for a brief), from the next of its articles that
is not an angle piece.

A summary is only computed for a story that can still fit: the cheapest it could
cost (its headline, labels and a shortest summary) is checked first, and the search
stops after :data:`MAX_MISSES` stories in a row that did not fit, so a day of 500
candidates costs a few dozen summaries, not 500.

Items are stored in reading order: the lead, the other top stories by importance,
then briefs by category, the categories in ``categories`` order first, then in order
of their best story, then the "Et enfin" story. The edition's ``word_count`` is :func:`edition_words` of what
it shows, and its reading time is that count over the reading speed, rounded up.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from digest.editorial.budget import (
    ALSO_READ_LABEL,
    BRIEF_LABEL,
    DEFAULT_CATEGORY,
    FINALLY_LABEL,
    LEAD_LABEL,
    SOURCES_WORDS,
    TODAY_LABEL,
    TOP_STORIES_LABEL,
    edition_words,
    item_label,
    item_words,
    masthead_words,
    today_words,
)
from digest.editorial.desk import AUTOMATIC, closing_url
from digest.editorial.pick import (
    DEFAULT_CATEGORY_DECAY,
    DEFAULT_DUPLICATE_SIMILARITY,
    Pick,
    article_words,
    pick_stories,
    source_name,
)
from digest.editorial.summarize import BRIEF, LEAD, MIN_SENTENCE_WORDS, TOP, Style, Summary, accepts
from digest.editorial.summarizer import Summarizer
from digest.i18n import gettext
from digest.models import (
    Article,
    Edition,
    EditionItem,
    EditionStatus,
    ItemKind,
    Link,
    StoryDecision,
    reading_minutes,
    words_per_minute,
)
from digest.text.signals import is_angle
from digest.words import word_count

#: Share of the budget top stories may use; the rest is for "En bref".
TOP_SHARE = 0.6
# Summary lengths: digest.editorial.summarize.LEAD for the lead story, TOP (about 45 words, at
# most 80 words) for the other top stories, BRIEF (one sentence, at most 30 words)
# for "En bref"; the same styles `digest summarize --style` uses.
#: Stop looking for top stories or briefs once this many stories in a row did not
#: fit (or fewer words than a minimal brief are left): each try may cost a summary.
MAX_MISSES = 12
MIN_BRIEF_WORDS = 8


@dataclass(frozen=True)
class EditionRules:
    """How an edition is put together; the values come from ``[newsletter]`` and ``[selection]``."""

    reading_minutes: int = 5
    categories: tuple[str, ...] = ()  # section order; others follow
    category_weights: Mapping[str, float] = field(default_factory=dict)
    top_stories: int = 6
    max_category_share: float = 0.4
    duplicate_similarity: float = DEFAULT_DUPLICATE_SIMILARITY
    category_decay: float = DEFAULT_CATEGORY_DECAY

    def budget(self, language: str) -> int:
        """Words the whole edition may use."""
        return words_per_minute(language) * self.reading_minutes


@dataclass
class _Draft:
    """An item being placed, before positions are known."""

    rank: int
    pick: Pick
    kind: ItemKind
    category: str
    summary: Summary
    #: The article the summary was taken from (the reporting piece, unless it had none).
    source_article: Article | None = None

    @property
    def summary_of(self) -> Article:
        """The article whose headline and summary the item shows."""
        return self.source_article or self.pick.article

    def item(self, position: int) -> EditionItem:
        a = self.summary_of
        return EditionItem(
            position=position,
            kind=self.kind,
            category=self.category,
            title=a.title.strip(),
            url=a.url,
            summary=self.summary.text,
            reading_minutes=a.reading_minutes or reading_minutes(article_words(a), a.language),
            article_id=a.id,
            also_read=tuple(
                link
                for link in (
                    Link(self.pick.article.title, self.pick.article.url, source_name(self.pick.article)),
                    *self.pick.also_read,
                )
                if link.url != a.url
            ),
            source=a.source.strip(),
        )


def assemble_edition(
    candidates: Sequence[Article],
    *,
    newsletter: str,
    edition_date: date,
    language: str,
    window: tuple[datetime, datetime],
    rules: EditionRules,
    summarizer: Summarizer,
    now: datetime,
    decisions: Sequence[StoryDecision] = (),
) -> Edition:
    """The edition of ``edition_date`` in ``language`` from the ``candidates`` published in ``window``,
    each story summarised by ``summarizer``; the editor's story ``decisions`` (merge,
    split, "Et enfin": :mod:`digest.editorial.desk`) come in as values.

    An edition with no candidate in the window has no items and status SKIPPED.
    """
    picks = pick_stories(
        candidates,
        language=language,
        start=window[0],
        end=window[1],
        category_weights=rules.category_weights,
        duplicate_similarity=rules.duplicate_similarity,
        category_decay=rules.category_decay,
        decisions=decisions,
    )
    drafts = plan(
        picks,
        language=language,
        rules=rules,
        summarizer=summarizer,
        reserved=masthead_words(newsletter),
        closing=closing_url(decisions),
    )
    items = tuple(d.item(i) for i, d in enumerate(_ordered(drafts, rules.categories)))
    total = edition_words(items, language, newsletter=newsletter)
    return Edition(
        edition_date=edition_date,
        language=language,
        items=items,
        word_count=total,
        reading_minutes=reading_minutes(total, language),
        newsletter=newsletter,
        status=EditionStatus.BUILT if items else EditionStatus.SKIPPED,
        built_at=now,
    )


def plan(
    picks: Sequence[Pick],
    *,
    language: str,
    rules: EditionRules,
    summarizer: Summarizer,
    reserved: int = 0,
    closing: str | None = AUTOMATIC,
) -> list[_Draft]:
    """Choose top stories and briefs within the budget (see the module docstring),
    summarised by ``summarizer``; ``reserved`` words of it are already taken (the masthead).
    ``closing`` is the editor's "Et enfin": the URL of an article of the story that
    closes the edition (light or not), "" for none, None for the day's best light story."""
    budget = rules.budget(language)
    default_category = gettext(language, DEFAULT_CATEGORY)
    drafts: list[_Draft] = []
    sections: set[tuple[ItemKind, str]] = set()
    per_category: Counter[str] = Counter()
    used = reserved

    # One spelling per section: the configured one, else the first met ("sport" and
    # "Sport" are one section).
    spelling = {c.casefold(): c for c in rules.categories}
    for p in picks:
        name = p.article.category.strip() or default_category
        spelling.setdefault(name.casefold(), name)

    def category(p: Pick) -> str:
        return spelling[(p.article.category.strip() or default_category).casefold()]

    def heading_words(kind: ItemKind, cat: str, title: str) -> int:
        """Words a new item of ``kind`` adds around itself: a top story's category and
        its line in "Aujourd'hui" (with the lead's and the list's labels for the first,
        "Les titres" for the second), a brief's category heading and "En bref"."""
        if kind is ItemKind.TOP:
            tops = sum(1 for d in drafts if d.kind is ItemKind.TOP)
            labels = (LEAD_LABEL, TODAY_LABEL) if tops == 0 else (TOP_STORIES_LABEL,) if tops == 1 else ()
            shown = sum(word_count(gettext(language, label)) for label in labels)
            return word_count(cat) + today_words(title) + shown
        if kind is ItemKind.FINALLY:
            return word_count(gettext(language, FINALLY_LABEL))
        n = 0 if (kind, cat) in sections else word_count(cat)
        if not any(k is ItemKind.BRIEF for k, _ in sections):
            n += word_count(gettext(language, BRIEF_LABEL))
        return n

    def floor(pick: Pick, kind: ItemKind, cat: str) -> int:
        """The least ``pick`` can cost as ``kind``: everything but the summary, which
        is at least ``min_sentences`` sentences of the shortest usable length."""
        a = pick.article
        minutes = a.reading_minutes or reading_minutes(article_words(a), a.language)
        n = word_count(a.title) + word_count(item_label(minutes)) + word_count(source_name(a))
        if pick.also:
            n += word_count(gettext(language, ALSO_READ_LABEL)) + sum(word_count(x.title) for x in pick.also)
            n += SOURCES_WORDS
        style = TOP if kind is ItemKind.TOP else BRIEF
        return n + heading_words(kind, cat, a.title) + style.min_sentences * MIN_SENTENCE_WORDS

    def cost(draft: _Draft) -> int:
        item = draft.item(0)
        return item_words(item, language) + heading_words(draft.kind, draft.category, item.title)

    def place(draft: _Draft, n: int) -> None:
        nonlocal used
        drafts.append(draft)
        sections.add((draft.kind, draft.category))
        per_category[draft.category] += 1
        used += n

    # 1. Top stories, in rank order; a story that is capped, too thin or too long
    # waits. The first placed is the lead: a LEAD summary when it has one, else TOP.
    # Trivia is set apart: one of it may close the edition, none is a top story or a brief.
    def closes(p: Pick) -> bool:
        return bool(closing) and closing in {p.article.url, *(a.url for a in p.also)}

    light = [(rank, p) for rank, p in enumerate(picks) if p.light]
    if closing is not AUTOMATIC:  # the editor chose the slot's story, or none
        light = [(rank, p) for rank, p in enumerate(picks) if closes(p)]
    top_cap = max(1, math.floor(rules.top_stories * rules.max_category_share))
    top_limit = budget * TOP_SHARE
    pending: list[tuple[int, Pick]] = []
    remaining = Counter(category(p) for p in picks if not (p.light or closes(p)))
    misses = 0
    for rank, pick in enumerate(picks):
        if pick.light or closes(pick):
            continue
        cat = category(pick)
        remaining[cat] -= 1
        if len(drafts) >= rules.top_stories or misses >= MAX_MISSES or used >= top_limit:
            pending.append((rank, pick))
            continue
        if per_category[cat] >= top_cap and sum(remaining.values()) > remaining[cat]:
            pending.append((rank, pick))
            continue
        if used + floor(pick, ItemKind.TOP, cat) > top_limit:
            misses += 1  # cannot fit whatever its summary: no summary computed
            pending.append((rank, pick))
            continue
        draft = None
        if not drafts:
            lead = _summarised(summarizer, rank, pick, ItemKind.TOP, cat, LEAD)
            if accepts(LEAD, lead.summary) and used + cost(lead) <= top_limit:
                draft = lead
        if draft is None:
            draft = _summarised(summarizer, rank, pick, ItemKind.TOP, cat, TOP)
        n = cost(draft)
        if not accepts(TOP, draft.summary) or used + n > top_limit:
            misses += 1
            pending.append((rank, pick))
            continue
        misses = 0
        place(draft, n)

    # 2. The best light story (or the editor's choice) closes the edition, when it fits in what is left.
    for rank, pick in light[:1]:
        last = _summarised(summarizer, rank, pick, ItemKind.FINALLY, category(pick), BRIEF)
        n = cost(last)
        if last.summary.sentences and used + n <= budget:
            place(last, n)

    # 3. Briefs, in rank order, under the share rule while other categories have
    # stories left; a capped story is reconsidered as soon as the edition grows.
    waiting = Counter(category(p) for _, p in pending)
    misses = 0
    progress = True
    while progress and pending and misses < MAX_MISSES and budget - used >= MIN_BRIEF_WORDS:
        progress = False
        for i, (rank, pick) in enumerate(pending):
            cat = category(pick)
            cap = max(1, math.floor((len(drafts) + 1) * rules.max_category_share))
            if per_category[cat] >= cap and len(pending) > waiting[cat]:
                continue
            del pending[i]
            waiting[cat] -= 1
            progress = True
            if used + floor(pick, ItemKind.BRIEF, cat) > budget:
                misses += 1  # cannot fit whatever its summary: no summary computed
                break
            draft = _summarised(summarizer, rank, pick, ItemKind.BRIEF, cat, BRIEF)
            n = cost(draft)
            if used + n > budget:
                misses += 1
            else:
                misses = 0
                place(draft, n)
            break
    return drafts


def _summarised(summarizer: Summarizer, rank: int, pick: Pick, kind: ItemKind, category: str, style: Style) -> _Draft:
    """The draft of ``pick`` as ``kind``, summarised by ``summarizer`` in ``style`` from the
    reporting article, or from the next of the story's articles that is not an angle when
    it gives none."""
    first = _Draft(rank, pick, kind, category, summarizer.summarize(pick.article, style))
    if accepts(style, first.summary):
        return first
    for other in pick.also:
        if is_angle(other.title, other.category):
            continue
        summary = summarizer.summarize(other, style)
        if accepts(style, summary):
            return _Draft(rank, pick, kind, category, summary, other)
    return first


def _ordered(drafts: Sequence[_Draft], categories: Sequence[str]) -> list[_Draft]:
    """Top stories by importance (rank; the lead first), then briefs by category
    (configured order first, then by best story) and by rank inside a category."""
    configured = {c.casefold(): i for i, c in enumerate(categories)}
    best_rank: dict[str, int] = {}
    for d in drafts:
        best_rank[d.category] = min(best_rank.get(d.category, d.rank), d.rank)

    def key(d: _Draft) -> tuple[int, int, int, int]:
        if d.kind is ItemKind.TOP:
            return (0, 0, 0, d.rank)
        if d.kind is ItemKind.FINALLY:
            return (2, 0, 0, d.rank)
        order = configured.get(d.category.casefold())
        group = (0, order) if order is not None else (1, best_rank[d.category])
        return (1, group[0], group[1], d.rank)

    return sorted(drafts, key=key)
