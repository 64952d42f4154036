"""Extractive summaries of news articles, offline and on CPU (French, English, ...).

``summarize(text, language=...)`` returns whole sentences of the text, in their
order, never page furniture, never a sentence without the one it leans on, never
cut inside a quotation. ``summarize_story(text, style=TOP, ...)`` and
``summarize_article(article, TOP)`` are what the product sends: the publisher's
standfirst where it is the better summary, else an extract, at the lengths of a
:class:`~digest.editorial.summarize.styles.Style` (``TOP``, ``BRIEF``). Pure: values in,
values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from digest.editorial.summarize.anaphora import leans_back
from digest.editorial.summarize.language import language as get_language
from digest.editorial.summarize.lines import (
    has_credit,
    is_byline,
    is_page_note,
    restates,
    strip_dateline,
    strip_photo_aside,
)
from digest.editorial.summarize.quotes import balanced
from digest.editorial.summarize.scoring import (
    DEFAULT_WEIGHTS,
    FRENCH_WEIGHTS,
    ScoredSentence,
    Weights,
    pick_sentences,
    score_sentences,
    weights_for,
)
from digest.editorial.summarize.sentences import Sentence, iter_sentences, split_paragraphs, split_sentences
from digest.editorial.summarize.styles import BRIEF, LEAD, STYLES, TOP, Style
from digest.models import Article
from digest.text.boilerplate import is_boilerplate
from digest.words import word_count

__all__ = [
    "BRIEF",
    "DEFAULT_WEIGHTS",
    "FRENCH_WEIGHTS",
    "LEAD",
    "STYLES",
    "TOP",
    "Sentence",
    "Style",
    "Summary",
    "Weights",
    "accepts",
    "article_sentences",
    "is_boilerplate",
    "split_paragraphs",
    "split_sentences",
    "standfirst_summary",
    "summarize",
    "summarize_article",
    "summarize_story",
    "weights_for",
]

#: Sentences shorter than this are headings or fragments ("En bref", "OTAN"), not news.
MIN_SENTENCE_WORDS = 3
#: Only the first sentences are scored: with the lead prior's decay of 12 sentences,
#: a word past the 40th weighs under 4% of a lead word, and long pages stay fast.
MAX_SCORED_SENTENCES = 40
_NORMALISE = re.compile(r"\W+")
# A standfirst that sells the article instead of summarising it: cut off ("…"), a
# question, or a call to read on.
_TEASER = re.compile(
    r"(?:…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\])\s*$|\?\s*[»”\"’']?\s*$"
    r"|^\W*(?:découvrez|retrouvez|lisez|regardez|écoutez|find out|discover|read|watch|listen|click)\b",
    re.IGNORECASE,
)
_ENDS_SENTENCE = re.compile(r"[.!…][»”\"’')\]]*\s*$")


@dataclass(frozen=True)
class Summary:
    """A summary: whole sentences, in order, and where they came from."""

    sentences: tuple[str, ...]
    source: str  # "extract" (from the body) or "publisher" (the article's own standfirst)

    @property
    def text(self) -> str:
        """The sentences joined by a space."""
        return " ".join(self.sentences)

    @property
    def words(self) -> int:
        """Number of words, counted like the edition's budget counts them."""
        return sum(word_count(s) for s in self.sentences)


def article_sentences(text: str, language: str, *, title: str = "", limit: int | None = None) -> list[Sentence]:
    """The sentences of ``text`` that may appear in a summary (the first ``limit``).

    Drops page furniture, bylines, captions (a photo credit and the sentence it follows),
    fragments of fewer than :data:`MIN_SENTENCE_WORDS` words and a repeat of the headline;
    cuts datelines ("VELMORA — "); indexes are renumbered so position still counts
    from the first real sentence.
    """
    return _counted_sentences(text, language, title=title, limit=limit)[0]


def _counted_sentences(
    text: str, language: str, *, title: str = "", limit: int | None = None
) -> tuple[list[Sentence], list[int]]:
    """:func:`article_sentences` and the word count of each (counted once, used thrice)."""
    headline = _normalise(title)
    kept: list[Sentence] = []
    counts: list[int] = []
    for s in iter_sentences(text, language):
        if limit is not None and len(kept) >= limit:
            break
        if has_credit(s.text):
            # A caption: the credit, and the sentence of its paragraph it follows.
            if kept and kept[-1].paragraph == s.paragraph:
                kept.pop()
                counts.pop()
            continue
        body = strip_photo_aside(strip_dateline(s.text))
        n = word_count(body)
        if (
            n >= MIN_SENTENCE_WORDS
            and not is_byline(body)
            and not is_boilerplate(body, words=n)
            and not is_page_note(body)
            and (not headline or _normalise(body) != headline)
        ):
            # Renumbered only once something was dropped before it (a frozen dataclass
            # costs a microsecond to build).
            same = s.index == len(kept) and body is s.text
            kept.append(s if same else Sentence(body, len(kept), s.paragraph))
            counts.append(n)
    return kept, counts


