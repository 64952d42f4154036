"""The inlined HTML and the plain text of a variant: accessible table layout, CSS
inlined with @media kept in <head>, translated labels, footer obligations, and the
view's choices (topics, reading time, "En bref" limit)."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import lxml.html
import pytest
from browser_support import CHROMIUM
from email_samples import english_edition, french_edition, links, mail_settings

from digest.editorial.budget import edition_words
from digest.mail import view as v
from digest.mail.compose import EditionComposer
from digest.mail.inline import inline_css
from digest.mail.slots import MARKERS
from digest.mail.variant import Variant
from digest.models import ItemKind, reading_minutes
from digest.text.typography import typeset

if TYPE_CHECKING:
    from playwright.sync_api import Browser

WEB_SAFE = {
    "helvetica", "arial", "sans-serif", "georgia", "times new roman", "times", "serif",
}  # fmt: skip


def variant(edition=None, topics=(), **settings: str) -> Variant:  # type: ignore[no-untyped-def]
    composer = EditionComposer(mail_settings(**settings), links())
    return composer.variant(edition or french_edition(), topics)


@pytest.fixture(scope="module")
def fr() -> Variant:
    return variant()


def doc(v_: Variant) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(v_.rendered.html)


def test_root_has_lang_and_dir_and_the_wrapper_is_an_article(fr: Variant) -> None:
    root = doc(fr)
    assert root.get("lang") == "fr" and root.get("dir") == "ltr"
    wrapper = root.xpath("//div[@role='article']")[0]
    assert wrapper.get("aria-roledescription") == "email"
    assert wrapper.get("lang") == "fr"


def test_every_layout_table_is_presentational_and_sized_for_outlook(fr: Variant) -> None:
    root = doc(fr)
    tables = root.xpath("//table")
    assert tables
    assert all(t.get("role") == "presentation" for t in tables)
    assert all(t.get("width") for t in tables)  # width attributes, not only CSS
    # the ghost table Outlook's Word engine sees
    assert '<!--[if mso]><table role="presentation" width="600"' in fr.rendered.html


def test_css_is_inlined_and_only_media_queries_stay_in_head(fr: Variant) -> None:
    root = doc(fr)
    styles = root.xpath("//head/style")
    assert len(styles) == 1
    css = styles[0].text_content()
    assert "@media screen and (max-width: 600px)" in css
    assert "prefers-color-scheme: dark" in css
    outside_media = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css).strip()
    assert outside_media == ""
    assert "!important" in css  # strip_important=False: the @media rules still win
    headline = root.xpath("//h3[@class='headline']")[0]
    assert "font-size:22px" in headline.get("style").replace(" ", "")
    assert not root.xpath("//body//style")


def test_fonts_are_web_safe(fr: Variant) -> None:
    declarations = [d for el in doc(fr).xpath("//*[@style]") for d in el.get("style").split(";")]
    families = [d.split(":", 1)[1] for d in declarations if d.strip().startswith("font-family")]
    families += re.findall(r"font-family:([^;}]+)", fr.rendered.html.partition("<body")[0])  # MSO block
    assert len(families) > 20
    for family in families:
        fonts = {f.replace("!important", "").strip().strip("'\"").lower() for f in family.split(",")}
        assert fonts <= WEB_SAFE, family


def test_every_image_has_alt_text() -> None:
    with_logo = variant(logo_url="https://lebrief.ma/static/logo.png")
    images = doc(with_logo).xpath("//img")
    assert images
    for img in images:
        assert img.get("alt") == "Le Brief"
        assert img.get("width")


def test_header_shows_name_date_and_reading_time(fr: Variant) -> None:
    root = doc(fr)
    assert root.xpath("string(//h1)") == "Le Brief"
    assert "dimanche 29 novembre 2026" in root.text_content()
    assert "Temps de lecture\u00a0: 3 minutes" in root.text_content()


def test_lead_story_then_top_stories_with_their_category_then_en_bref(fr: Variant) -> None:
    root = doc(fr)
    sections = [h.text_content() for h in root.xpath("//h2")]
    # "Aujourd'hui" under the masthead; "À la une" over the lead only, "Les titres" over the rest.
    assert sections == ["Aujourd’hui", "À la une", "Les titres", "En bref"]
    headlines = [h.text_content() for h in root.xpath("//h3")]
    assert headlines == [typeset(i.title, "fr") for i in french_edition().top]
    assert root.xpath("//h3")[0].get("class").split() == ["headline", "lead-headline"]
    kickers = [p.text_content() for p in root.xpath("//p[@class='kicker']")]
    assert kickers == [i.category for i in french_edition().top]
    categories = [p.text_content() for p in root.xpath("//p[@class='brief-category']")]
    assert categories == ["Politique", "Économie", "Société", "Sport", "Culture"]
    assert "Lire aussi\u00a0:" in root.text_content()
    assert "2 min" in root.text_content()


def test_preheader_is_short_hidden_and_honest(fr: Variant) -> None:
    root = doc(fr)
    pre = root.xpath("//div[@class='preheader']")[0]
    assert "display:none" in pre.get("style").replace(" ", "")
    text = pre.text_content()
    assert len(text) <= v.PREHEADER_CHARS
    # the next headlines: the subject already carries the first one
    assert text.startswith(typeset(french_edition().top[1].title, "fr")[:30])
    assert french_edition().top[0].title not in text


def test_footer_has_reason_unsubscribe_preferences_browser_link_and_address(fr: Variant) -> None:
    root = doc(fr)
    footer = root.xpath("//td[@class='footer']")[0]
    hrefs = {a.text_content(): a.get("href") for a in footer.xpath(".//a")}
    assert hrefs["Se désinscrire"] == MARKERS.unsubscribe
    assert hrefs["Gérer vos préférences"] == MARKERS.preferences
    assert hrefs["Voir dans le navigateur"] == MARKERS.archive
    text = footer.text_content()
    assert f"car l’adresse {MARKERS.email} y est inscrite" in text
    assert "12 boulevard d’Anfa, 20000 Casablanca, Maroc" in text


def test_plain_text_part_has_the_same_content_and_links_on_their_own_lines(fr: Variant) -> None:
    text = fr.rendered.text
    lines = text.splitlines()
    assert lines[:3] == ["LE BRIEF", "dimanche 29 novembre 2026", "Temps de lecture\u00a0: 3 minutes"]
    for item in french_edition().items:
        assert item.url in lines or f"  {item.url}" in lines
    assert "== EN BREF ==" in lines
    assert "Lire aussi\u00a0: Coopération" in text  # wrapping keeps French no-break spaces
    assert MARKERS.unsubscribe in lines
    assert all(len(line) <= 72 or "://" in line or MARKERS.email in line for line in lines)
    assert "-- " in lines  # signature separator before the footer


def test_english_variant_uses_english_labels_and_date() -> None:
    en = variant(english_edition())
    root = doc(en)
    assert root.get("lang") == "en"
    assert "Sunday, November 29, 2026" in root.text_content()
    assert "Reading time: 1 minute" in root.text_content()
    assert "Unsubscribe" in root.text_content()
    assert en.rendered.subject.startswith("NATO envoy")
    assert "En bref" not in root.text_content()  # no briefs in this edition: no section


def test_topics_select_categories_case_insensitively_and_say_so() -> None:
    edition = french_edition()
    sel = v.for_topics(edition, ["économie", " SPORT "])
    assert {i.category for i in sel.items} == {"Économie", "Sport"}
    assert sel.topics == ("Économie", "Sport")
    only = variant(edition, ["économie", "Sport"])
    root = doc(only)
    assert [h.text_content() for h in root.xpath("//h2")] == ["Aujourd’hui", "À la une", "Les titres", "En bref"]
    assert {p.text_content() for p in root.xpath("//p[@class='kicker']")} <= {"Économie", "Sport"}
    assert "Vous ne recevez que vos rubriques\u00a0: Économie, Sport." in root.text_content()
    # the header's reading time is the variant's own, counted like the edition's
    shown = [i for i in edition.items if i.category in ("Économie", "Sport")]
    words = edition_words(shown, "fr", newsletter="Le Brief")
    assert only.view.reading_minutes == reading_minutes(words, "fr") < edition.reading_minutes


def test_topics_covering_every_category_or_none_give_the_full_edition() -> None:
    edition = french_edition()
    everything = sorted({i.category for i in edition.items})
    assert v.for_topics(edition, everything) == v.for_topics(edition, [])
    missed = v.for_topics(edition, ["Météo"])
    assert missed.items == edition.items and missed.topics_missed
    root = doc(variant(edition, ["Météo"]))
    assert "Rien dans vos rubriques aujourd’hui" in root.text_content()


def test_brief_limit_keeps_the_first_briefs_and_counts_the_rest() -> None:
    edition = french_edition()
    view = v.build(edition, v.Masthead("Le Brief"), v.for_topics(edition, []), brief_limit=3)
    shown = [s.title for sec in view.brief_sections for s in sec.stories]
    assert shown == [typeset(i.title, "fr") for i in edition.briefs[:3]]
    assert view.dropped_briefs == len(edition.briefs) - 3
    assert view.lead is not None and len(view.top_stories) == len(edition.top) - 1


def test_inlining_keeps_the_markers_and_escapes_nothing_twice() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        f'<p><a href="{MARKERS.archive}">R&amp;D &lt;b&gt;</a> {MARKERS.greeting}</p></body></html>'
    )
    out = inline_css(html)
    assert f'href="{MARKERS.archive}"' in out and MARKERS.greeting in out
    assert "R&amp;D &lt;b&gt;" in out
    assert 'style="color:red"' in out


def test_stories_without_url_or_summary_still_render() -> None:
    edition = french_edition()
    bare = replace(edition.items[0], url="", summary="", also_read=())
    brief = replace(edition.briefs[0], url="")
    edition = replace(edition, items=(bare, *edition.items[1:6], brief))
    root = doc(variant(edition))
    assert root.xpath("string(//h3[1])") == typeset(bare.title, "fr")
    assert typeset(brief.title, "fr") in root.text_content()
    assert edition.items[-1].kind is ItemKind.BRIEF


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("DIGEST_REQUIRE_BROWSER") != "1",
    reason="headless Chromium (/usr/bin/chromium) not installed",
)
@pytest.mark.parametrize("edition", ["fr", "en"])
def test_read_the_article_and_footer_links_are_44_pixels_tall_at_375(
    edition: str, tmp_path: Path, browser: Browser
) -> None:
    ed = french_edition() if edition == "fr" else english_edition()
    page_html = variant(ed).rendered.html
    path = tmp_path / "edition.html"
    path.write_text(page_html, encoding="utf-8")
    page = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(path.as_uri())
    targets = page.locator("a.read, .footer-links a")
    # every top story's "Read the article" and the three footer links
    assert targets.count() == len(ed.top) + 3
    for i in range(targets.count()):
        box = targets.nth(i).bounding_box()
        assert box is not None and box["height"] >= 44, (targets.nth(i).inner_text(), box)


def test_every_label_of_the_email_templates_has_curly_apostrophes() -> None:
    from digest import i18n

    folder = Path(__file__).resolve().parent.parent / "templates" / "email"
    labels: set[str] = set()
    plurals: set[tuple[str, str]] = set()
    for template in folder.iterdir():
        text = template.read_text(encoding="utf-8")
        labels.update(re.findall(r'(?<![n])_\("([^"]+)"', text))
        plurals.update(re.findall(r'ngettext\("([^"]+)", "([^"]+)"', text))
    assert "That’s all for today. See you tomorrow morning." in labels and plurals
    for language in ("fr", "en"):
        shown = [i18n.gettext(language, label) for label in labels]
        shown += [i18n.ngettext(language, one, many, n, num=n) for one, many in plurals for n in (1, 2)]
        assert not [s for s in shown if "'" in s], language
