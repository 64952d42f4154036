"""RSS 2.0 and Atom 1.0 feeds read from real files."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from digest.errors import SourceError
from digest.ingest.feeds import parse_feed
from digest.ingest.items import ItemError, to_article
from digest.text.boilerplate import is_boilerplate

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def _articles(name: str, now: datetime) -> tuple[list, list[str]]:
    parsed = parse_feed((FIXTURES / name).read_bytes(), name)
    good, bad = [], []
    for item in parsed.items:
        try:
            good.append(to_article(item, fallback_published_at=now, default_language="fr"))
        except ItemError as exc:
            bad.append(f"{item.where}: {exc}")
    return good, bad


def test_rss_full_text_comes_from_content_encoded_and_description_is_the_standfirst(now: datetime) -> None:
    good, _ = _articles("rss.xml", now)
    port = good[0]
    assert port.url == "https://www.gazette-atlas.example/economie/tanger-med-record-conteneurs.html"
    assert port.guid == "gazette-atlas-48211"
    assert port.title == "Le port de Tanger Med franchit un nouveau record de conteneurs"
    assert port.paragraphs[0].startswith("Le complexe portuaire de Tanger Med a annoncé samedi")
    assert len(port.paragraphs) == 3  # "Lire aussi", the script and "Partager" are gone
    assert "Lire aussi" not in port.body and "trackRead" not in port.body and "Partager" not in port.body
    assert "Lire aussi" not in port.body_html and "<script" not in port.body_html
    assert port.summary.startswith("Le complexe portuaire a traité plus de neuf millions")
    assert port.published_at == datetime(2026, 11, 28, 8, 15, tzinfo=UTC)
    assert (port.author, port.category, port.language) == ("Salma Idrissi", "Économie", "fr")
    assert port.source == "La Gazette de l’Atlas – Économie"


def test_rss_item_without_content_uses_its_description_as_body(now: datetime) -> None:
    good, _ = _articles("rss.xml", now)
    inflation = good[1]
    assert inflation.paragraphs == [
        "La hausse des prix alimentaires a nettement ralenti en novembre, selon les chiffres publiés samedi par "
        "l’institut de statistique.",
        "Les fruits et légumes reculent pour le deuxième mois consécutif, tandis que les céréales restent chères.",
    ]
    assert inflation.summary == ""


def test_rss_html_is_reduced_to_paragraphs_and_sanitised(now: datetime) -> None:
    good, _ = _articles("rss.xml", now)
    tourism = good[2]
    assert tourism.title == "Tourisme : record d’arrivées à l’aéroport de Marrakech"
    assert tourism.paragraphs == [
        "Les arrivées à l’aéroport de Marrakech-Ménara ont progressé de 14 % sur un an au mois d’octobre.",
        "Les compagnies à bas coût assurent désormais plus de la moitié des vols, selon l’office aéroportuaire. "
        "Les lignes vers l’Europe du Nord tirent la croissance.",
        "Les hôteliers anticipent une saison d’hiver exceptionnelle.",
    ]
    for bad in ("iframe", "onclick", "javascript:", "<img", "Photo :"):
        assert bad not in tourism.body_html


def test_rss_items_without_link_or_title_are_rejected_with_their_position(now: datetime) -> None:
    good, bad = _articles("rss.xml", now)
    assert len(good) == 3
    assert bad == [
        "rss.xml item 4 (gazette-atlas-48240): url: missing",
        "rss.xml item 5 (https://www.gazette-atlas.example/economie/sans-titre.html): title: missing",
    ]


def test_atom_entries_read_html_and_xhtml_content(now: datetime) -> None:
    good, bad = _articles("atom.xml", now)
    assert bad == []
    fisheries, rail = good
    assert fisheries.url == "https://harbourtimes.example/world/fisheries-monitoring-deal"
    assert fisheries.published_at == datetime(2026, 11, 28, 13, 0, tzinfo=UTC)
    assert fisheries.language == "en" and fisheries.category == "World" and fisheries.author == "Maya Thornton"
    assert fisheries.summary == (
        "Ministers from nine coastal states signed a deal to pool satellite data on fishing fleets."
    )
    assert len(fisheries.paragraphs) == 3 and "Read more" not in fisheries.body
    # An Atom id that is a URL stands in for a missing link.
    assert rail.url == "https://harbourtimes.example/world/rail-strike-ends"
    assert rail.paragraphs[1] == (
        "The deal includes a pay rise over two years and a review of night-shift rosters, the union said."
    )
    assert rail.reading_minutes == 1 and rail.word_count == len(rail.body.split())


def test_malformed_feed_is_refused_in_one_line() -> None:
    with pytest.raises(SourceError) as info:
        parse_feed((FIXTURES / "malformed.xml").read_bytes(), "malformed.xml")
    message = str(info.value)
    assert message.startswith("malformed.xml: not a valid RSS/Atom feed")
    assert "\n" not in message


def test_feed_broken_after_its_first_items_still_yields_them() -> None:
    text = (FIXTURES / "rss.xml").read_text(encoding="utf-8")
    cut = text.index("<item>", text.index("inflation-novembre"))
    parsed = parse_feed(text[:cut].encode() + b"<item><title>cut", "cut.xml")
    assert [i.title for i in parsed.items][:2] == [
        "Le port de Tanger Med franchit un nouveau record de conteneurs",
        "Inflation : les prix de l’alimentation ralentissent en novembre",
    ]
    assert parsed.warnings and parsed.warnings[0].startswith("cut.xml: feed is not well-formed")


# U+0080-U+00BF are left out: feedparser "repairs" text that reads as UTF-8 decoded as
# Latin-1 (a title "Âª" comes back as "ª"), which no real headline looks like.
_words = st.text(
    st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF).filter(lambda c: not 0x80 <= ord(c) <= 0xBF),
    min_size=1,
    max_size=12,
)
# Text that is not page furniture (a one-word "Facebook" paragraph is dropped, rightly).
_sentence = st.lists(_words, min_size=1, max_size=12).map(" ".join).filter(lambda s: not is_boilerplate(s))


@pytest.mark.slow(seconds=10)
@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(_sentence, st.lists(_sentence, min_size=1, max_size=4), st.datetimes(timezones=st.just(UTC))),
        min_size=1,
        max_size=5,
    )
)
def test_rss_items_round_trip(items: list[tuple[str, list[str], datetime]]) -> None:
    # A first paragraph that repeats the headline is dropped by design.
    assume(all(p[0].casefold() != t.casefold() for t, p, _ in items))
    entries = []
    for n, (title, paragraphs, published) in enumerate(items):
        html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        entries.append(
            f"<item><title>{escape(title)}</title><link>https://news.example/{n}</link>"
            f"<pubDate>{format_datetime(published.replace(microsecond=0))}</pubDate>"
            f"<content:encoded>{escape(html)}</content:encoded></item>"
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>'
        + "".join(entries)
        + "</channel></rss>"
    )
    parsed = parse_feed(xml.encode("utf-8"), "prop.xml")
    assert len(parsed.items) == len(items)
    for item, (title, paragraphs, published) in zip(parsed.items, items, strict=True):
        article = to_article(item, fallback_published_at=published, default_language="fr", language="fr")
        assert article.title == " ".join(title.split())
        assert article.paragraphs == [" ".join(p.split()) for p in paragraphs]
        assert article.published_at == published.replace(microsecond=0)
