"""Editions on the editor's desk: approve and withdraw, edit/drop/restore/revert, pin and
move a story, rebuild (keeping the editor's decisions), test send.

Every door (``digest edition ...``, /admin/editions, /api/editions) calls these, so one
change leaves one audit row under one name whichever door it came through. The reads
the doors need to find an edition and show the desk are here too, unaudited: a door
imports this module, never the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from digest.actions.core import Act, Actor, Operations, declare
from digest.admins import Role
from digest.editorial.desk import unkept as unkept_stories
from digest.errors import DigestError, EditionLocked, NotFoundError, ValidationError
from digest.language_model.desk import StoryRewrite, rewrites_of_items
from digest.models import Approval, Edition, EditionItem, EditionOrder, ItemEdit, ItemKind
from digest.store import Store, archive, desk, desk_carry
from digest.store import desk_stories as story_store
from digest.store.desk_carry import Unkept
from digest.store.editions import editions_for_date, get_edition, original_items

__all__ = ["Approval", "EditionLocked", "EditionOrder", "ItemEdit", "Unkept"]

APPROVE = declare("edition.approve", Role.EDITOR, "approve an edition for sending (review mode)")
WITHDRAW = declare("edition.withdraw", Role.EDITOR, "withdraw an edition's approval before its delivery starts")
ITEM_SAVE = declare("edition.item.save", Role.EDITOR, "edit a story's headline and summary")
ITEM_DROP = declare("edition.item.drop", Role.EDITOR, "leave a story out of the edition")
ITEM_RESTORE = declare("edition.item.restore", Role.EDITOR, "put a dropped story back")
ITEM_REVERT = declare("edition.item.revert", Role.EDITOR, "take a story back to its original text")
ITEM_PIN = declare("edition.item.pin", Role.EDITOR, "pin a story as the lead (or unpin it)")
ITEM_MOVE = declare("edition.item.move", Role.EDITOR, "move a story up or down")
REBUILD = declare("edition.rebuild", Role.EDITOR, "rebuild an edition, keeping the editor's decisions")
TEST_SEND = declare("edition.test_send", Role.EDITOR, "send a test copy to named addresses")

MAX_TEST_ADDRESSES = 10
#: A PATCH that leaves a field out keeps its current value.
KEEP = object()


class ProofSender(Protocol):
    """Sends a test copy of an edition to the given addresses: per address "sent" or why
    not (the delivery code provides it; :class:`digest.web.context.ProofSender` is one)."""

    async def __call__(self, edition_id: int, addresses: Sequence[str]) -> Mapping[str, str]: ...


class RebuildWouldLose(DigestError):
    """A rebuild would lose editor's decisions, and was not forced: nothing changed."""

    def __init__(self, unkept: Sequence[Unkept]) -> None:
        self.unkept = list(unkept)
        listed = "; ".join(str(u) for u in self.unkept)
        super().__init__(f"rebuild: these decisions name stories the new build does not have: {listed}")


# Reads --------------------------------------------------------------------------------


def editions_on(ops: Operations, day: date, language: str | None = None) -> list[Edition]:
    """The newsletter's editions of ``day`` (one language's only, with ``language``);
    NotFoundError naming the command that builds them when there is none."""
    found = [
        ed
        for ed in editions_for_date(ops.store, ops.settings.newsletter.name, day)
        if language is None or ed.language == language
    ]
    if not found:
        which = f" in {language}" if language else ""
        raise NotFoundError(f"no edition for {day.isoformat()}{which}: build it first (`digest edition build`)")
    return found


def edition_on(ops: Operations, day: date, language: str | None) -> Edition:
    """The one edition of ``day`` in ``language`` (which may be left out when the day has
    only one); ValidationError asking for --language otherwise."""
    found = editions_on(ops, day, language)
    if len(found) > 1:
        languages = ", ".join(ed.language for ed in found)
        raise ValidationError(f"language: {day.isoformat()} has editions in {languages}; name one")
    return found[0]


def find_edition(ops: Operations, day: date, language: str) -> Edition | None:
    """The edition of ``day`` in ``language``, or None."""
    return next(
        (e for e in editions_for_date(ops.store, ops.settings.newsletter.name, day) if e.language == language), None
    )