def summarize(
    text: str,
    *,
    language: str,
    title: str = "",
    target_words: int | None = None,
    min_sentences: int = 1,
    max_sentences: int = 3,
    max_words: int | None = None,
    min_words: int | None = None,
    weights: Weights | None = None,
) -> Summary:
    """Summarise ``text`` with the sentences that best cover its gist.

    ``target_words`` is the summary length the gist is scaled to (default
    ``weights.expected_words``) and the length the summary keeps to: a sentence
    that would take it further from ``target_words`` than it already is is not
    added. The result has at least ``min_sentences`` sentences, or fewer when they
    already make ``min_words`` words (fewer when the text has fewer), at most
    ``max_sentences``, never more than ``max_words`` words. Empty when the text has
    no usable sentence, or when none fits in ``max_words``. ``weights`` defaults to
    the language's own (:func:`~digest.editorial.summarize.scoring.weights_for`).
    """
    if weights is None:
        weights = weights_for(language)
    if target_words is not None:
        weights = replace(weights, expected_words=target_words)
    lang = get_language(language)
    sentences, words = _counted_sentences(text, language, title=title, limit=MAX_SCORED_SENTENCES)
    scored, gist = score_sentences(sentences, lang, title=title, weights=weights, words=words)
    chosen = pick_sentences(
        scored,
        gist,
        min_sentences=min_sentences,
        max_sentences=max_sentences,
        max_words=max_words,
        min_words=min_words,
        target_words=target_words,
    )
    return Summary(tuple(s.sentence.text for s in chosen), "extract")


def summarize_story(
    text: str,
    *,
    language: str,
    style: Style,
    title: str = "",
    standfirst: str = "",
    weights: Weights | None = None,
) -> Summary:
    """The summary the product sends for a story in ``style``: the publisher's
    ``standfirst`` where it is the better summary (see :func:`standfirst_summary`),
    else the sentences of ``text`` that best cover its gist (scored with ``weights``,
    the language's own by default: the product never passes them, benchmarks/scorer_grid.py does)."""
    publisher = standfirst_summary(standfirst, language=language, style=style, title=title)
    if publisher is not None and not (style.max_sentences == 1 and restates(title, publisher.text)):
        return publisher
    summary = summarize(
        text,
        language=language,
        title=title,
        target_words=style.target_words,
        min_sentences=style.min_sentences,
        max_sentences=style.max_sentences,
        max_words=style.max_words,
        min_words=style.min_words,
        weights=weights,
    )
    if style.max_sentences == 1 and summary.sentences and restates(title, summary.text):
        # A one-line brief that only says its headline again: the next sentence adding a fact.
        for s in article_sentences(text, language, title=title, limit=MAX_SCORED_SENTENCES):
            n = word_count(s.text)
            fits = style.max_words is None or n <= style.max_words
            fresh = s.text != summary.text and not restates(title, s.text)
            if fits and fresh and balanced(s.text) and not leans_back(s.text, language):
                return Summary((s.text,), "extract")
    return summary


def summarize_article(article: Article, style: Style) -> Summary:
    """:func:`summarize_story` for a stored article: its body, headline and standfirst."""
    return summarize_story(
        article.body, language=article.language, style=style, title=article.title, standfirst=article.summary
    )


def accepts(style: Style, summary: Summary) -> bool:
    """True when ``summary`` is long enough for ``style``: ``min_sentences`` sentences,
    or fewer that make at least ``min_words`` words (a standfirst, or an extract
    whose sentence says as much)."""
    if len(summary.sentences) >= style.min_sentences:
        return True
    return bool(summary.sentences) and style.min_words is not None and summary.words >= style.min_words


def standfirst_summary(standfirst: str, *, language: str, style: Style, title: str = "") -> Summary | None:
    """The publisher's standfirst as a summary in ``style``, or None where it is not
    the better one.

    A standfirst is the publisher's own summary, so it wins whenever it is one: it
    ends like a sentence (not on "…", a question or a call to read on), its first
    sentence does not lean on text the reader does not see, its quotations close,
    and it fits ``style``: its leading sentences within ``max_sentences`` and
    ``max_words``, at least ``min_sentences`` of them or ``min_words``
    words. Otherwise the body is summarised.
    """
    stripped = standfirst.strip()
    if not stripped or _TEASER.search(stripped) or not _ENDS_SENTENCE.search(stripped):
        return None
    sentences = [s.text for s in article_sentences(stripped, language, title=title)]
    if not sentences or leans_back(sentences[0], language):
        return None
    out: list[str] = []
    words = 0
    for s in sentences[: style.max_sentences]:
        n = word_count(s)
        if style.max_words is not None and words + n > style.max_words:
            break
        out.append(s)
        words += n
    summary = Summary(tuple(out), "publisher")
    return summary if out and all(balanced(s) for s in out) and accepts(style, summary) else None


def _normalise(text: str) -> str:
    return _NORMALISE.sub(" ", text.lower()).strip()


def scored_sentences(text: str, *, language: str, title: str = "") -> list[ScoredSentence]:
    """Every usable sentence of ``text`` with its score parts (for inspection and tests)."""
    scored, _gist = score_sentences(article_sentences(text, language, title=title), get_language(language), title=title)
    return scored
