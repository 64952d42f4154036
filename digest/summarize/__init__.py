"""Extractive summaries of news articles, offline and on CPU (French, English, ...).

``summarize(text, language=...)`` returns whole sentences of the text, in their
order, never page furniture; ``summarize_article(article, ...)`` prefers the
publisher's own standfirst when it fits. Pure: values in, values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from digest.boilerplate import is_boilerplate
from digest.models import Article
from digest.summarize.language import language as get_language
from digest.summarize.scoring import DEFAULT_WEIGHTS, ScoredSentence, Weights, score_sentences, select
from digest.summarize.sentences import Sentence, split_paragraphs, split_sentences
from digest.words import word_count

__all__ = [
    "DEFAULT_WEIGHTS",
    "Sentence",
    "Summary",
    "Weights",
    "article_sentences",
    "is_boilerplate",
    "split_paragraphs",
    "split_sentences",
    "summarize",
    "summarize_article",
]

#: Sentences shorter than this are headings or fragments ("En bref", "OTAN"), not news.
MIN_SENTENCE_WORDS = 3
_NORMALISE = re.compile(r"\W+")


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


def article_sentences(text: str, language: str, *, title: str = "") -> list[Sentence]:
    """The sentences of ``text`` that may appear in a summary.

    Drops page furniture, fragments of fewer than :data:`MIN_SENTENCE_WORDS` words
    and a repeat of the headline; indexes are renumbered so position still counts
    from the first real sentence.
    """
    headline = _normalise(title)
    kept = [
        s
        for s in split_sentences(text, language)
        if word_count(s.text) >= MIN_SENTENCE_WORDS
        and not is_boilerplate(s.text)
        and (not headline or _normalise(s.text) != headline)
    ]
    return [Sentence(s.text, i, s.paragraph) for i, s in enumerate(kept)]


def summarize(
    text: str,
    *,
    language: str,
    title: str = "",
    target_words: int | None = None,
    min_sentences: int = 1,
    max_sentences: int = 3,
    max_words: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Summary:
    """Summarise ``text`` with the sentences that best cover its gist.

    ``target_words`` is the summary length the gist is scaled to (default
    ``weights.expected_words``); the result has at least ``min_sentences`` and at
    most ``max_sentences`` sentences (fewer when the text has fewer), never more
    than ``max_words`` words. Empty when the text has no usable sentence, or when
    none fits in ``max_words``.
    """
    if target_words is not None:
        weights = replace(weights, expected_words=target_words)
    lang = get_language(language)
    sentences = article_sentences(text, language, title=title)
    scored, gist = score_sentences(sentences, lang, title=title, weights=weights)
    chosen = select(scored, gist, min_sentences=min_sentences, max_sentences=max_sentences, max_words=max_words)
    return Summary(tuple(s.sentence.text for s in chosen), "extract")


def summarize_article(
    article: Article,
    *,
    target_words: int | None = None,
    min_sentences: int = 1,
    max_sentences: int = 3,
    max_words: int | None = None,
) -> Summary:
    """Summarise an article, using the publisher's standfirst when it fits.

    The standfirst's leading sentences are used when they fit in ``max_sentences``
    and ``max_words`` and are at least ``min_sentences``; otherwise the body is
    summarised.
    """
    publisher = _publisher_summary(article, max_sentences=max_sentences, max_words=max_words)
    # A one-line standfirst is too thin where two or three sentences are wanted.
    if publisher is not None and len(publisher.sentences) >= min_sentences:
        return publisher
    return summarize(
        article.body,
        language=article.language,
        title=article.title,
        target_words=target_words,
        min_sentences=min_sentences,
        max_sentences=max_sentences,
        max_words=max_words,
    )


def _publisher_summary(article: Article, *, max_sentences: int, max_words: int | None) -> Summary | None:
    if not article.summary.strip():
        return None
    sentences = [s.text for s in article_sentences(article.summary, article.language, title=article.title)]
    out: list[str] = []
    words = 0
    for s in sentences[:max_sentences]:
        n = word_count(s)
        if max_words is not None and words + n > max_words:
            break
        out.append(s)
        words += n
    return Summary(tuple(out), "publisher") if out else None


def _normalise(text: str) -> str:
    return _NORMALISE.sub(" ", text.lower()).strip()


def scored_sentences(text: str, *, language: str, title: str = "") -> list[ScoredSentence]:
    """Every usable sentence of ``text`` with its score parts (for inspection and tests)."""
    scored, _gist = score_sentences(article_sentences(text, language, title=title), get_language(language), title=title)
    return scored