def edition(ops: Operations, edition_id: int) -> Edition:
    """The edition with this id as readers get it; NotFoundError when there is none."""
    found = archive.edition(ops.store, edition_id)
    if found is None:
        raise NotFoundError(f"no edition {edition_id}")
    return found


def recent(ops: Operations, *, limit: int = 30) -> list[Edition]:
    """The latest editions, newest first."""
    return archive.recent_editions(ops.store, limit=limit)


def approvals(ops: Operations, edition_ids: Sequence[int]) -> dict[int, Approval]:
    """The approvals among ``edition_ids``."""
    return desk.approvals(ops.store, edition_ids)


@dataclass(frozen=True)
class DeskStory:
    """A story as the desk shows it: the original, the editor's edit, whether it is the
    pinned lead, and its place in the reading order (None: dropped)."""

    item: EditionItem
    edit: ItemEdit | None
    pinned: bool
    place: int | None
    rewrite: StoryRewrite | None = None  # what the language model did, if it was asked


def desk_stories(ops: Operations, edition_id: int, language: str | None = None) -> list[DeskStory]:
    """The edition's stories as built, in the editor's reading order (dropped ones after);
    with ``language``, each with what the language model did to it ([summarize] backend)."""
    originals = original_items(ops.store, edition_id)
    rewrites = rewrites_of_items(ops.store, ops.settings, originals, language=language) if language else {}
    edits = desk.edits(ops.store, edition_id)
    current = desk.order(ops.store, edition_id)
    ordered = desk.apply_order(originals, current)
    lead = current.lead if current else None
    shown = [i.position for i in ordered if not (i.position in edits and edits[i.position].dropped)]
    place = {position: n for n, position in enumerate(shown)}
    by_position = {i.position: i for i in originals}
    stories = [
        DeskStory(
            by_position[i.position],
            edits.get(i.position),
            i.position == lead,
            place.get(i.position),
            rewrites.get(i.position),
        )
        for i in ordered
    ]
    return sorted(stories, key=lambda s: (s.place is None, s.place or 0))


# Approval -----------------------------------------------------------------------------


def _target(ed: Edition) -> str:
    return f"edition:{ed.id}"


def _id(ed: Edition) -> int:
    if ed.id is None:
        raise NotFoundError(f"the {ed.edition_date.isoformat()} {ed.language} edition is not stored yet")
    return ed.id


def approve(ops: Operations, actor: Actor, ed: Edition) -> Approval:
    """Approve ``ed`` for sending; a second approval keeps the first."""
    with ops.act(actor, APPROVE, target=_target(ed)) as act:
        act.details(date=ed.edition_date.isoformat(), language=ed.language)
        return desk.approve(act.store, _id(ed), by=actor.name, now=act.now)


def withdraw(ops: Operations, actor: Actor, ed: Edition) -> Approval | None:
    """Take ``ed``'s approval back (the one withdrawn, None when it had none);
    EditionLocked once its first delivery exists."""
    with ops.act(actor, WITHDRAW, target=_target(ed)) as act:
        act.details(date=ed.edition_date.isoformat(), language=ed.language)
        was = desk.withdraw(act.store, _id(ed))
        act.change("approved_by", was.approved_by if was else None, None)
        return was


# Stories ------------------------------------------------------------------------------


