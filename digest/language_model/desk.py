"""What the model did to an edition, for the editor's desk: per story, whether it shows
the model's rewrite, the sentences the model was given beside what it wrote, and the
guard's verdict with its reason. A read of the rewrites cache; nothing is called."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digest.config import Settings
from digest.editorial.rewrite import check, has_prompt, prompt
from digest.editorial.summarize import STYLES
from digest.models import EditionItem, ItemKind
from digest.store import Store
from digest.store.rewrites import StoredRewrite, rewrites_of_articles


@dataclass(frozen=True)
class StoryRewrite:
    """The model's part in one story of an edition."""

    position: int
    rewritten: bool  # the story shows the model's text
    extract: str  # the sentences the model was given: the extractive summary
    answer: str  # what the model wrote, as it came
    accepted: bool  # the guard's verdict
    reason: str  # why it was refused ("" when accepted)
    detail: str  # the words that made it refuse


def _guarded(row: StoredRewrite, language: str) -> str:
    """The text the edition shows for an accepted answer (as the summariser made it)."""
    style = STYLES.get(row.style)
    if style is None:
        return ""
    why_label = (
        prompt(row.prompt_version, row.language).why_label if has_prompt(row.prompt_version, row.language) else ""
    )
    source = row.source.splitlines()
    verdict = check(row.answer, source=source, language=language, style=style, why_label=why_label)
    return verdict.summary(language).text if verdict.accepted else ""


def rewrites_of_items(
    store: Store, settings: Settings, items: Sequence[EditionItem], *, language: str
) -> dict[int, StoryRewrite]:
    """By story position: what the configured model ([summarize] model and
    prompt_version) wrote for the stories ``items`` (an edition's, as built: before
    any editor's edit) that it was asked about."""
    s = settings.summarize
    ids = [i.article_id for i in items if i.article_id is not None]
    if not ids or not s.model:
        return {}
    rows = rewrites_of_articles(store, ids, model=s.model, prompt_version=s.prompt_version)
    out: dict[int, StoryRewrite] = {}
    for item in items:
        mine = [r for r in rows if r.article_id == item.article_id]
        styles = {"brief"} if item.kind is ItemKind.BRIEF else {"top", "lead"}
        shown = next((r for r in mine if r.accepted and _guarded(r, language) == item.summary), None)
        row = shown or next((r for r in mine if r.style in styles), None)
        if row is None:
            continue
        extract = " ".join(row.source.splitlines()[1:])  # the first line is the headline
        out[item.position] = StoryRewrite(
            item.position, shown is not None, extract, row.answer, row.accepted, row.reason, row.detail
        )
    return out
