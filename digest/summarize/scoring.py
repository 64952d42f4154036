"""Which of an article's sentences make its summary: coverage of the article's gist.

News is written top-down and repeats what matters, so the words a good summary
uses are the words the article uses often and early. The scorer builds that
*gist*: a bag of words where every word of sentence *i* counts
``exp(-i / position_decay)`` (the lead prior), less for words inside quotations
(``quote_penalty``: a summary reports, it rarely quotes), stop-words at
``stopword_weight``, and the headline as ``title_weight`` lead sentences. Scaled to
``expected_words``, the gist is what an editor's summary of that length is expected
to contain.

Selection is greedy: add the sentence that most raises the F-measure between the
summary's words and the gist, where a word is only worth what the gist still lacks
(counts are clipped, so a sentence repeating the summary brings nothing: the
redundancy removal MMR gives, without a separate weight); stop when no sentence
raises it. Long sentences pay through the precision side, fragments and
quote-only sentences are held back, and sentences come out in article order.

Tuned on the first 500 articles of the OrangeSum test split; benchmarks/summaries.py
reports the whole split beside the Lead baselines.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from digest.summarize.language import Language
from digest.summarize.sentences import Sentence
from digest.words import word_count


@dataclass(frozen=True)
class Weights:
    """Tunable constants of the scorer (see the module docstring)."""

    position_decay: float = 12.0  # sentences; the lead prior is exp(-index / decay)
    expected_words: int = 30  # length of the gist, in words (OrangeSum's abstracts: 32)
    stopword_weight: float = 0.3
    quote_penalty: float = 0.5  # a word's weight *= 1 - quote_penalty * (sentence's quoted share)
    title_weight: float = 2.0  # the headline counts as this many lead sentences
    mostly_quoted: float = 0.7  # above this quoted share, a sentence is a last resort
    anaphora_factor: float = 0.7  # opening on "Il", "Mais", "This"... without the sentence before


DEFAULT_WEIGHTS = Weights()

# Openers that lean on the previous sentence; out of context they confuse a reader.
_ANAPHORA = {
    "fr": re.compile(
        r"^\W*(?:il|elle|ils|elles|cet|cette|ces|celui|celle|ceux|cela|ça|mais|pourtant|cependant|toutefois"
        r"|en revanche|par ailleurs|de plus|lui|d'autant|d’autant|selon lui|selon elle)\b",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"^\W*(?:he|she|they|it|these|those|his|her|their|its|but|however|also|meanwhile|moreover)\b",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence with the numbers selection uses, for inspection and tests.

    ``position`` is the lead prior, ``quoted`` the share of the sentence inside
    quotation marks, ``coverage`` the share of the gist the sentence alone covers,
    ``penalty`` the factor applied to its gain (1.0 for none).
    """

    sentence: Sentence
    words: int  # as the edition's budget counts them (digest.words)
    tokens: tuple[str, ...]
    position: float
    quoted: float
    coverage: float
    penalty: float


@dataclass(frozen=True)
class Gist:
    """Expected count of each token in a summary of ``expected_words`` words."""

    expected: dict[str, float]
    expected_words: int


def quoted_share(text: str) -> float:
    """Share of ``text``'s characters inside « », “ ” or straight double quotes."""
    inside = 0
    depth = 0
    straight = False
    for ch in text:
        if ch in "«“":
            depth += 1
        elif ch in "»”":
            depth = max(0, depth - 1)
        elif ch == '"':
            straight = not straight
        elif depth or straight:
            inside += 1
    return inside / len(text) if text else 0.0


def score_sentences(
    sentences: Sequence[Sentence], lang: Language, *, title: str = "", weights: Weights = DEFAULT_WEIGHTS
) -> tuple[list[ScoredSentence], Gist]:
    """Token each sentence, build the article's gist, and score each sentence against it."""
    tokens = [lang.tokens(s.text) for s in sentences]
    quoted = [quoted_share(s.text) for s in sentences]
    positions = [math.exp(-s.index / weights.position_decay) for s in sentences]

    mass: dict[str, float] = {}
    stop = lang.stopwords
    for toks, q, pos in zip(tokens, quoted, positions, strict=True):
        w = pos * (1.0 - weights.quote_penalty * q)
        for t in toks:
            mass[t] = mass.get(t, 0.0) + (w * weights.stopword_weight if t in stop else w)
    if title:
        for t in lang.tokens(title):
            mass[t] = mass.get(t, 0.0) + weights.title_weight * (weights.stopword_weight if t in stop else 1.0)
    total = sum(mass.values())
    scale = weights.expected_words / total if total else 0.0
    gist = Gist({t: v * scale for t, v in mass.items()}, weights.expected_words)

    anaphora = _ANAPHORA.get(lang.code)
    out = []
    for s, toks, q, pos in zip(sentences, tokens, quoted, positions, strict=True):
        covered = _gain(Counter(toks), Counter(), gist.expected)
        penalty = 1.0
        if q > weights.mostly_quoted:
            penalty = 0.0
        if anaphora is not None and s.index > 0 and anaphora.match(s.text):
            penalty *= weights.anaphora_factor
        out.append(
            ScoredSentence(s, word_count(s.text), tuple(toks), pos, q, covered / weights.expected_words, penalty)
        )
    return out, gist


def select(
    scored: Sequence[ScoredSentence],
    gist: Gist,
    *,
    min_sentences: int = 1,
    max_sentences: int = 3,
    max_words: int | None = None,
) -> list[ScoredSentence]:
    """Greedily pick the sentences that best cover the gist (see the module docstring).

    Stops when no sentence raises the F-measure, once ``min_sentences`` are in;
    never more than ``max_sentences`` nor ``max_words`` words. Sentences with a
    zero penalty factor (mostly quotation) are taken only when nothing else is
    left. Returned in article order.
    """
    counts = [Counter(s.tokens) for s in scored]
    chosen: list[int] = []
    have: Counter[str] = Counter()
    overlap = 0.0
    length = 0
    words = 0
    best_f = 0.0
    expected = gist.expected
    target = gist.expected_words
    while len(chosen) < max_sentences:
        pick, pick_f, pick_gain, fallback = -1, -math.inf, 0.0, -1
        for i, s in enumerate(scored):
            if i in chosen or (max_words is not None and words + s.words > max_words) or not s.tokens:
                continue
            if s.penalty <= 0.0:
                fallback = i if fallback < 0 else fallback
                continue
            gain = _gain(counts[i], have, expected) * s.penalty
            f = 2.0 * (overlap + gain) / (length + len(s.tokens) + target)
            if f > pick_f:
                pick, pick_f, pick_gain = i, f, gain
        if pick < 0:
            pick = fallback
            if pick < 0 or chosen:
                break
            pick_gain = _gain(counts[pick], have, expected)
            pick_f = 2.0 * pick_gain / (len(scored[pick].tokens) + target)
        if pick_f <= best_f and len(chosen) >= min_sentences:
            break
        chosen.append(pick)
        have.update(counts[pick])
        overlap += pick_gain
        length += len(scored[pick].tokens)
        words += scored[pick].words
        best_f = max(best_f, pick_f)
    return [scored[i] for i in sorted(chosen)]


def _gain(add: Counter[str], have: Counter[str], expected: dict[str, float]) -> float:
    """How much of the gist ``add`` covers that ``have`` does not already cover."""
    gain = 0.0
    for t, c in add.items():
        e = expected.get(t)
        if e:
            h = have.get(t, 0)
            if h < e:
                gain += min(h + c, e) - h
    return gain
