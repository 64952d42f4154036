"""Cleaning: HTML -> paragraphs, nh3 sanitising, canonical URLs, language, word counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.ingest.items import ItemError, canonical_url
from digest.ingest.language import detect_language, normalize_language
from digest.ingest.text import (
    clean_line,
    html_to_paragraphs,
    inline_text,
    join_paragraphs,
    sanitize_html,
    text_to_paragraphs,
)


def test_html_paragraphs_keep_breaks_and_drop_scripts_forms_and_figures() -> None:
    html = """
      <div><h2>Un titre intermédiaire</h2>
      <p>Premier  paragraphe,
         sur deux lignes.</p>
      <script>var x = "Temps de lecture";</script>
      <p>Deuxième <em>paragraphe</em> avec <a href="/x">un lien</a>.</p>
      Texte libre<br><br>après deux sauts,<br>puis un seul.
      <figure><img src="a.jpg"><figcaption>Photo : AFP</figcaption></figure>
      <form><label>E-mail</label><button>OK</button></form>
      <ul><li>Point un</li><li>Point deux</li></ul></div>
    """
    assert html_to_paragraphs(html) == [
        "Un titre intermédiaire",
        "Premier paragraphe, sur deux lignes.",
        "Deuxième paragraphe avec un lien.",
        "Texte libre",
        "après deux sauts, puis un seul.",
        "Point un",
        "Point deux",
    ]


def test_sanitize_removes_scripts_handlers_and_javascript_links() -> None:
    dirty = (
        '<p onclick="steal()">Texte <a href="javascript:alert(1)">lien</a> '
        '<a href="https://ok.example/a" target="_blank">bon</a></p>'
        "<script>alert(1)</script><iframe src='https://evil.example'></iframe>"
        '<img src="x" onerror="alert(1)"><style>p{}</style><nav>Menu</nav>'
    )
    clean = sanitize_html(dirty)
    for bad in ("onclick", "javascript:", "<script", "alert(", "<iframe", "<img", "onerror", "<style", "Menu"):
        assert bad not in clean
    assert '<a href="https://ok.example/a" rel="noopener noreferrer nofollow">bon</a>' in clean


def test_inline_text_strips_tags_and_entities_from_titles() -> None:
    assert inline_text("Tourisme : <em>record</em> d&rsquo;arrivées\n ") == "Tourisme : record d’arrivées"
    assert inline_text("Prix &amp; salaires") == "Prix & salaires"


def test_plain_text_paragraphs_split_on_blank_lines_only() -> None:
    text = "Ligne un\ncontinue ici.\r\n\r\n  Deuxième\tparagraphe. \n \n\n\nTroisième."
    assert text_to_paragraphs(text) == ["Ligne un continue ici.", "Deuxième paragraphe.", "Troisième."]


_paragraph = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).map(
    lambda s: " ".join(s.split())
)


@given(st.lists(_paragraph.filter(bool), min_size=1, max_size=6))
def test_joined_paragraphs_split_back_to_the_same_list(paragraphs: list[str]) -> None:
    cleaned = [p for p in (text_to_paragraphs(p) for p in paragraphs) for p in p]
    assert text_to_paragraphs(join_paragraphs(cleaned)) == cleaned


@given(st.text(max_size=300))
def test_html_to_paragraphs_never_fails_and_never_returns_blank_paragraphs(markup: str) -> None:
    for paragraph in html_to_paragraphs(markup):
        assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.ORG:443/a/b?utm_source=rss&id=3&fbclid=x#comments", "https://www.example.org/a/b?id=3"),
        ("http://example.org", "http://example.org/"),
        ("http://example.org:8080/x?b=2&a=1", "http://example.org:8080/x?b=2&a=1"),
        ("  https://example.org/x?xtor=RSS-3  ", "https://example.org/x"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [("", "url: missing"), ("ftp://example.org/x", "http"), ("/relative/path", "http"), ("https:///nohost", "host")],
)
def test_canonical_url_refuses_what_cannot_identify_an_article(url: str, reason: str) -> None:
    with pytest.raises(ItemError, match=reason):
        canonical_url(url)


@given(
    st.sampled_from(["http", "https", "HTTPS"]),
    st.from_regex(r"[a-z]{1,10}(\.[a-z]{2,5}){1,2}", fullmatch=True),
    st.from_regex(r"(/[a-zA-Z0-9._-]{0,8}){0,3}", fullmatch=True),
    st.lists(st.tuples(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), st.text(max_size=8)), max_size=3),
)
def test_canonical_url_is_idempotent(scheme: str, host: str, path: str, query: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    url = f"{scheme}://{host}{path}" + (f"?{urlencode(query)}" if query else "")
    once = canonical_url(url)
    assert canonical_url(once) == once


def test_language_detection_is_deterministic_and_knows_french_from_english() -> None:
    fr = "Les députés ont adopté vendredi soir le projet de loi de finances, après un long débat sur l’éducation."
    en = "Leaders from twenty countries ended their summit on Saturday with a joint statement on shared rivers."
    assert [detect_language(fr) for _ in range(5)] == ["fr"] * 5
    assert [detect_language(en) for _ in range(5)] == ["en"] * 5
    assert detect_language("OK !") is None


@pytest.mark.parametrize(
    ("given_", "code"),
    [("fr-FR", "fr"), ("EN", "en"), ("en_GB", "en"), ("ar", "ar"), ("français", None), ("xx", None), ("", None)],
)
def test_language_codes_are_normalised(given_: str, code: str | None) -> None:
    assert normalize_language(given_) == code


_SPACES = "ab \t\n\r\x0b\x0c\x1c\x1d\x85\xa0\u2003\u2028\u3000\u200b.é"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\ufeff]"


@given(st.text(alphabet=st.sampled_from(list(_SPACES)), max_size=60))
def test_clean_line_collapses_exactly_the_whitespace_a_regex_would(text: str) -> None:
    import re
    import unicodedata

    expected = re.sub(r"\s+", " ", re.sub(_CONTROL, "", text)).strip()
    assert clean_line(text) == unicodedata.normalize("NFC", expected)