def edit_item(
    ops: Operations,
    actor: Actor,
    ed: Edition,
    position: int,
    *,
    headline: object = KEEP,
    summary: object = KEEP,
    dropped: bool | None = None,
) -> ItemEdit | None:
    """Change one story: ``headline``/``summary`` (a string, None for the original text,
    :data:`KEEP` by default) and/or ``dropped``. Audited as ``edition.item.save`` when
    text is given (``revert`` when nothing differs from the original any more),
    otherwise ``drop`` or ``restore``. Returns the edit now in force (None: none)."""
    for name, value in (("headline", headline), ("summary", summary)):
        if value is not KEEP and value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValidationError(f"{name}: a story needs a non-empty {name}")
    text_given = headline is not KEEP or summary is not KEEP
    if not text_given and dropped is None:
        raise ValidationError("body: nothing to change (headline, summary or dropped)")
    edition_id = _id(ed)
    before = desk.edits(ops.store, edition_id).get(position)
    new_headline = (before.headline if before else None) if headline is KEEP else headline
    new_summary = (before.summary if before else None) if summary is KEEP else summary
    new_dropped = (before.dropped if before else False) if dropped is None else dropped
    assert new_headline is None or isinstance(new_headline, str)
    assert new_summary is None or isinstance(new_summary, str)
    action = ITEM_SAVE if text_given else ITEM_DROP if new_dropped else ITEM_RESTORE
    if text_given and new_headline is None and new_summary is None and not new_dropped:
        action = ITEM_REVERT
    with ops.act(actor, action, target=f"edition:{edition_id}:{position}") as act:
        done = desk.save_edit(
            act.store,
            edition_id,
            position,
            headline=new_headline.strip() if new_headline else None,
            summary=new_summary.strip() if new_summary else None,
            dropped=new_dropped,
            by=actor.name,
            now=act.now,
        )
        for field, unset in (("headline", None), ("summary", None), ("dropped", False)):
            old, new = getattr(before, field, unset), getattr(done, field, unset)
            if old != new:
                act.change(field, old, new)
        return done


def revert_item(ops: Operations, actor: Actor, ed: Edition, position: int) -> None:
    """Take a story back to the original: its text, and back in if it was dropped."""
    edit_item(ops, actor, ed, position, headline=None, summary=None, dropped=False)


def _reading_order(store: Store, edition_id: int) -> tuple[list[EditionItem], EditionOrder | None]:
    current = desk.order(store, edition_id)
    return list(desk.apply_order(original_items(store, edition_id), current)), current


def pin_item(ops: Operations, actor: Actor, ed: Edition, position: int, *, pinned: bool = True) -> EditionOrder:
    """Pin the story at ``position`` as the edition's lead (a brief becomes a top
    story), or with ``pinned`` False unpin it; a rebuild keeps the pin by URL."""
    edition_id = _id(ed)
    with ops.act(actor, ITEM_PIN, target=f"edition:{edition_id}:{position}") as act:
        items, current = _reading_order(act.store, edition_id)
        if position not in {i.position for i in items}:
            raise NotFoundError(f"edition {edition_id} has no story at position {position}")
        before = current.lead if current else None
        lead = position if pinned else (None if before == position else before)
        act.change("lead", before, lead)
        positions = current.positions if current else ()
        return desk.save_order(act.store, edition_id, positions, lead=lead, by=actor.name, now=act.now)


def move_item(ops: Operations, actor: Actor, ed: Edition, position: int, direction: str) -> EditionOrder:
    """Move a story one place ``up`` or ``down`` among the stories readers see of its
    kind (briefs within their section); ValidationError at either end or across a
    pinned lead."""
    if direction not in ("up", "down"):
        raise ValidationError(f"direction: expected up or down, got {direction!r}")
    edition_id = _id(ed)
    with ops.act(actor, ITEM_MOVE, target=f"edition:{edition_id}:{position}") as act:
        items, current = _reading_order(act.store, edition_id)
        lead = current.lead if current else None
        dropped = {p for p, e in desk.edits(act.store, edition_id).items() if e.dropped}
        here = next((n for n, i in enumerate(items) if i.position == position), None)
        if here is None:
            raise NotFoundError(f"edition {edition_id} has no story at position {position}")
        if position == lead:
            raise ValidationError(f"position: story {position + 1} is pinned as the lead; unpin it first")
        step = -1 if direction == "up" else 1
        there = here + step
        while 0 <= there < len(items) and _skip(items[there], items[here], dropped):
            there += step
        if not 0 <= there < len(items) or items[there].position == lead:
            end = "first" if direction == "up" else "last"
            raise ValidationError(f"position: story {position + 1} is already the {end} it can be")
        items[here], items[there] = items[there], items[here]
        act.details(direction=direction, swapped_with=items[here].position)
        positions = [i.position for i in items]
        return desk.save_order(act.store, edition_id, positions, lead=lead, by=actor.name, now=act.now)


