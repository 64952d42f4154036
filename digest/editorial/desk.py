"""The editor's decisions on the day's stories, applied to the build. Pure: values in,
values out.

A decision (:class:`digest.models.StoryDecision`) names stories by the URL of any of
their articles, so it holds whatever positions a rebuild gives them:

* MERGE: the story holding ``other`` joins the story holding ``url``; the first keeps
  its reporting piece (headline, summary), the second's articles become its "Lire
  aussi" sources;
* SPLIT: the story holding ``url`` goes back to one story per article;
* FINALLY / NO_FINALLY: which story closes the edition in the "Et enfin" slot (the last
  such decision counts), or none.

Merges and splits are applied in the order they were made, on the stories as
:func:`digest.editorial.stories.fold_duplicates` grouped them (:func:`regroup`);
:func:`closing_url` tells :func:`digest.editorial.plan.plan` the slot's story; :func:`unkept`
says which decisions a built edition does not show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from digest.editorial.stories import Story
from digest.models import EditionItem, ItemKind, StoryChange, StoryDecision

if TYPE_CHECKING:
    from digest.editorial.pick import ScoreParts

#: :func:`closing_url`'s answer when the editor did not decide: the build's own choice.
AUTOMATIC = None


def _urls(story: Story) -> set[str]:
    return {a.url for a in (story.article, *story.also)}


def regroup(stories: list[Story], decisions: Sequence[StoryDecision], parts: Mapping[str, ScoreParts]) -> list[Story]:
    """``stories`` with the editor's merges and splits applied in order. ``parts`` gives
    each article's own score parts by URL (a split article becomes a story of its own).
    A decision naming an article no story holds changes nothing here (:func:`unkept`
    reports it)."""
    out = list(stories)

    def holding(url: str) -> int | None:
        return next((n for n, s in enumerate(out) if url in _urls(s)), None)

    for d in decisions:
        if d.what is StoryChange.MERGE:
            first, second = holding(d.url), holding(d.other)
            if first is None or second is None or first == second:
                continue
            absorbed = out[second]
            out[first].also.extend([absorbed.article, *absorbed.also])
            del out[second]
        elif d.what is StoryChange.SPLIT:
            at = holding(d.url)
            if at is None or not out[at].also:
                continue
            story = out[at]
            alone = [Story(a, parts[a.url]) for a in story.also if a.url in parts]
            story.also = []
            out[at + 1 : at + 1] = alone
    return out


def closing_url(decisions: Sequence[StoryDecision]) -> str | None:
    """The URL of the story the editor put in the "Et enfin" slot, "" when they left it
    empty, :data:`AUTOMATIC` (None) when they did not decide."""
    slot = [d for d in decisions if d.what in (StoryChange.FINALLY, StoryChange.NO_FINALLY)]
    if not slot:
        return AUTOMATIC
    last = slot[-1]
    return last.url if last.what is StoryChange.FINALLY else ""


def item_urls(item: EditionItem) -> set[str]:
    """The URLs of an item's articles: its own and its "Lire aussi" links."""
    return {item.url, *(link.url for link in item.also_read)}


def unkept(items: Sequence[EditionItem], decisions: Sequence[StoryDecision]) -> list[StoryDecision]:
    """The decisions the built ``items`` do not show: a merge whose two articles are not
    one story, a split story no longer in the edition, another story (or none) in the
    "Et enfin" slot than the editor's. Decisions a later one undid are not counted."""
    shown = [item_urls(i) for i in items]
    finale = next((item_urls(i) for i in items if i.kind is ItemKind.FINALLY), None)
    last_slot = next((d for d in reversed(decisions) if d.what in (StoryChange.FINALLY, StoryChange.NO_FINALLY)), None)
    lost: list[StoryDecision] = []
    for n, d in enumerate(decisions):
        later = decisions[n + 1 :]
        if d.what is StoryChange.MERGE:
            undone = any(x.what is StoryChange.SPLIT and x.url in (d.url, d.other) for x in later)
            if not undone and not any({d.url, d.other} <= urls for urls in shown):
                lost.append(d)
        elif d.what is StoryChange.SPLIT:
            if not any(d.url in urls for urls in shown):
                lost.append(d)
        elif d is last_slot:
            kept = finale is None if d.what is StoryChange.NO_FINALLY else finale is not None and d.url in finale
            if not kept:
                lost.append(d)
    return lost
