"""The summary lengths the product sends, one definition for every caller.

The edition asks for a ``TOP`` summary for a top story and a ``BRIEF`` one for an
"En bref" line; ``digest summarize --style`` and ``benchmarks/summaries.py`` use
the same objects, so what is measured and tried out is what readers get.

Leaf module: imports nothing from digest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    """How long a summary may be, in whole sentences and words.

    ``target_words`` is the length a summary keeps to: the scorer's gist is scaled
    to it, and no sentence is added that would take the summary further from it
    (None: the scorer's default gist, no length kept to). ``min_words`` is how long
    a summary with fewer than ``min_sentences`` sentences must be to serve, the
    publisher's standfirst or the article's own sentence (None: never).
    """

    min_sentences: int = 1
    max_sentences: int = 3
    target_words: int | None = None
    max_words: int | None = None
    min_words: int | None = None


#: A top story: about 45 words, in 2-3 whole sentences or in one that says as much
#: (25 words or more), never more than 80.
TOP = Style(min_sentences=2, max_sentences=3, target_words=45, max_words=80, min_words=25)
#: The lead story ("À la une"): the day's first story gets room for its context,
#: about 75 words in 2-5 sentences (or one of 40 words or more), never more than 120.
LEAD = Style(min_sentences=2, max_sentences=5, target_words=75, max_words=120, min_words=40)
#: An "En bref" line: one complete sentence of at most 30 words.
BRIEF = Style(min_sentences=1, max_sentences=1, target_words=25, max_words=30)

#: The styles by the name ``digest summarize --style`` takes.
STYLES: dict[str, Style] = {"lead": LEAD, "top": TOP, "brief": BRIEF}
