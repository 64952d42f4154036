"""Pick the day's stories: the window's articles grouped into stories, each story told by
the piece that reports the news, ranked by news value, categories kept in balance.
Pure: values in, values out.

**Stories.** Articles about the same event from several outlets, in other words, are one
story, look-alikes kept apart: :mod:`digest.editorial.stories`.

**Which article tells the story.** The piece that reports the news: not an angle, most
hard-news signals (:func:`digest.text.signals.hard_news`), a publisher standfirst, then the
first published. The others become its "Lire aussi" / "Also read" links.

**News value.** Every story gets a score whose parts a person can read back
(:class:`ScoreParts`), none of them the article's length:

* ``coverage``: outlets reporting the story, 1 - 0.5^(outlets - 1) (one outlet 0, two 0.5,
  four 0.875): what several newsrooms cover matters more;
* ``hard``: hard-news signals of the reporting piece (officials, figures, casualties,
  decisions, services changing on a day), 0 to 1;
* ``recency``: of the story's latest article, 1.0 at the end of the window, 0.0 at its start;
* ``standfirst``: 1.0 when the reporting piece has the publisher's own summary;
* ``category_weight``: the reader's and editor's topics, ``[newsletter] category_weights``;
* ``balance``: ``category_decay`` to the power of the stories of that category ranked
  before it, so one section cannot take the whole briefing;
* ``light``: trivia (recipes, horoscopes, outfits, listicles, lost pets:
  :func:`digest.text.signals.is_trivia`) is multiplied by :data:`LIGHT_FACTOR` and flagged,
  so the edition never makes it a top story (at most one closes the edition, "Et enfin").

The weights (:data:`COVERAGE_WEIGHT`, :data:`HARD_WEIGHT`, :data:`RECENCY_WEIGHT`,
:data:`STANDFIRST_WEIGHT`) were chosen on development days only: the fixture days in
tests/fixtures/newsday and tests/fixtures/briefing and the bundled demo sample. Coverage
and hard news carry the ranking; recency breaks ties between equally important stories
(with a weight of 0.3 or more, a theatre reopening published at 05:00 outranked a
3-outlet rate cut from the day before on the newsday fixture); the standfirst is a small
sign of an edited piece.
"""

from __future__ import annotations

import functools
import heapq
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from digest.editorial.desk import regroup
from digest.editorial.stories import (
    DEFAULT_DUPLICATE_SIMILARITY,
    Story,
    anchors,
    fingerprints,
    fold_duplicates,
    lead_words,
    similarity,
)
from digest.models import Article, Link, StoryDecision
from digest.text.signals import hard_news, is_angle, is_trivia
from digest.urls import host_of
from digest.words import word_count

__all__ = [
    "DEFAULT_CATEGORY_DECAY",
    "DEFAULT_DUPLICATE_SIMILARITY",
    "Pick",
    "ScoreParts",
    "anchors",
    "article_words",
    "category_weight",
    "fingerprints",
    "in_window",
    "pick_stories",
    "score_parts",
    "similarity",
    "source_name",
]

#: Below this many words an article is a stub; kept for :func:`article_words` users.
THIN_WORDS = 50
DEFAULT_CATEGORY_DECAY = 0.7

# How the parts add up (they sum to 1, so a base score is between 0 and 1). Chosen on
# the development days (see the module docstring).
COVERAGE_WEIGHT = 0.45
HARD_WEIGHT = 0.35
RECENCY_WEIGHT = 0.15
STANDFIRST_WEIGHT = 0.05
#: What trivia keeps of its score: below any hard-news story of the day.
LIGHT_FACTOR = 0.2


@dataclass(frozen=True)
class ScoreParts:
    """The parts of a story's score (see the module docstring)."""

    recency: float
    hard: float
    standfirst: float
    coverage: float = 0.0
    category_weight: float = 1.0
    balance: float = 1.0
    light: bool = False

    @property
    def base(self) -> float:
        """What the story is worth on its own, between 0 and 1 (trivia: a fifth of it)."""
        value = (
            RECENCY_WEIGHT * self.recency
            + HARD_WEIGHT * self.hard
            + STANDFIRST_WEIGHT * self.standfirst
            + COVERAGE_WEIGHT * self.coverage
        )
        return value * LIGHT_FACTOR if self.light else value

    @property
    def total(self) -> float:
        """The ranking score: base x category weight x balance."""
        return self.base * self.category_weight * self.balance

    def describe(self) -> str:
        """One line for people: "0.71 = (coverage 0.50, hard 0.75, ...) x 1.2 x 0.70"."""
        light = " x light" if self.light else ""
        return (
            f"{self.total:.2f} = (coverage {self.coverage:.2f}, hard {self.hard:.2f}, "
            f"recency {self.recency:.2f}, standfirst {self.standfirst:.0f}){light} "
            f"x weight {self.category_weight:.2f} x balance {self.balance:.2f}"
        )


@dataclass(frozen=True)
class Pick:
    """A story chosen for the edition: the article that reports it, why, and the others folded in."""

    article: Article
    parts: ScoreParts
    also: tuple[Article, ...] = ()

    @property
    def score(self) -> float:
        """The ranking score."""
        return self.parts.total

    @property
    def light(self) -> bool:
        """Trivia: never a top story; at most one closes the edition."""
        return self.parts.light

    @property
    def outlets(self) -> int:
        """How many outlets report the story ("3 sources")."""
        return len({source_name(a) for a in (self.article, *self.also)})

    @property
    def also_read(self) -> tuple[Link, ...]:
        """The folded articles as "Lire aussi" links."""
        return tuple(Link(a.title, a.url, source_name(a)) for a in self.also)


