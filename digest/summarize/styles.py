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

    ``target_words`` is the length the scorer's gist is scaled to (None: the
    scorer's default); ``min_standfirst_words`` is how long a publisher's
    standfirst must be to stand in for a summary with fewer than
    ``min_sentences`` sentences (None: never).
    """

    min_sentences: int = 1
    max_sentences: int = 3
    target_words: int | None = None
    max_words: int | None = None
    min_standfirst_words: int | None = None


#: A top story: 2-3 sentences of about 45 words, never more than 80; a standfirst
#: of a single sentence serves when it says as much (25 words or more).
TOP = Style(min_sentences=2, max_sentences=3, target_words=45, max_words=80, min_standfirst_words=25)
#: An "En bref" line: one complete sentence of at most 30 words.
BRIEF = Style(min_sentences=1, max_sentences=1, target_words=25, max_words=30)

#: The styles by the name ``digest summarize --style`` takes.
STYLES: dict[str, Style] = {"top": TOP, "brief": BRIEF}
