"""Pick the day's stories: candidates in the window, ranked by a transparent score,
near-duplicates folded together, categories kept in balance. Pure: values in, values out.

Every article gets a score made of parts a person can read back (:class:`ScoreParts`):

* ``recency``: 1.0 at the end of the window, falling linearly to 0.0 at its start;
* ``substance``: how much there is to read, log-scaled between
  :data:`THIN_WORDS` (0.0) and :data:`FULL_WORDS` (1.0) words;
* ``standfirst``: 1.0 when the publisher wrote its own summary (a sign of an edited
  piece, and a ready-made summary);
* ``coverage``: other outlets or URLs reporting the same story (1 - 0.5^n): a story
  several newsrooms cover matters more;
* ``category_weight``: the editor's multiplier from ``[newsletter] category_weights``;
* ``balance``: ``category_decay`` to the power of the number of stories of that
  category ranked before it, so one section cannot take the whole briefing.

Near-duplicates are found by content, not titles: TF-IDF cosine over the content
words (cut to five letters, which conflates inflections at no cost: Snowball in pure
Python would dominate the time on 500 candidates) of title, standfirst and lead. The better-scored article stays, the
others become its "Lire aussi" / "Also read" links.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from digest.models import Article, Link
from digest.summarize.language import language as get_language
from digest.urls import host_of
from digest.words import word_count

#: Below this many words an article is a stub (substance 0); from FULL_WORDS on, a full piece (1).
THIN_WORDS = 50
FULL_WORDS = 800
#: Words of the body (after title and standfirst) that go into the duplicate fingerprint.
LEAD_WORDS = 120
#: Terms kept per fingerprint: the strongest ones carry the similarity and keep 500 candidates fast.
FINGERPRINT_TERMS = 40

DEFAULT_DUPLICATE_SIMILARITY = 0.3
DEFAULT_CATEGORY_DECAY = 0.7

# How the parts add up (they sum to 1, so a base score is between 0 and 1).
RECENCY_WEIGHT = 0.35
SUBSTANCE_WEIGHT = 0.35
STANDFIRST_WEIGHT = 0.15
COVERAGE_WEIGHT = 0.15


@dataclass(frozen=True)
class ScoreParts:
    """The parts of an article's score (see the module docstring)."""

    recency: float
    substance: float
    standfirst: float
    coverage: float = 0.0
    category_weight: float = 1.0
    balance: float = 1.0

    @property
    def base(self) -> float:
        """What the article is worth on its own, between 0 and 1."""
        return (
            RECENCY_WEIGHT * self.recency
            + SUBSTANCE_WEIGHT * self.substance
            + STANDFIRST_WEIGHT * self.standfirst
            + COVERAGE_WEIGHT * self.coverage
        )

    @property
    def total(self) -> float:
        """The ranking score: base x category weight x balance."""
        return self.base * self.category_weight * self.balance

    def describe(self) -> str:
        """One line for people: "0.71 = (recency 0.90, substance 0.80, ...) x 1.2 x 0.70"."""
        return (
            f"{self.total:.2f} = (recency {self.recency:.2f}, substance {self.substance:.2f}, "
            f"standfirst {self.standfirst:.0f}, coverage {self.coverage:.2f}) "
            f"x weight {self.category_weight:.2f} x balance {self.balance:.2f}"
        )


@dataclass(frozen=True)
class Pick:
    """A story chosen for the edition: its best article, why, and the duplicates folded in."""

    article: Article
    parts: ScoreParts
    also: tuple[Article, ...] = ()

    @property
    def score(self) -> float:
        """The ranking score."""
        return self.parts.total

    @property
    def also_read(self) -> tuple[Link, ...]:
        """The folded duplicates as "Lire aussi" links."""
        return tuple(Link(a.title, a.url, source_name(a)) for a in self.also)


@dataclass
class _Story:
    article: Article
    parts: ScoreParts
    also: list[Article] = field(default_factory=list)


def source_name(article: Article) -> str:
    """The outlet's name, else the URL's host without "www."."""
    if article.source:
        return article.source
    return host_of(article.url)


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
    """Recency, substance and standfirst of one article (coverage and balance come later)."""
    span = (end - start).total_seconds()
    age = (end - article.published_at).total_seconds()
    recency = min(1.0, max(0.0, 1.0 - age / span)) if span > 0 else 1.0
    words = article_words(article)
    substance = min(1.0, max(0.0, math.log(max(words, 1) / THIN_WORDS) / math.log(FULL_WORDS / THIN_WORDS)))
    standfirst = 1.0 if article.summary.strip() else 0.0
    return ScoreParts(recency, substance, standfirst, category_weight=category_weight)


