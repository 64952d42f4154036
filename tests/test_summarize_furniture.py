"""The furniture a scraped news page leaves inside its sentences, which a coverage scorer
is drawn to (a caption repeats the story's names): lost line breaks left as spaced stops,
captions glued into the text, "pictured" asides, the newsroom's credits and comment boxes.
The summariser never shows them; the news sentences around them stay."""

from __future__ import annotations

import pytest

from digest.editorial.summarize import TOP, article_sentences, summarize_story
from digest.editorial.summarize.lines import is_page_note, strip_photo_aside


def texts(text: str, language: str = "en") -> list[str]:
    return [s.text for s in article_sentences(text, language)]


def test_a_lost_line_break_is_not_a_full_stop() -> None:
    text = "Yesterday he teamed them with a casual . navy blue shirt on a trip to . the island with his wife."
    assert texts(text) == [
        "Yesterday he teamed them with a casual navy blue shirt on a trip to the island with his wife."
    ]
    quoted = "'We have to drive people to get tested, . because that is the most important thing,' he told CBS News."
    assert texts(quoted)[0].startswith("'We have to drive people to get tested, because")


def test_a_spaced_stop_before_a_capital_still_ends_a_sentence() -> None:
    text = "A wedding planner who stole from couples has avoided jail . Judge Peter Moss spared her on Monday."
    assert len(texts(text)) == 2


@pytest.mark.parametrize(
    "caption",
    [
        "South Korean scientist Hwang Woo-Suk (L) shakes hands with Vasily Vasiliev (R) after signing the deal.",
        "Pictured here on Daybreak earlier this month .",
        "Chin Aun Lim is pictured here a fortnight ago .",
        "The resort offers the chance to leave your phone at home; pictured is Lake Placid Lodge, in the US .",
        "New York, New York: Map shows new Amish communities in The Empire State .",
        "CNN's Jane Smith contributed to this report.",
        "Reporting by John Doe; Editing by Jane Roe.",
        "Sorry we are not currently accepting comments on this article.",
        "Copyright 2013 The Associated Press, all rights reserved.",
        "Follow the author on Twitter at @jdoe for more.",
    ],
)
def test_captions_and_newsroom_notes_are_not_summary_sentences(caption: str) -> None:
    text = f"The mayor of Leeds resigned on Tuesday after losing a vote of no confidence by 31 votes to 20. {caption}"
    assert texts(text) == [
        "The mayor of Leeds resigned on Tuesday after losing a vote of no confidence by 31 votes to 20."
    ]


@pytest.mark.parametrize(
    "news",
    [
        "The minister said the deal was pictured by critics as a surrender to the unions.",
        "Police said the suspect had been pictured on CCTV cameras in the city centre on Friday.",
        "Reporters were told the leader would address the nation on Sunday evening.",
    ],
)
def test_news_that_mentions_a_picture_or_reporting_stays(news: str) -> None:
    assert not is_page_note(news)
    assert texts(news) == [news]


def test_a_photo_aside_is_cut_and_the_news_sentence_kept() -> None:
    sentence = "Foreign Secretary Philip Hammond, pictured with John Kerry today, warned against complacency."
    assert strip_photo_aside(sentence) == "Foreign Secretary Philip Hammond warned against complacency."
    summary = summarize_story(
        f"{sentence} The talks in London end on Friday with a joint statement.", language="en", style=TOP
    )
    assert "pictured" not in summary.text and "Philip Hammond warned" in summary.text
