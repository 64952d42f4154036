"""Pick the day's stories: the window's articles grouped into stories, each story told by
the piece that reports the news, ranked by news value, categories kept in balance.
Pure: values in, values out.

**Stories.** Articles about the same event from several outlets, in other words, are one
story. Near-duplicates are found by content, not titles: TF-IDF cosine over the content
words (cut to five letters, which conflates inflections at no cost) of title, standfirst
and lead. An article joins a story when it resembles *any* of its articles (not only the
first) by cosine (``duplicate_similarity``), or, failing that, when it is at least
loosely similar (:data:`ANCHOR_SIMILARITY`) and shares :data:`SHARED_ANCHORS` *anchors*
with one of them: figures ("2,25 %", "1,200"; not years or day numbers) and proper names,
at least one of each, or :data:`SHARED_NAMES` names (reports that disagree on a figure).
Look-alikes (the same club, company or town in another event) share a name and some
words but not the event's figures: two articles that each carry :data:`LOOKALIKE_FIGURES`
figures, share none and share at most :data:`LOOKALIKE_NAMES` names stay apart unless
their cosine is :data:`SURE_SIMILARITY` or more. An angle piece (an explainer, an analysis, a question in
the headline: :func:`digest.text.signals.is_angle`) joins the story it resembles most
from :data:`ANGLE_SIMILARITY`, or from :data:`ANGLE_FLOOR` when no other story comes close
(:data:`ANGLE_MARGIN`): it rarely repeats the event's figures or words.

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
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from babel import Locale, UnknownLocaleError

from digest.editorial.summarize.language import language as get_language
from digest.models import Article, Link
from digest.text.signals import hard_news, is_angle, is_trivia
from digest.urls import host_of
from digest.words import word_count

#: Below this many words an article is a stub; kept for :func:`article_words` users.
THIN_WORDS = 50
#: Words of the body (after title and standfirst) that go into the duplicate fingerprint.
LEAD_WORDS = 120
#: Terms kept per fingerprint: the strongest ones carry the similarity and keep 500 candidates fast.
FINGERPRINT_TERMS = 40

DEFAULT_DUPLICATE_SIMILARITY = 0.3
#: Cosine from which shared anchors can make two articles one story, and how many
#: anchors (at least one figure and one name) they must share.
ANCHOR_SIMILARITY = 0.15
SHARED_ANCHORS = 3
#: Or this many proper names and no figure: two reports that disagree on a toll still
#: name the same people and places (look-alikes share one or two: the club, the town).
SHARED_NAMES = 4
#: Look-alikes: two articles with this many figures each and none in common are two
#: events unless their cosine reaches SURE_SIMILARITY.
LOOKALIKE_FIGURES = 2
LOOKALIKE_NAMES = 2
SURE_SIMILARITY = 0.45
#: Cosine from which an angle piece (explainer, analysis) joins the story it resembles most;
#: from ANGLE_FLOOR it joins when that story resembles it ANGLE_MARGIN times more than any other.
ANGLE_SIMILARITY = 0.15
ANGLE_FLOOR = 0.08
ANGLE_MARGIN = 1.5
# A figure: digits with an optional decimal part ("2,25", "1.6", "300 000" is "300", "000").
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
# A proper name: a capitalised word that does not start a sentence or a line.
# (The capital comes first and the context is looked behind at from it, so the regex
# engine scans for capitals instead of trying the look-behinds at every position.)
_NAME = re.compile(
    r"[A-ZÀ-ÖØ-Þ](?<=(?:[^\W\d_][\s\u00a0«“\"'’(]|[,;:][\s\u00a0])[A-ZÀ-ÖØ-Þ])(?<![.!?]\s[A-ZÀ-ÖØ-Þ])[^\W\d_]{2,}"
)
_PERCENT = re.compile(r"[ \u00a0\u202f]?(?:%|per ?cent|pour ?cent)")
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


@dataclass
class _Story:
    article: Article
    parts: ScoreParts
    also: list[Article] = field(default_factory=list)


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
    lead = _lead(article.body, HARD_LEAD_WORDS)
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


def _report_key(story: _Story) -> tuple[bool, bool, float, float, str]:
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
) -> list[Pick]:
    """Group the window's articles into stories and rank them by news value, categories balanced."""
    weights = category_weights or {}
    articles = in_window(candidates, language=language, start=start, end=end)
    stories = [
        _Story(a, score_parts(a, start=start, end=end, category_weight=category_weight(a.category, weights)))
        for a in articles
    ]
    stories.sort(key=_report_key)
    stories = fold_duplicates(stories, language=language, threshold=duplicate_similarity)
    for s in stories:
        p = s.parts
        outlets = len({source_name(a) for a in (s.article, *s.also)})
        recency = max([p.recency, *(_recency(a, start, end) for a in s.also)])
        s.parts = ScoreParts(
            recency, p.hard, p.standfirst, 1.0 - 0.5 ** (outlets - 1), p.category_weight, light=p.light
        )
    return _balance(stories, category_decay)


