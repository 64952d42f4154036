"""Article pages: the seed article is extracted from realistic furniture, exactly."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from fixtures.ingest.seed_page import PAGE_URL, build

from digest.errors import SourceError
from digest.ingest.items import to_article
from digest.ingest.page import extract_page
from digest.text.boilerplate import is_boilerplate

_TOKEN = re.compile(r"\w+", re.UNICODE)


def token_f1(got: str, expected: str) -> float:
    """Bag-of-tokens F1 between two texts (case-folded word tokens)."""
    a = Counter(_TOKEN.findall(got.casefold()))
    b = Counter(_TOKEN.findall(expected.casefold()))
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def test_seed_page_body_is_the_article_paragraphs_and_nothing_else(seed_text: str) -> None:
    page = build(seed_text)
    item = extract_page(page.html.encode("utf-8"), "seed.html", url=PAGE_URL)
    got = item.body.split("\n\n")
    f1 = token_f1(item.body, "\n\n".join(page.paragraphs))
    assert f1 >= 0.95, f"token F1 {f1:.3f}"
    # Paragraph structure is kept: one stored paragraph per article paragraph.
    assert got == page.paragraphs
    for line in page.furniture:
        assert line not in item.body, f"furniture leaked into the body: {line!r}"
    assert "Lire aussi" not in item.body_html and "<script" not in item.body_html


def test_seed_page_metadata_comes_from_the_page_declarations(seed_text: str) -> None:
    page = build(seed_text)
    item = extract_page(page.html.encode("utf-8"), "seed.html", url=PAGE_URL + "?utm_source=x")
    assert item.title == page.title
    assert item.url == PAGE_URL  # the canonical link, not the tracking URL it was fetched from
    assert item.published_at == datetime(2024, 11, 18, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    assert item.category == "Politique"
    assert item.author == "La Rédaction"
    assert item.source == "Le Quotidien du Matin"
    # The meta description is the first sentence of the article: not a standfirst.
    assert item.summary == ""


def test_seed_page_becomes_a_french_article_with_reading_time(seed_text: str, now: datetime) -> None:
    page = build(seed_text)
    article = to_article(
        extract_page(page.html.encode("utf-8"), "seed.html", url=PAGE_URL),
        fallback_published_at=now,
        default_language="en",
    )
    words = len(re.findall(r"\S+", "\n".join(page.paragraphs)))
    assert article.language == "fr"
    assert abs(article.word_count - words) <= 0.05 * words
    assert article.reading_minutes == -(-article.word_count // 204)


def test_page_file_without_canonical_link_is_refused_with_a_reason() -> None:
    html = b"<html><body><article><h1>T</h1><p>" + b"Un paragraphe assez long. " * 20 + b"</p></article></body></html>"
    with pytest.raises(SourceError, match=r"page\.html: the page has no canonical link"):
        extract_page(html, "page.html")


def test_canonical_link_to_another_site_is_ignored(seed_text: str) -> None:
    page = build(seed_text).html.replace(PAGE_URL, "https://victim.example/their-article")
    item = extract_page(page.encode(), "x", url="https://www.quotidien-exemple.ma/p/1")
    assert item.url == "https://www.quotidien-exemple.ma/p/1"


def test_page_without_article_text_is_refused() -> None:
    html = b'<html><head><link rel="canonical" href="https://a.example/x"></head><body><nav>Accueil</nav></body></html>'
    with pytest.raises(SourceError, match="no article text"):
        extract_page(html, "empty.html")


@pytest.mark.parametrize(
    "line",
    [
        "Temps de lecture : 2 minutes",
        "Lire aussi : Coopération militaire : le Maroc et l’OTAN renforcent leurs liens",
        "À lire également : la réforme des retraites",
        "Read more: Why overfishing is hard to police",
        "Accueil / Politique / OTAN",
        "Partager sur Facebook",
        "Laissez-nous vos commentaires",
        "Votre adresse e-mail ne sera pas publiée Champs requis marqués avec *",
        "La newsletter qui vous briefe en 5 min",
        "Et sur nos réseaux sociaux :",
        "The post Rail strike ends appeared first on Harbour Times.",
        "Mots-clés : OTAN, Maroc",
        "3 min read",
    ],
)
def test_furniture_lines_are_recognised(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Share prices fell sharply on Friday after the announcement.",
        "X a annoncé vendredi la fermeture de son bureau régional.",
        "Home Secretary resigns over leaked memo",
        "Le ministre a partagé ses inquiétudes sur la newsletter interne du parti, qui sera supprimée.",
        "Selon Colomina, le Maroc est un acteur essentiel dans la sécurité régionale.",
    ],
)
def test_article_sentences_are_not_mistaken_for_furniture(line: str) -> None:
    assert not is_boilerplate(line)
