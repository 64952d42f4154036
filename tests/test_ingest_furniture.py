"""Datelines, bylines with the writer's role and photo credits are page furniture;
the sentences of a story that look a little like them are not."""

from __future__ import annotations

import pytest

from digest.text.boilerplate import is_boilerplate, strip_boilerplate


@pytest.mark.parametrize(
    "line",
    [
        "Sat 5 Dec 2026 16.10 GMT",
        "Last modified on Sat 5 Dec 2026 16.12 GMT",
        "December 5, 2026 4:10 PM ET",
        "Monday 7 December 2026",
        "Publié le 5 décembre 2026 à 16h10",
        "Mis à jour le 5 déc. 2026 à 16h10",
        "By Jane Smith, Europe correspondent",
        "By Jane Smith in Brussels",
        "Par Jeanne Martin, envoyée spéciale à Kiev",
        "Protesters outside parliament in London. Photograph: Carl Court/Getty Images",
        "The president speaks at the White House. (AP Photo/Evan Vucci)",
        "The rocket on its launch pad in Baikonur. (Oleg Urusov/Roscosmos Press Service photo via AP)",
        "In this Dec. 5, 2016 file photo, the minister speaks to reporters.",
    ],
)
def test_datelines_bylines_and_credits_are_furniture(line: str) -> None:
    assert is_boilerplate(line, labels=False)


@pytest.mark.parametrize(
    "line",
    [
        "By Tuesday, the council had voted to rebuild the pier.",
        "By the end of the year, prices had risen by a tenth.",
        "Par ailleurs, le ministre a annoncé sa démission.",
        "In this case the court ruled against the minister.",
        "This photo shows what the council wants to hide, said the opposition leader on Monday.",
        "The deal was signed on 5 December 2026 at 16:10 in Brussels.",
        "The image: a country divided",
        "Mar 5 2026 was the day everything changed for the harbour.",
        "By John Smith's own account, the vote was lost before it began.",
    ],
)
def test_story_sentences_that_look_like_them_are_kept(line: str) -> None:
    assert not is_boilerplate(line, labels=False)


def test_a_page_body_loses_its_dateline_byline_and_caption() -> None:
    story = [
        "The harbour council voted on Tuesday to rebuild the north pier before the winter storms.",
        "Work will start in March and last eighteen months, the council said.",
    ]
    page = [
        "By Jane Smith, Europe correspondent",
        "Sat 5 Dec 2026 16.10 GMT",
        story[0],
        "The north pier at low tide. Photograph: Carl Court/Getty Images",
        story[1],
    ]
    assert strip_boilerplate(page, labels=False) == story
