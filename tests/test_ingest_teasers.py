"""Lists of other stories' teasers on an article page are not part of its article."""

from __future__ import annotations

import json
import lzma
from pathlib import Path

import lxml.html
import pytest

from digest.ingest.page import extract_page
from digest.ingest.teasers import drop_teaser_lists, is_card

ARTICLE = [
    "The harbour council voted on Tuesday to rebuild the north pier before the winter storms, after two years "
    "of delays that had left the fishing fleet moored at the southern quay.",
    "Work will start in March and last eighteen months, the council said, at a cost of 14 million euros shared "
    "between the region and the port authority, which had long argued for a cheaper repair.",
    "Fishermen welcomed the decision but warned that the southern quay could not hold the whole fleet for "
    "another season: several boats were damaged there during the February storm.",
    "The port authority will publish the calendar of works next month, and a public meeting is planned in the "
    "town hall so that residents can ask questions about the closures.",
]
OWN_LIST = ["Phase one: the old pier is taken down", "Phase two: new piles are driven in"]
TEASERS = [
    (
        "Rail strike to continue into next week",
        "Union leaders said on Monday that the strike on regional lines would go on for at least five more days, "
        "after talks with the operator broke down over pay and the number of staff on each train.",
    ),
    (
        "Museum reopens after a long renovation",
        "The city museum opened its doors again on Saturday after three years of works that rebuilt the roof, "
        "the galleries and the entrance hall, with a free exhibition of the region's painters.",
    ),
    (
        "Storm warning for the coast tonight",
        "Forecasters expect gusts of more than 100 km/h along the coast overnight and advised people to stay away "
        "from the sea front and to secure anything that the wind could carry away from gardens.",
    ),
    (
        "School canteen prices frozen for the year",
        "The region will not raise the price of school meals this year despite higher food costs, the education "
        "office said, and will pay the difference out of the budget set aside for the schools.",
    ),
]


def page(*, cards: list[tuple[str, str]] = TEASERS) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE[:2])
    paragraphs += "<ul>" + "".join(f"<li>{item}</li>" for item in OWN_LIST) + "</ul>"
    paragraphs += "".join(f"<p>{p}</p>" for p in ARTICLE[2:])
    stream = "".join(
        f"<li class='stream-item'><a href='/img/{n}'><img src='/t.gif' alt=''></a>"
        f"<div><h3><a href='/news/story-{n}.html'>{title}</a></h3><p>{summary}</p></div></li>"
        for n, (title, summary) in enumerate(cards)
    )
    return (
        "<!doctype html><html lang='en'><head><title>Harbour council votes to rebuild the north pier</title>"
        "<link rel='canonical' href='https://news.example/harbour-pier.html'></head><body>"
        "<div class='main'><article><h1>Harbour council votes to rebuild the north pier</h1>"
        f"<div class='article-body'>{paragraphs}</div>"
        f"<div class='stream'><ul class='stream-list'>{stream}</ul></div></article></div></body></html>"
    ).encode()


def test_a_stream_of_other_stories_under_the_article_is_not_stored() -> None:
    body = extract_page(page(), "page.html").body
    for paragraph in ARTICLE:
        assert paragraph in body
    for title, summary in TEASERS:
        assert summary not in body and title not in body


def test_the_articles_own_list_is_kept() -> None:
    body = extract_page(page(), "page.html").body
    for item in OWN_LIST:
        assert item in body


@pytest.mark.parametrize("count, dropped", [(2, 0), (3, 1), (4, 1)])
def test_only_lists_of_at_least_three_cards_are_taken_for_teasers(count: int, dropped: int) -> None:
    tree = lxml.html.fromstring(page(cards=TEASERS[:count]))
    assert drop_teaser_lists(tree) == dropped
    assert len(tree.xpath("//li[@class='stream-item']")) == (0 if dropped else count)


def test_sibling_article_cards_are_teasers_but_a_lone_article_is_not() -> None:
    cards = "".join(f"<article><a href='/s/{n}'><h2>Title {n}</h2></a><p>Text {n}.</p></article>" for n in range(3))
    tree = lxml.html.fromstring(f"<html><body><article><p>The story.</p></article><div>{cards}</div></body></html>")
    assert drop_teaser_lists(tree) == 3
    assert [a.text_content() for a in tree.iter("article")] == ["The story."]


def test_a_heading_without_a_link_is_not_a_card() -> None:
    assert not is_card(lxml.html.fromstring("<li><h3>Phase one</h3><p>Text.</p></li>"))
    assert is_card(lxml.html.fromstring("<li><h3><a href='/x'>Other story</a></h3></li>"))


TOKEN_PAGES = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "extraction" / "tokens.jsonl.xz"


def test_a_real_page_loses_the_stream_of_stories_under_its_article() -> None:
    # Yahoo's article pages (a development page of benchmarks/extraction.py) end with a
    # stream of 20 other stories' cards, each a linked headline and two sentences.
    with lzma.open(TOKEN_PAGES, "rt", encoding="utf-8") as fh:
        real = next(p for p in map(json.loads, fh) if p["file"] == "yahoo-3")
    body = extract_page(real["html"].encode("utf-8"), "yahoo-3", url=real["url"]).body
    assert "Vanessa Hicks said she had no idea her photo would be considered controversial." in body
    assert "Alan Thicke" not in body and "Eastern Aleppo has fallen" not in body