def source_name(article: Article) -> str:
    """The outlet's name, else the URL's host without "www."."""
    if article.source:
        return article.source
    return _host(article.url)


#: Hosts parsed once per URL: a story's outlets are counted on every build.
_host = functools.lru_cache(maxsize=4096)(host_of)


def article_words(article: Article) -> int:
    """The stored word count, else the body's words (:func:`digest.words.word_count`)."""
    return article.word_count or word_count(article.body)


def in_window(candidates: Sequence[Article], *, language: str, start: datetime, end: datetime) -> list[Article]:
    """Articles in ``language`` with ``start <= published_at < end``; one per URL (the latest)."""
    by_url: dict[str, Article] = {}
    for a in candidates:
        if a.language.lower() != language.lower() or not start <= a.published_at < end:
            continue
        seen = by_url.get(a.url)
        if seen is None or a.published_at > seen.published_at:
            by_url[a.url] = a
    return list(by_url.values())


def score_parts(article: Article, *, start: datetime, end: datetime, category_weight: float = 1.0) -> ScoreParts:
    """Recency, hard news, standfirst and lightness of one article (coverage and balance come later)."""
    recency = _recency(article, start, end)
    lead = lead_words(article.body, HARD_LEAD_WORDS)
    hard = hard_news(f"{article.title}\n{article.summary}\n{lead}")
    if is_angle(article.title, article.category):
        hard /= 2  # it discusses the news; the report carries it
    standfirst = 1.0 if article.summary.strip() else 0.0
    light = is_trivia(article.title, article.category, lead)
    return ScoreParts(recency, hard, standfirst, category_weight=category_weight, light=light)


def _recency(article: Article, start: datetime, end: datetime) -> float:
    """1.0 at the end of the window, 0.0 at its start."""
    span = (end - start).total_seconds()
    age = (end - article.published_at).total_seconds()
    return min(1.0, max(0.0, 1.0 - age / span)) if span > 0 else 1.0


#: Words of the body read for hard-news signals: the news is in the first sentences.
HARD_LEAD_WORDS = 60


def _report_key(story: Story) -> tuple[bool, bool, float, float, str]:
    """Order in which articles become a story's reporting piece: reports before angles
    and trivia, then hard news, a standfirst, the first published."""
    a, p = story.article, story.parts
    return (is_angle(a.title, a.category), p.light, -(p.hard + 0.1 * p.standfirst), a.published_at.timestamp(), a.url)


def category_weight(category: str, weights: Mapping[str, float]) -> float:
    """The configured multiplier for ``category`` (case-insensitive), 1.0 when absent."""
    if category in weights:
        return weights[category]
    folded = category.casefold()
    for name, value in weights.items():
        if name.casefold() == folded:
            return value
    return 1.0


def pick_stories(
    candidates: Sequence[Article],
    *,
    language: str,
    start: datetime,
    end: datetime,
    category_weights: Mapping[str, float] | None = None,
    duplicate_similarity: float = DEFAULT_DUPLICATE_SIMILARITY,
    category_decay: float = DEFAULT_CATEGORY_DECAY,
    decisions: Sequence[StoryDecision] = (),
) -> list[Pick]:
    """Group the window's articles into stories and rank them by news value, categories
    balanced; the editor's merges and splits (``decisions``) regroup them before they are
    ranked (:func:`digest.editorial.desk.regroup`)."""
    weights = category_weights or {}
    articles = in_window(candidates, language=language, start=start, end=end)
    stories = [
        Story(a, score_parts(a, start=start, end=end, category_weight=category_weight(a.category, weights)))
        for a in articles
    ]
    stories.sort(key=_report_key)
    own_parts = {s.article.url: s.parts for s in stories}
    stories = fold_duplicates(stories, language=language, threshold=duplicate_similarity)
    if decisions:
        stories = regroup(stories, decisions, own_parts)
    for s in stories:
        p = s.parts
        outlets = len({source_name(a) for a in (s.article, *s.also)})
        recency = max([p.recency, *(_recency(a, start, end) for a in s.also)])
        s.parts = ScoreParts(
            recency, p.hard, p.standfirst, 1.0 - 0.5 ** (outlets - 1), p.category_weight, light=p.light
        )
    return _balance(stories, category_decay)


def _balance(stories: list[Story], decay: float) -> list[Pick]:
    """Order stories by score x decay^(stories of the category already placed)."""
    by_category: dict[str, list[Story]] = defaultdict(list)
    for s in stories:
        by_category[s.article.category.casefold()].append(s)
    for group in by_category.values():
        group.sort(key=lambda s: (-s.parts.total, s.article.url))
    placed: dict[str, int] = defaultdict(int)
    heads = [(-group[0].parts.total, group[0].article.url, cat) for cat, group in by_category.items()]
    heapq.heapify(heads)
    picks: list[Pick] = []
    while heads:
        _neg, _url, cat = heapq.heappop(heads)
        story = by_category[cat][placed[cat]]
        balance = decay ** placed[cat]
        p = story.parts
        parts = ScoreParts(p.recency, p.hard, p.standfirst, p.coverage, p.category_weight, balance, p.light)
        picks.append(Pick(story.article, parts, tuple(story.also)))
        placed[cat] += 1
        if placed[cat] < len(by_category[cat]):
            nxt = by_category[cat][placed[cat]]
            heapq.heappush(heads, (-nxt.parts.total * decay ** placed[cat], nxt.article.url, cat))
    return picks
