"""The five-minute budget on the fixture day: what is picked, how it is summarised,
how many words it takes, and what the header says."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_select import END, START, by_guid, fixture_day

from digest.editorial.budget import BRIEF_LABEL, edition_words, item_words
from digest.editorial.plan import EditionRules, assemble_edition
from digest.editorial.summarize import BRIEF, LEAD, TOP, is_boilerplate, split_sentences
from digest.editorial.summarizer import EXTRACTIVE
from digest.i18n import gettext
from digest.models import Article, Edition, EditionItem, EditionStatus, ItemKind, words_per_minute
from digest.text.headlines import short_form
from digest.urls import host_of
from digest.words import word_count

DAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 5, 30, tzinfo=UTC)
ARTICLES = fixture_day()


def compose(language: str = "fr", rules: EditionRules | None = None, articles: list[Article] | None = None) -> Edition:
    return assemble_edition(
        ARTICLES if articles is None else articles,
        newsletter="Le Brief",
        edition_date=DAY,
        language=language,
        window=(START, END),
        rules=rules or EditionRules(),
        summarizer=EXTRACTIVE,
        now=NOW,
    )


FR = compose("fr")
EN = compose("en")


def source_of(item: EditionItem) -> Article:
    return next(a for a in ARTICLES if a.url == item.url)


def whole_sentences(summary: str, article: Article) -> bool:
    """True when ``summary`` is a sequence of whole sentences of the article's body or standfirst."""
    sentences = [s.text for s in split_sentences(article.body, article.language)]
    sentences += [s.text for s in split_sentences(article.summary, article.language)]
    rest = summary
    while rest:
        match = next((s for s in sentences if rest == s or rest.startswith(s + " ")), None)
        if match is None:
            return False
        rest = rest[len(match) :].lstrip(" ")
    return True


def sentence_count(item: EditionItem) -> int:
    return len(split_sentences(item.summary, "fr")) if item.summary else 0


def test_old_and_future_articles_are_never_picked() -> None:
    urls = {i.url for i in FR.items} | {link.url for i in FR.items for link in i.also_read}
    assert by_guid(ARTICLES, "vieux").url not in urls
    assert by_guid(ARTICLES, "apres-envoi").url not in urls
    assert by_guid(ARTICLES, "old-en").url not in {i.url for i in EN.items}


def test_only_one_of_the_near_duplicate_pair_is_a_main_item() -> None:
    for ed, better, other in ((FR, "budget-a", "budget-b"), (EN, "storm-a", "storm-b")):
        main = [i.url for i in ed.items]
        assert by_guid(ARTICLES, better).url in main
        assert by_guid(ARTICLES, other).url not in main
        item = next(i for i in ed.items if i.url == by_guid(ARTICLES, better).url)
        assert [link.url for link in item.also_read] == [by_guid(ARTICLES, other).url]


def test_every_summary_is_whole_sentences_from_the_article() -> None:
    for ed in (FR, EN):
        for item in ed.items:
            assert whole_sentences(item.summary, source_of(item)), item.summary


def test_no_summary_contains_page_furniture() -> None:
    for ed in (FR, EN):
        for item in ed.items:
            for sentence in split_sentences(item.summary, ed.language):
                assert not is_boilerplate(sentence.text)
            for furniture in ("Lire aussi", "Temps de lecture", "Publicité", "Photo :", "Read more"):
                assert furniture not in item.summary


def test_total_words_within_the_budget_and_reading_time_is_words_over_speed() -> None:
    for ed in (FR, EN):
        wpm = words_per_minute(ed.language)
        assert ed.word_count == edition_words(ed.items, ed.language, newsletter="Le Brief")
        assert ed.word_count <= wpm * 5
        assert ed.reading_minutes == math.ceil(ed.word_count / wpm)
    assert FR.word_count > 0.9 * 204 * 5  # a rich day fills the French budget
    assert FR.reading_minutes == 5


def test_word_count_includes_masthead_headlines_section_titles_and_links() -> None:
    shown = 2 + 4 + 5  # "Le Brief", "dimanche 29 novembre 2026", "Temps de lecture : 5 minutes"
    shown += word_count("À la une")  # the lead story's label
    shown += word_count("Aujourd’hui") + word_count("Les titres")  # the list's and the other top stories' labels
    for item in FR.top:
        shown += word_count(item.category)  # each top story shows its category
        shown += word_count(short_form(item.title, 60))  # and its line in "Aujourd'hui"
    shown += word_count(gettext("fr", BRIEF_LABEL)) + sum(word_count(s.category) for s in FR.sections(ItemKind.BRIEF))
    for item in FR.items:
        shown += word_count(item.title) + word_count(item.summary) + 2  # "N min"
        shown += word_count(item.source or host_of(item.url))  # the publisher
        if item.also_read:
            shown += word_count("Lire aussi :") + sum(word_count(link.title) for link in item.also_read)
            shown += 2  # "2 sources"
    assert FR.word_count == shown


@pytest.mark.parametrize("minutes", [1, 2, 3, 4])
def test_smaller_budgets_are_respected_and_filled(minutes: int) -> None:
    ed = compose("fr", EditionRules(reading_minutes=minutes))
    budget = 204 * minutes
    assert ed.word_count <= budget
    assert ed.word_count >= budget - 60  # no large gap while stories are left
    assert ed.reading_minutes == math.ceil(ed.word_count / 204) <= minutes