def _skip(other: EditionItem, story: EditionItem, dropped: set[int]) -> bool:
    """Whether a move passes over ``other``: dropped, another kind, or (briefs, shown by
    section) another section."""
    if other.position in dropped or other.kind is not story.kind:
        return True
    return story.kind is ItemKind.BRIEF and other.category != story.category


# Rebuild and test send ----------------------------------------------------------------


@dataclass(frozen=True)
class Rebuilt:
    """A rebuild's result: the edition as readers now get it and the decisions it could
    not keep (stories the new build no longer has)."""

    edition: Edition
    unkept: list[Unkept]
    budget: int
    window: tuple[datetime, datetime]


def rebuild(ops: Operations, actor: Actor, day: date, language: str, *, force: bool = False) -> Rebuilt:
    """Build ``day``'s edition in ``language`` again from the articles now stored,
    re-applying the editor's edits, drops, pin, order, merges, splits and "Et enfin" by
    article URL. When some cannot be kept, RebuildWouldLose lists them and nothing
    changes, unless ``force``. EditionLocked once its delivery has started."""
    with ops.act(actor, REBUILD) as act:
        done = rebuilt_in(act, ops, day, language)
        if done.unkept and not force:
            raise RebuildWouldLose(done.unkept)  # rolls the rebuild back
        ed = done.edition
        if ed.id is not None:  # a forced rebuild lets go of the story decisions it could not keep
            story_store.drop_decisions(act.store, ed.id, [u.decision for u in done.unkept if u.decision])
        act.target = f"edition:{ed.id}" if ed.id else f"date:{day.isoformat()}:{language}"
        act.details(date=day.isoformat(), language=language, unkept=[str(u) for u in done.unkept])
        return done


def rebuilt_in(act: Act, ops: Operations, day: date, language: str) -> Rebuilt:
    """The rebuild inside an action under way (``act``'s transaction, no audit row of its
    own): build again, carry the edits, drops, pin and order over by URL; the story
    decisions (merge, split, "Et enfin") are applied by the build itself. Every decision
    the new edition does not show is in ``unkept``."""
    from digest.daily.build import build_day

    existing = find_edition(ops, day, language)
    decisions = desk_carry.snapshot(act.store, existing.id) if existing and existing.id else None
    built = build_day(act.store, ops.settings, day=day, now=act.now, language=language, rebuild=True)
    (ed,) = built.editions
    unkept: list[Unkept] = []
    if decisions is not None and ed.id is not None:
        unkept = desk_carry.carry_over(act.store, ed.id, decisions, by=act.actor.name, now=act.now)
        ed = get_edition(act.store, ed.id)
    if ed.id is not None:
        titles = decisions.titles if decisions is not None else {}
        stories = story_store.decisions(act.store, ed.id)
        unkept += [Unkept(d.what.value, titles.get(d.url, d.url), d.url, d) for d in unkept_stories(ed.items, stories)]
    return Rebuilt(ed, unkept, built.rules.budget(language), built.window)


def parse_addresses(raw: str | Sequence[str]) -> list[str]:
    """Up to 10 distinct addresses from a list or a comma, space or line separated field."""
    import re

    from digest.subscribers.membership import normalise_address

    parts = [p for p in re.split(r"[\s,;]+", raw) if p] if isinstance(raw, str) else list(raw)
    if not parts:
        raise ValidationError("to: give at least one address")
    addresses = list(dict.fromkeys(normalise_address(p) for p in parts))
    if len(addresses) > MAX_TEST_ADDRESSES:
        raise ValidationError(f"to: at most {MAX_TEST_ADDRESSES} addresses")
    return addresses


async def send_test_copy(
    ops: Operations, actor: Actor, ed: Edition, addresses: Sequence[str], sender: ProofSender
) -> dict[str, str]:
    """Send a test copy of ``ed`` to ``addresses`` only (no delivery row); per address
    "sent" or why not. The role is checked first; the audit row follows the send."""
    ops.allow(actor, TEST_SEND)
    edition_id = _id(ed)
    results = dict(await sender(edition_id, list(addresses)))

    def record() -> None:
        with ops.act(actor, TEST_SEND, target=_target(ed)) as act:
            act.details(to=list(addresses), results=results)

    await asyncio.to_thread(record)
    return results
