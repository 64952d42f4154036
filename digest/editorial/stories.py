"""Group the day's articles into stories: the same event told by several outlets, in other
words, is one story; the day's look-alikes stay apart. Pure: values in, values out.

Articles about the same event from several outlets, in other words, are one
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

The articles come in the order :func:`digest.editorial.pick.pick_stories` gives them (the
piece that reports the news first), so the first article of each story tells it.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError

from digest.editorial.summarize.language import language as get_language
from digest.models import Article
from digest.text.signals import is_angle

if TYPE_CHECKING:
    from digest.editorial.pick import ScoreParts

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


@dataclass
class Story:
    article: Article
    parts: ScoreParts
    also: list[Article] = field(default_factory=list)


def fold_duplicates(stories: list[Story], *, language: str, threshold: float) -> list[Story]:
    """Group articles into stories, the reporting piece first (see the module docstring).

    ``stories`` must be sorted in :func:`_report_key` order, so the first article of each
    story is the one that reports it. An article is compared with every article of the
    stories kept so far (a story told by four outlets is recognised by any of them).
    """
    vectors = fingerprints([s.article for s in stories], language)
    kept: list[Story] = []
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
    story: Story,
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
    text = f"{article.title}\n{article.summary}\n{lead_words(article.body)}"
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


def lead_words(body: str, words: int = LEAD_WORDS) -> str:
    """The first ``words`` words of ``body`` (only its start is split: bodies run long)."""
    return " ".join(body[: words * 12].split()[:words])


def fingerprints(articles: Sequence[Article], language: str) -> list[dict[str, float]]:
    """L2-normalised TF-IDF vectors of title, standfirst and lead, IDF over ``articles``."""
    lang = get_language(language)
    tfs: list[Counter[str]] = []
    for a in articles:
        lead = lead_words(a.body)
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
