"""The editor's decisions on the day's stories: merge two into one, split one back into
its articles, put one in the closing "Et enfin" / "And finally" slot (or none).

Each is recorded by article URL (:mod:`digest.store.desk_stories`), then the edition is
rebuilt in the same transaction (the pure assembly takes the decisions as values:
:mod:`digest.editorial.desk`), so a rebuild later keeps it too. A decision the rebuilt
edition cannot show is refused and nothing changes; the other decisions it could not
keep (an edit of the story merged away...) are in the answer's ``unkept``. Every door
(``digest edition merge|split|finally``, /admin/editions, /api/editions) calls these,
audited once under one name.
"""

from __future__ import annotations

from digest.actions.core import Act, Actor, Operations, declare
from digest.actions.editions import Rebuilt, rebuilt_in
from digest.admins import Role
from digest.editorial.desk import item_urls
from digest.errors import NotFoundError, ValidationError
from digest.models import Edition, EditionItem, ItemKind, StoryChange, StoryDecision
from digest.store import desk, desk_stories
from digest.store.editions import original_items

STORY_MERGE = declare(
    "edition.story.merge", Role.EDITOR, "merge two stories into one (the second's articles become sources of the first)"
)
STORY_SPLIT = declare("edition.story.split", Role.EDITOR, "split a story back into one story per article")
ITEM_FINALLY = declare("edition.item.finally", Role.EDITOR, 'put a story in the "Et enfin" slot (or leave it empty)')


def _edition_id(ed: Edition) -> int:
    if ed.id is None:
        raise NotFoundError(f"the {ed.edition_date.isoformat()} {ed.language} edition is not stored yet")
    return ed.id


def _story(act: Act, edition_id: int, position: int) -> EditionItem:
    found = next((i for i in original_items(act.store, edition_id) if i.position == position), None)
    if found is None:
        raise NotFoundError(f"edition {edition_id} has no story at position {position}")
    return found


def _decide(act: Act, ops: Operations, ed: Edition, decision: StoryDecision, *, said: str) -> Rebuilt:
    """Record ``decision`` and rebuild; ValidationError (``said``) when the rebuilt
    edition does not show it (the transaction rolls back: nothing changed)."""
    edition_id = _edition_id(ed)
    desk_stories.add_decision(act.store, edition_id, decision, by=act.actor.name, now=act.now)
    done = rebuilt_in(act, ops, ed.edition_date, ed.language)
    if any(u.decision is not None and u.decision.what is decision.what and u.url == decision.url for u in done.unkept):
        raise ValidationError(said)
    act.details(url=decision.url, other=decision.other, unkept=[str(u) for u in done.unkept])
    return done


def merge_stories(ops: Operations, actor: Actor, ed: Edition, position: int, other: int) -> Rebuilt:
    """Merge the story at ``other`` into the story at ``position``: the first keeps its
    headline and summary, the second's articles become its "Lire aussi" sources (its
    sources count grows); kept across a rebuild."""
    edition_id = _edition_id(ed)
    if position == other:
        raise ValidationError("other: a story cannot be merged with itself")
    with ops.act(actor, STORY_MERGE, target=f"edition:{edition_id}:{position}") as act:
        first, second = _story(act, edition_id, position), _story(act, edition_id, other)
        if second.url in item_urls(first):
            raise ValidationError(f"other: story {other + 1} is already part of story {position + 1}")
        said = f"other: stories {position + 1} and {other + 1} could not be shown as one story within the budget"
        return _decide(act, ops, ed, StoryDecision(StoryChange.MERGE, first.url, second.url), said=said)


def split_story(ops: Operations, actor: Actor, ed: Edition, position: int) -> Rebuilt:
    """Split the story at ``position`` back into one story per article (its "Lire aussi"
    sources become stories of their own); kept across a rebuild. The merges the editor
    made into it are let go."""
    edition_id = _edition_id(ed)
    with ops.act(actor, STORY_SPLIT, target=f"edition:{edition_id}:{position}") as act:
        story = _story(act, edition_id, position)
        if not story.also_read:
            raise ValidationError(f"position: story {position + 1} has one source, there is nothing to split")
        urls = item_urls(story)
        undone = [
            d
            for d in desk_stories.decisions(act.store, edition_id)
            if d.what is StoryChange.MERGE and {d.url, d.other} & urls
        ]
        desk_stories.drop_decisions(act.store, edition_id, undone)
        said = f"position: story {position + 1} could not be split"
        return _decide(act, ops, ed, StoryDecision(StoryChange.SPLIT, story.url), said=said)


def mark_finally(ops: Operations, actor: Actor, ed: Edition, position: int, *, marked: bool = True) -> Rebuilt:
    """Put the story at ``position`` in the closing "Et enfin" / "And finally" slot (the
    story there before goes back among the others, or out if it is trivia), or with
    ``marked`` False take it out and leave the slot empty; kept across a rebuild."""
    edition_id = _edition_id(ed)
    with ops.act(actor, ITEM_FINALLY, target=f"edition:{edition_id}:{position}") as act:
        story = _story(act, edition_id, position)
        order = desk.order(act.store, edition_id)
        if marked and order is not None and order.lead == position:
            raise ValidationError(f"position: story {position + 1} is pinned as the lead; unpin it first")
        if not marked and story.kind is not ItemKind.FINALLY:
            raise ValidationError(f'position: story {position + 1} is not the "Et enfin" story')
        before = next((i.url for i in original_items(act.store, edition_id) if i.kind is ItemKind.FINALLY), None)
        act.change("finally", before, story.url if marked else None)
        what = StoryChange.FINALLY if marked else StoryChange.NO_FINALLY
        said = f'position: story {position + 1} does not fit in the "Et enfin" slot within the budget'
        return _decide(act, ops, ed, StoryDecision(what, story.url), said=said)
