"""The story decisions' refusals (digest.actions.stories): each says why, in the
field's terms, and leaves nothing behind: no decision stored, no audit row, the
edition as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from database_support import new_sqlite_store
from test_actions_desk import BUDGET, BUDGET_TOO, MARATHON, SETUP, built_edition, ops_of, position_of, state
from test_daily_build import DAY

from digest.actions import editions as desk
from digest.actions import stories
from digest.errors import NotFoundError, ValidationError
from digest.store import Store, audit
from digest.store.editions import get_edition


@pytest.fixture
def world(tmp_path: Path) -> tuple[Store, int]:
    store = new_sqlite_store(tmp_path / "digest.db")
    return store, built_edition(store, tmp_path)


def test_refused_story_decisions_change_nothing(world: tuple[Store, int]) -> None:
    store, edition_id = world
    ops, ed = ops_of(store), get_edition(store, edition_id)
    single = next(i.position for i in ed.items if not i.also_read)
    marathon = position_of(store, edition_id, MARATHON)
    desk.pin_item(ops, SETUP, ed, marathon)
    before, rows = state(store, edition_id), len(audit.recent(store, limit=100))
    refusals = [
        (lambda: stories.merge_stories(ops, SETUP, ed, 0, 0), "other: a story cannot be merged with itself"),
        (lambda: stories.merge_stories(ops, SETUP, ed, 0, 99), "no story at position 99"),
        (lambda: stories.split_story(ops, SETUP, ed, single), "has one source, there is nothing to split"),
        (lambda: stories.mark_finally(ops, SETUP, ed, marathon), "is pinned as the lead; unpin it first"),
        (lambda: stories.mark_finally(ops, SETUP, ed, single, marked=False), 'is not the "Et enfin" story'),
    ]
    for call, said in refusals:
        with pytest.raises((ValidationError, NotFoundError), match=said):
            call()
    assert state(store, edition_id) == before
    assert len(audit.recent(store, limit=100)) == rows


def test_a_split_story_merged_back_is_one_story_again_and_a_rebuild_keeps_it(world: tuple[Store, int]) -> None:
    store, edition_id = world
    ops = ops_of(store)
    stories.split_story(ops, SETUP, get_edition(store, edition_id), position_of(store, edition_id, BUDGET))
    first, other = position_of(store, edition_id, BUDGET), position_of(store, edition_id, BUDGET_TOO)
    assert first != other
    stories.merge_stories(ops, SETUP, get_edition(store, edition_id), first, other)
    # The merge is the later decision: it holds, the split applied before it.
    assert position_of(store, edition_id, BUDGET) == position_of(store, edition_id, BUDGET_TOO)
    done = desk.rebuild(ops, SETUP, DAY, "fr")
    assert done.unkept == [] and position_of(store, edition_id, BUDGET) == position_of(store, edition_id, BUDGET_TOO)
    assert [k for k, _, _ in state(store, edition_id)["stories"]] == ["split", "merge"]