def category_weight(category: str, weights: Mapping[str, float]) -> float:
    """The configured multiplier for ``category`` (case-insensitive), 1.0 when absent."""
    if category in weights:
        return weights[category]
    folded = category.casefold()
    for name, value in weights.items():
        if name.casefold() == folded:
            return value
    return 1.0


def select(
    candidates: Sequence[Article],
    *,
    language: str,
    start: datetime,
    end: datetime,
    category_weights: Mapping[str, float] | None = None,
    duplicate_similarity: float = DEFAULT_DUPLICATE_SIMILARITY,
    category_decay: float = DEFAULT_CATEGORY_DECAY,
) -> list[Pick]:
    """Rank the window's stories, best first, duplicates folded, categories balanced."""
    weights = category_weights or {}
    articles = in_window(candidates, language=language, start=start, end=end)
    stories = [
        _Story(a, score_parts(a, start=start, end=end, category_weight=category_weight(a.category, weights)))
        for a in articles
    ]
    stories.sort(key=lambda s: (-s.parts.base, -s.article.published_at.timestamp(), s.article.url))
    stories = fold_duplicates(stories, language=language, threshold=duplicate_similarity)
    for s in stories:
        n = len(s.also)
        s.parts = ScoreParts(
            s.parts.recency, s.parts.substance, s.parts.standfirst, 1.0 - 0.5**n, s.parts.category_weight
        )
    return _balance(stories, category_decay)


def fold_duplicates(stories: list[_Story], *, language: str, threshold: float) -> list[_Story]:
    """Leader clustering, best first: a story joins the first kept story it resembles.

    ``stories`` must be sorted best first, so the kept one of each group is the
    better; comparing with kept stories only (not with every member) avoids chains
    of loosely related stories collapsing into one.
    """
    vectors = fingerprints([s.article for s in stories], language)
    kept: list[_Story] = []
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for story, vec in zip(stories, vectors, strict=True):
        dots: dict[int, float] = defaultdict(float)
        for term, weight in vec.items():
            for k, w in postings.get(term, ()):
                dots[k] += weight * w
        best = max(dots.items(), key=lambda kv: (kv[1], -kv[0]), default=None)
        if best is not None and best[1] >= threshold:
            kept[best[0]].also.append(story.article)
            continue
        index = len(kept)
        kept.append(story)
        for term, weight in vec.items():
            postings[term].append((index, weight))
    return kept


def fingerprints(articles: Sequence[Article], language: str) -> list[dict[str, float]]:
    """L2-normalised TF-IDF vectors of title, standfirst and lead, IDF over ``articles``."""
    lang = get_language(language)
    tfs = []
    for a in articles:
        lead = " ".join(a.body.split()[:LEAD_WORDS])
        tf: dict[str, int] = defaultdict(int)
        for term in lang.prefixes(f"{a.title}\n{a.title}\n{a.summary}\n{lead}"):
            tf[term] += 1
        tfs.append(tf)
    df: dict[str, int] = defaultdict(int)
    for tf in tfs:
        for term in tf:
            df[term] += 1
    n = len(tfs)
    out = []
    for tf in tfs:
        vec = {t: (1.0 + math.log(c)) * (math.log((n + 1) / (df[t] + 1)) + 1.0) for t, c in tf.items()}
        top = heapq.nlargest(FINGERPRINT_TERMS, vec.items(), key=lambda kv: kv[1])
        norm = math.sqrt(sum(v * v for _, v in top)) or 1.0
        out.append({t: v / norm for t, v in top})
    return out


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two normalised fingerprints."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def _balance(stories: list[_Story], decay: float) -> list[Pick]:
    """Order stories by score x decay^(stories of the category already placed)."""
    by_category: dict[str, list[_Story]] = defaultdict(list)
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
        parts = ScoreParts(p.recency, p.substance, p.standfirst, p.coverage, p.category_weight, balance)
        picks.append(Pick(story.article, parts, tuple(story.also)))
        placed[cat] += 1
        if placed[cat] < len(by_category[cat]):
            nxt = by_category[cat][placed[cat]]
            heapq.heappush(heads, (-nxt.parts.total * decay ** placed[cat], nxt.article.url, cat))
    return picks
