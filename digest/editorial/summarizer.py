"""The Summarizer port: what the edition build needs from a summariser, and the
extractive one, its first implementation. Pure: values in, values out.

:func:`digest.editorial.plan.assemble_edition` asks a :class:`Summarizer` for each
story it may place, in the style of its slot (``LEAD``, ``TOP``, ``BRIEF``), and keeps
the summary only if :func:`digest.editorial.summarize.accepts` it. Which summariser a
newsletter uses is ``[summarize] backend``, resolved once, by
:func:`digest.daily.build.summarizer_for`; another backend is another class with the
same ``summarize`` method, registered there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from digest.editorial.summarize import Style, Summary, summarize_article
from digest.models import Article


class Summarizer(Protocol):
    """Summarises one article in one style. Must be pure as seen by the build: the
    same article and style give the same summary within an edition."""

    def summarize(self, article: Article, style: Style) -> Summary:
        """The summary of ``article`` at the lengths of ``style``, in the article's language."""
        ...


@dataclass(frozen=True)
class ExtractiveSummarizer:
    """Whole sentences of the article (or the publisher's standfirst), offline, on CPU:
    :func:`digest.editorial.summarize.summarize_article`."""

    def summarize(self, article: Article, style: Style) -> Summary:
        """See :func:`digest.editorial.summarize.summarize_article`."""
        return summarize_article(article, style)


#: The default summariser (``[summarize] backend = "extractive"``).
EXTRACTIVE = ExtractiveSummarizer()
