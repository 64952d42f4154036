"""The editor's story decisions applied to the build (digest.editorial.desk), pure: merges
and splits regroup the stories in the order they were made, the "Et enfin" slot takes
the editor's story or none, and a built edition says which decisions it does not show."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.editorial.desk import AUTOMATIC, closing_url, regroup, unkept
from digest.editorial.pick import ScoreParts
from digest.editorial.stories import Story
from digest.models import Article, EditionItem, ItemKind, Link, StoryChange, StoryDecision

AT = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def art(name: str) -> Article:
    return Article(url=f"https://x.example/{name}", title=name, body=f"{name}.", published_at=AT, language="en")


def url(name: str) -> str:
    return f"https://x.example/{name}"


def parts(hard: float) -> ScoreParts:
    return ScoreParts(recency=1.0, hard=hard, standfirst=0.0)


def stories() -> list[Story]:
    """Three stories: a+b (one event, two outlets), c, d."""
    return [Story(art("a"), parts(0.9), [art("b")]), Story(art("c"), parts(0.5)), Story(art("d"), parts(0.2))]


OWN = {url(n): parts(h) for n, h in (("a", 0.9), ("b", 0.8), ("c", 0.5), ("d", 0.2))}


def shape(out: list[Story]) -> list[list[str]]:
    return [[a.title for a in (s.article, *s.also)] for s in out]


def test_merge_puts_the_second_storys_articles_under_the_first() -> None:
    merged = regroup(stories(), [StoryDecision(StoryChange.MERGE, url("d"), url("b"))], OWN)
    assert shape(merged) == [["c"], ["d", "a", "b"]]


def test_split_gives_each_article_its_own_story_with_its_own_score() -> None:
    split = regroup(stories(), [StoryDecision(StoryChange.SPLIT, url("b"))], OWN)
    assert shape(split) == [["a"], ["b"], ["c"], ["d"]]
    assert split[1].parts.hard == 0.8


def test_decisions_apply_in_the_order_they_were_made() -> None:
    merge = StoryDecision(StoryChange.MERGE, url("c"), url("d"))
    split = StoryDecision(StoryChange.SPLIT, url("c"))
    assert shape(regroup(stories(), [merge, split], OWN)) == [["a", "b"], ["c"], ["d"]]
    assert shape(regroup(stories(), [split, merge], OWN)) == [["a", "b"], ["c", "d"]]


def test_a_decision_naming_an_absent_article_changes_nothing() -> None:
    gone = StoryDecision(StoryChange.MERGE, url("a"), url("zz"))
    assert shape(regroup(stories(), [gone], OWN)) == shape(stories())


def test_the_last_slot_decision_counts() -> None:
    assert closing_url([]) is AUTOMATIC
    marked = StoryDecision(StoryChange.FINALLY, url("c"))
    assert closing_url([marked]) == url("c")
    assert closing_url([marked, StoryDecision(StoryChange.NO_FINALLY, url("c"))]) == ""


def item(position: int, name: str, kind: ItemKind = ItemKind.BRIEF, also: tuple[str, ...] = ()) -> EditionItem:
    links = tuple(Link(n, url(n), "x") for n in also)
    return EditionItem(position, kind, "News", name, url(name), f"{name}.", 1, also_read=links)


def test_unkept_names_what_the_built_edition_does_not_show() -> None:
    merge = StoryDecision(StoryChange.MERGE, url("a"), url("d"))
    split = StoryDecision(StoryChange.SPLIT, url("c"))
    closing = StoryDecision(StoryChange.FINALLY, url("e"))
    shown = [item(0, "a", ItemKind.TOP, ("d",)), item(1, "c"), item(2, "e", ItemKind.FINALLY)]
    assert unkept(shown, [merge, split, closing]) == []
    apart = [item(0, "a", ItemKind.TOP), item(1, "d"), item(2, "e")]
    assert unkept(apart, [merge, split, closing]) == [merge, split, closing]
    assert unkept(apart, [closing, StoryDecision(StoryChange.NO_FINALLY, url("e"))]) == []
    assert unkept(shown, [StoryDecision(StoryChange.NO_FINALLY, url("e"))]) != []