def test_top_stories_have_two_or_three_sentences_and_briefs_one() -> None:
    assert 3 <= len(FR.top) <= 6 and len(FR.briefs) >= 5
    lead = FR.top[0]
    assert 2 <= sentence_count(lead) <= LEAD.max_sentences and word_count(lead.summary) <= LEAD.max_words
    for item in FR.top[1:]:
        assert 2 <= sentence_count(item) <= 3
        assert word_count(item.summary) <= TOP.max_words
    for item in FR.briefs:
        assert sentence_count(item) <= 1
        assert word_count(item.summary) <= BRIEF.max_words


def test_briefs_are_grouped_by_category_after_the_top_stories() -> None:
    kinds = [i.kind for i in FR.items]
    assert kinds == sorted(kinds, key=lambda k: k is ItemKind.BRIEF)
    categories = [i.category for i in FR.briefs]
    seen: list[str] = []
    for c in categories:
        if not seen or seen[-1] != c:
            assert c not in seen, "a category's briefs are split"
            seen.append(c)
    assert [i.position for i in FR.items] == list(range(len(FR.items)))


def test_configured_category_order_is_the_brief_section_order() -> None:
    # top stories follow importance (issue 14); the configured order arranges "En bref"
    order = ("Sport", "Culture", "Économie")
    ed = compose("fr", EditionRules(categories=order))
    brief_sections = [s.category for s in ed.sections(ItemKind.BRIEF)]
    known = [c for c in brief_sections if c in order]
    assert known == [c for c in order if c in brief_sections]
    assert brief_sections[: len(known)] == known


def test_no_category_takes_the_whole_briefing() -> None:
    rules = EditionRules()
    cap = math.floor(rules.top_stories * rules.max_category_share)
    for section in FR.sections(ItemKind.TOP):
        assert len(section.items) <= cap
    for category in {i.category for i in FR.items}:
        assert sum(1 for i in FR.items if i.category == category) <= 0.4 * len(FR.items) + 1


def test_very_short_and_very_long_articles() -> None:
    short = next((i for i in FR.items if i.url == by_guid(ARTICLES, "tram-breve").url), None)
    if short is not None:  # one sentence cannot make a top story
        assert short.kind is ItemKind.BRIEF
        assert short.summary == by_guid(ARTICLES, "tram-breve").body.split(". Des bus")[0] + "."
    long_item = next(i for i in FR.items if i.url == by_guid(ARTICLES, "eau-longue").url)
    long_article = by_guid(ARTICLES, "eau-longue")
    assert long_item.reading_minutes == math.ceil(len(long_article.body.split()) / 204) >= 4
    assert word_count(long_item.summary) <= TOP.max_words


def test_each_item_shows_its_own_reading_time() -> None:
    for item in FR.items:
        article = source_of(item)
        assert item.reading_minutes == max(1, math.ceil(len(article.body.split()) / 204))
        assert item_words(item, "fr") >= word_count(item.title) + 2


def test_a_day_without_articles_gives_an_empty_skipped_edition() -> None:
    ed = compose("fr", articles=[a for a in ARTICLES if a.language == "en"])
    assert ed.items == () and ed.word_count == 0 and ed.status is EditionStatus.SKIPPED
    assert FR.status is EditionStatus.BUILT and FR.built_at == NOW


def test_composition_is_deterministic() -> None:
    assert compose("fr") == FR


@settings(max_examples=25, deadline=None)
@given(
    st.sets(st.sampled_from(range(len(ARTICLES))), min_size=1),
    st.integers(min_value=1, max_value=8),
    st.sampled_from(["fr", "en"]),
)
def test_any_day_fits_its_budget(chosen: set[int], minutes: int, language: str) -> None:
    articles = [ARTICLES[i] for i in sorted(chosen)]
    ed = compose(language, EditionRules(reading_minutes=minutes), articles)
    wpm = words_per_minute(language)
    assert ed.word_count == edition_words(ed.items, language, newsletter="Le Brief") <= wpm * minutes
    assert ed.reading_minutes == math.ceil(ed.word_count / wpm)
    assert len({i.url for i in ed.items}) == len(ed.items)
    for item in ed.items:
        assert START <= source_of(item).published_at < END


def test_window_shift_changes_the_candidates() -> None:
    later = assemble_edition(
        ARTICLES,
        newsletter="Le Brief",
        edition_date=DAY,
        language="fr",
        window=(START + timedelta(hours=12), END + timedelta(hours=12)),
        rules=EditionRules(),
        summarizer=EXTRACTIVE,
        now=NOW,
    )
    assert by_guid(ARTICLES, "apres-envoi").url in {i.url for i in later.items}
    assert by_guid(ARTICLES, "eau-longue").url not in {i.url for i in later.items}


def test_category_spellings_make_one_section() -> None:
    relabelled = [
        Article(**{**a.__dict__, "category": a.category.lower()}) if a.guid == "fixture:marathon" else a
        for a in ARTICLES
    ]
    ed = compose("fr", EditionRules(categories=("Culture",)), relabelled)
    assert len({i.category for i in ed.items if i.category.casefold() == "sport"}) == 1
    configured = compose("fr", EditionRules(categories=("SPORT",)), ARTICLES)
    assert "Sport" not in {i.category for i in configured.items}
    assert {i.category for i in configured.items if i.category.casefold() == "sport"} == {"SPORT"}
