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
Python would dominate the time on 500 candidates) of title, standfirst and lead. Two
outlets rarely word the same event alike, but they report the same facts: below the
cosine threshold, a pair still counts as one story when it is at least loosely
similar (:data:`ANCHOR_SIMILARITY`) and shares :data:`SHARED_ANCHORS` *anchors* —
figures ("2,25 %", "1,6 %"; not years or day numbers) and proper names (capitalised
words inside a sentence: "Banque", "Dakar") — at least one of each. The
better-scored article stays, the others become its "Lire aussi" / "Also read" links.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from babel import Locale, UnknownLocaleError

from digest.editorial.summarize.language import language as get_language
from digest.models import Article, Link
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
#: Cosine from which shared anchors can make two articles one story, and how many
#: anchors (at least one figure and one name) they must share.
ANCHOR_SIMILARITY = 0.15
SHARED_ANCHORS = 3
# A figure: digits with an optional decimal part ("2,25", "1.6", "300 000" is "300", "000").
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
# A proper name: a capitalised word that does not start a sentence or a line.
# (The capital comes first and the context is looked behind at from it, so the regex
# engine scans for capitals instead of trying the look-behinds at every position.)
_NAME = re.compile(
    r"[A-ZÀ-ÖØ-Þ](?<=(?:[^\W\d_][\s\u00a0«“\"'’(]|[,;:][\s\u00a0])[A-ZÀ-ÖØ-Þ])(?<![.!?]\s[A-ZÀ-ÖØ-Þ])[^\W\d_]{2,}"
)
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


def pick_stories(
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
    """Leader clustering, best first: a story joins the kept story it resembles most,
    by cosine, or failing that by shared anchors (see the module docstring).

    ``stories`` must be sorted best first, so the kept one of each group is the
    better; comparing with kept stories only (not with every member) avoids chains
    of loosely related stories collapsing into one.
    """
    vectors = fingerprints([s.article for s in stories], language)
    kept: list[_Story] = []
    kept_anchors: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    stop = get_language(language).stopwords | _calendar_words(language)

    def kept_facts(k: int) -> tuple[frozenset[str], frozenset[str]]:
        """The anchors of kept story ``k``, found once."""
        facts = kept_anchors.get(k)
        if facts is None:
            facts = kept_anchors[k] = anchors(kept[k].article, stop)
        return facts

    for story, vec in zip(stories, vectors, strict=True):
        dots: dict[int, float] = {}
        get = dots.get  # a plain dict and a bound get: the hottest loop of a 500-candidate build
        for term, weight in vec.items():
            for k, w in postings.get(term, ()):
                dots[k] = get(k, 0.0) + weight * w
        top = max(dots.values(), default=0.0)
        if dots and top >= threshold:
            # The most similar kept story; on a tie, the first kept (the better one).
            kept[min(k for k, d in dots.items() if d == top)].also.append(story.article)
            continue
        near = sorted((k for k, d in dots.items() if d >= ANCHOR_SIMILARITY), key=lambda k: (-dots[k], k))
        mine = None
        if near:  # anchors only for the few loosely similar pairs: they cost a scan of the text
            mine = anchors(story.article, stop)
            same = next((k for k in near if _same_facts(mine, kept_facts(k))), None)
            if same is not None:
                kept[same].also.append(story.article)
                continue
        index = len(kept)
        kept.append(story)
        if mine is not None:
            kept_anchors[index] = mine
        for term, weight in vec.items():
            postings[term].append((index, weight))
    return kept


def anchors(article: Article, stopwords: frozenset[str] = frozenset()) -> tuple[frozenset[str], frozenset[str]]:
    """The figures and proper names of an article's title, standfirst and lead.

    Figures are normalised ("2,25" = "2.25"); years (1900-2099) and numbers up to 31
    (days, small counts) say little about which event it is and are left out. Names
    are lowercased capitalised words inside a sentence, stop-words aside.
    """
    text = f"{article.title}\n{article.summary}\n{_lead(article.body)}"
    figures = set()
    for m in _FIGURE.finditer(text):
        figure = m.group().replace(",", ".")
        if "." not in figure and (int(figure) <= 31 or 1900 <= int(figure) <= 2099):
            continue
        figures.add(figure)
    names = {n.lower() for n in _NAME.findall(text)}
    return frozenset(figures), frozenset(names - stopwords)


@functools.cache
def _calendar_words(language: str) -> frozenset[str]:
    """Weekday and month names, lowercased: capitalised in English, they name no event."""
    try:
        loc = Locale.parse(language)
    except (ValueError, UnknownLocaleError):
        return frozenset()
    names = [*loc.days["format"]["wide"].values(), *loc.months["format"]["wide"].values()]
    return frozenset(n.lower() for n in names)


def _same_facts(a: tuple[frozenset[str], frozenset[str]], b: tuple[frozenset[str], frozenset[str]]) -> bool:
    """At least :data:`SHARED_ANCHORS` anchors in common, a figure and a name among them."""
    figures, names = len(a[0] & b[0]), len(a[1] & b[1])
    return figures >= 1 and names >= 1 and figures + names >= SHARED_ANCHORS


def _lead(body: str) -> str:
    """The first :data:`LEAD_WORDS` words of ``body`` (only its start is split: bodies run long)."""
    return " ".join(body[: LEAD_WORDS * 12].split()[:LEAD_WORDS])


def fingerprints(articles: Sequence[Article], language: str) -> list[dict[str, float]]:
    """L2-normalised TF-IDF vectors of title, standfirst and lead, IDF over ``articles``."""
    lang = get_language(language)
    tfs: list[Counter[str]] = []
    for a in articles:
        lead = _lead(a.body)
        tfs.append(Counter(lang.prefixes(f"{a.title}\n{a.title}\n{a.summary}\n{lead}")))
    df: Counter[str] = Counter()
    for tf in tfs:
        df.update(tf.keys())
    n = len(tfs)
    # Each term's IDF and each count's TF weight once, not once per article.
    idf = {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in df.items()}
    tf_weight = {c: 1.0 + math.log(c) for c in {c for tf in tfs for c in tf.values()}}
    out = []
    for tf in tfs:
        vec = {t: tf_weight[c] * idf[t] for t, c in tf.items()}
        # The FINGERPRINT_TERMS strongest, ties in order: what heapq.nlargest picks, sooner.
        top = sorted(vec.items(), key=itemgetter(1), reverse=True)[:FINGERPRINT_TERMS]
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