def fold_duplicates(stories: list[_Story], *, language: str, threshold: float) -> list[_Story]:
    """Group articles into stories, the reporting piece first (see the module docstring).

    ``stories`` must be sorted in :func:`_report_key` order, so the first article of each
    story is the one that reports it. An article is compared with every article of the
    stories kept so far (a story told by four outlets is recognised by any of them).
    """
    vectors = fingerprints([s.article for s in stories], language)
    kept: list[_Story] = []
    group_of: list[int] = []  # member index -> kept story
    members: list[Article] = []
    member_anchors: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    stop = get_language(language).stopwords | _calendar_words(language)

    def facts(m: int) -> tuple[frozenset[str], frozenset[str]]:
        """The anchors of member ``m``, found once."""
        found = member_anchors.get(m)
        if found is None:
            found = member_anchors[m] = anchors(members[m], stop)
        return found

    for story, vec in zip(stories, vectors, strict=True):
        dots: dict[int, float] = {}
        get = dots.get  # a plain dict and a bound get: the hottest loop of a 500-candidate build
        for term, weight in vec.items():
            for m, w in postings.get(term, ()):
                dots[m] = get(m, 0.0) + weight * w
        me = len(members)
        members.append(story.article)
        target = _join(story, dots, threshold, facts, me, group_of)
        if target is None:
            target = len(kept)
            kept.append(story)
        else:
            kept[group_of[target]].also.append(story.article)
            target = group_of[target]
        group_of.append(target)
        for term, weight in vec.items():
            postings[term].append((me, weight))
    return kept


def _join(
    story: _Story,
    dots: dict[int, float],
    threshold: float,
    facts: Callable[[int], tuple[frozenset[str], frozenset[str]]],
    me: int,
    groups: Sequence[int],
) -> int | None:
    """The member whose story ``story`` (member ``me``) joins, or None for a story of its own."""
    angle = is_angle(story.article.title, story.article.category)
    near = sorted((m for m, d in dots.items() if d >= ANCHOR_SIMILARITY), key=lambda m: (-dots[m], m))
    if not near:
        return _angle_home(dots, groups) if angle else None
    mine = facts(me)
    for m in near:
        d = dots[m]
        theirs = facts(m)
        if d >= threshold and (d >= SURE_SIMILARITY or not _lookalike(mine, theirs)):
            return m
        if _same_facts(mine, theirs):
            return m
    if angle:
        return _angle_home(dots, groups)
    return None


def _angle_home(dots: dict[int, float], groups: Sequence[int]) -> int | None:
    """The member whose story an angle piece joins: the most similar story from
    :data:`ANGLE_SIMILARITY`, or from :data:`ANGLE_FLOOR` when no other story comes
    within :data:`ANGLE_MARGIN` of it (similarity per story: its closest member)."""
    best: dict[int, tuple[float, int]] = {}
    for m, d in dots.items():
        g = groups[m]
        if d > best.get(g, (0.0, -1))[0]:
            best[g] = (d, m)
    ranked = sorted(best.values(), reverse=True)
    if not ranked or ranked[0][0] < ANGLE_FLOOR:
        return None
    top, member = ranked[0]
    second = ranked[1][0] if len(ranked) > 1 else 0.0
    return member if top >= ANGLE_SIMILARITY or top >= ANGLE_MARGIN * second else None


def _lookalike(a: tuple[frozenset[str], frozenset[str]], b: tuple[frozenset[str], frozenset[str]]) -> bool:
    """Two articles each with their own figures, none shared, and at most
    :data:`LOOKALIKE_NAMES` names in common: the same club or town in two events (two
    reports of one event that disagree on a toll still share its people and places)."""
    own_figures = len(a[0]) >= LOOKALIKE_FIGURES and len(b[0]) >= LOOKALIKE_FIGURES and not a[0] & b[0]
    return own_figures and len(a[1] & b[1]) <= LOOKALIKE_NAMES


def anchors(article: Article, stopwords: frozenset[str] = frozenset()) -> tuple[frozenset[str], frozenset[str]]:
    """The figures and proper names of an article's title, standfirst and lead.

    Figures are normalised ("2,25" = "2.25"); years (1900-2099) and numbers up to 31
    (days, small counts) say little about which event it is and are left out, unless a
    percent sign follows ("5 %" is the rise, kept as "5%"). Names are lowercased
    capitalised words inside a sentence, stop-words aside.
    """
    text = f"{article.title}\n{article.summary}\n{_lead(article.body)}"
    figures = set()
    for m in _FIGURE.finditer(text):
        figure = m.group().replace(",", ".")
        if _PERCENT.match(text, m.end()):
            figures.add(figure + "%")
            continue
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
    return (figures >= 1 and names >= 1 and figures + names >= SHARED_ANCHORS) or names >= SHARED_NAMES


def _lead(body: str, words: int = LEAD_WORDS) -> str:
    """The first ``words`` words of ``body`` (only its start is split: bodies run long)."""
    return " ".join(body[: words * 12].split()[:words])


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
        parts = ScoreParts(p.recency, p.hard, p.standfirst, p.coverage, p.category_weight, balance, p.light)
        picks.append(Pick(story.article, parts, tuple(story.also)))
        placed[cat] += 1
        if placed[cat] < len(by_category[cat]):
            nxt = by_category[cat][placed[cat]]
            heapq.heappush(heads, (-nxt.parts.total * decay ** placed[cat], nxt.article.url, cat))
    return picks
