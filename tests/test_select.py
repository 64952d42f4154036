"""Selection: the window, the transparent score, near-duplicates, category balance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from newsday import expected, newsday, short

from digest.editorial.pick import (
    DEFAULT_DUPLICATE_SIMILARITY,
    Pick,
    ScoreParts,
    category_weight,
    fingerprints,
    in_window,
    pick_stories,
    score_parts,
    similarity,
)
from digest.models import Article

DAY = Path(__file__).parent / "fixtures" / "briefing" / "day.jsonl"
END = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)  # 07:00 in Casablanca on the edition date
START = END - timedelta(hours=24)


def fixture_day() -> list[Article]:
    """The fixture day's articles, with ids in file order."""
    out = []
    for i, line in enumerate(DAY.read_text(encoding="utf-8").splitlines(), start=1):
        r = json.loads(line)
        out.append(
            Article(
                id=i,
                guid=r["guid"],
                url=r["url"],
                title=r["title"],
                body=r["body"],
                summary=r.get("summary", ""),
                published_at=datetime.fromisoformat(r["published_at"]),
                language=r["language"],
                category=r["category"],
                source=r["source"],
            )
        )
    return out


def by_guid(articles: list[Article], guid: str) -> Article:
    return next(a for a in articles if a.guid == f"fixture:{guid}")


def article(title: str, body: str, *, category: str = "Politique", hours_before_end: float = 2, **kw: str) -> Article:
    return Article(
        url=f"https://example.org/{abs(hash((title, body)))}",
        title=title,
        body=body,
        published_at=END - timedelta(hours=hours_before_end),
        language=kw.pop("language", "fr"),
        category=category,
        **kw,
    )


def test_window_keeps_the_language_and_the_24_hours_before_send_time() -> None:
    day = fixture_day()
    fr = in_window(day, language="fr", start=START, end=END)
    guids = {a.guid for a in fr}
    assert "fixture:vieux" not in guids  # three days old
    assert "fixture:apres-envoi" not in guids  # published after the send time
    assert all(a.language == "fr" for a in fr)
    assert len(fr) == sum(1 for a in day if a.language == "fr") - 2


def test_window_start_is_inclusive_and_end_exclusive() -> None:
    at_start = article("Début", "Texte.", hours_before_end=24)
    at_end = article("Fin", "Texte.", hours_before_end=0)
    assert in_window([at_start, at_end], language="fr", start=START, end=END) == [at_start]


def test_same_url_twice_keeps_the_latest_version() -> None:
    old = article("Titre", "Première version.", hours_before_end=5)
    new = Article(**{**old.__dict__, "body": "Version corrigée.", "published_at": END - timedelta(hours=1)})
    assert in_window([old, new], language="fr", start=START, end=END) == [new]


def test_score_parts_are_transparent() -> None:
    day = fixture_day()
    long_read = score_parts(by_guid(day, "eau-longue"), start=START, end=END)
    short = score_parts(by_guid(day, "tram-breve"), start=START, end=END)
    vote = score_parts(by_guid(day, "budget-a"), start=START, end=END)
    assert long_read.standfirst == 1.0 and short.standfirst == 0.0
    # Length is not news value: the vote (officials, figures, a decision) outweighs the long feature.
    assert vote.hard >= 0.75 > long_read.hard
    fresh = score_parts(article("Frais", "Mot. " * 300, hours_before_end=0.5), start=START, end=END)
    stale = score_parts(article("Rassis", "Mot. " * 300, hours_before_end=23), start=START, end=END)
    assert fresh.recency > 0.95 and stale.recency < 0.05
    parts = ScoreParts(recency=1.0, hard=0.5, standfirst=1.0, coverage=0.5, category_weight=2.0, balance=0.7)
    assert parts.base == pytest.approx(0.15 + 0.35 * 0.5 + 0.05 + 0.45 * 0.5)
    assert parts.total == pytest.approx(parts.base * 2.0 * 0.7)
    assert "recency 1.00" in parts.describe() and "x weight 2.00 x balance 0.70" in parts.describe()


def test_category_weight_is_case_insensitive_and_defaults_to_one() -> None:
    assert category_weight("Sport", {"sport": 0.5}) == 0.5
    assert category_weight("Culture", {"sport": 0.5}) == 1.0


def test_near_duplicates_worded_differently_are_folded_into_the_better_one() -> None:
    day = fixture_day()
    for language, better, other in (("fr", "budget-a", "budget-b"), ("en", "storm-a", "storm-b")):
        picks = pick_stories(day, language=language, start=START, end=END)
        guids = [p.article.guid for p in picks]
        assert f"fixture:{better}" in guids and f"fixture:{other}" not in guids
        pick = next(p for p in picks if p.article.guid == f"fixture:{better}")
        assert [a.guid for a in pick.also] == [f"fixture:{other}"]
        assert pick.also_read[0].url == by_guid(day, other).url
        assert pick.also_read[0].source == by_guid(day, other).source
        assert pick.parts.coverage == 0.5


def test_distinct_stories_are_not_folded() -> None:
    day = fixture_day()
    fr = in_window(day, language="fr", start=START, end=END)
    picks = pick_stories(day, language="fr", start=START, end=END)
    assert len(picks) == len(fr) - 1  # only the budget pair is folded
    vectors = fingerprints(fr, "fr")
    pair = {"fixture:budget-a", "fixture:budget-b"}
    for i, a in enumerate(fr):
        for j in range(i + 1, len(fr)):
            sim = similarity(vectors[i], vectors[j])
            if {a.guid, fr[j].guid} == pair:
                assert sim >= DEFAULT_DUPLICATE_SIMILARITY
            else:
                assert sim < DEFAULT_DUPLICATE_SIMILARITY / 2, (a.guid, fr[j].guid)


def test_identical_titles_on_two_urls_are_duplicates() -> None:
    body_a = "Le conseil municipal a voté lundi la gratuité des bus pour les moins de 18 ans à partir de janvier."
    body_b = "Les élus ont adopté la mesure à une large majorité, qui coûtera 4 millions par an à la ville."
    a = article("Bus gratuits pour les jeunes dès janvier", body_a, hours_before_end=1)
    b = article("Bus gratuits pour les jeunes dès janvier", body_b, hours_before_end=2)
    c = article("Le musée rouvre ses portes", "Après deux ans de travaux, le musée accueille de nouveau le public.")
    picks = pick_stories([a, b, c], language="fr", start=START, end=END)
    assert len(picks) == 2
    assert {len(p.also) for p in picks} == {0, 1}


def test_category_weights_change_the_ranking() -> None:
    day = fixture_day()
    plain = [p.article.guid for p in pick_stories(day, language="fr", start=START, end=END)]
    weighted = [
        p.article.guid
        for p in pick_stories(day, language="fr", start=START, end=END, category_weights={"Sciences": 3.0})
    ]
    best_plain = min(plain.index("fixture:satellite"), plain.index("fixture:dessalement"))
    best_weighted = min(weighted.index("fixture:satellite"), weighted.index("fixture:dessalement"))
    assert best_weighted < best_plain - 3


def test_one_category_cannot_fill_the_top_of_the_ranking() -> None:
    subjects = ["retraites", "impôts", "santé", "écoles", "police", "routes", "logement", "justice"]
    politics = [
        article(f"Réforme : {s}", f"Le gouvernement prépare une loi sur {s} et {s} numéro {i}. " * 40)
        for i, s in enumerate(subjects)
    ]
    sport = [
        article(f"Sport : {s}", f"L'équipe de {s} a gagné le match de {s}. " * 12, category="Sport")
        for s in ("basket", "rugby")
    ]
    unbalanced = pick_stories(politics + sport, language="fr", start=START, end=END, category_decay=1.0)
    assert [p.article.category for p in unbalanced[:8]] == ["Politique"] * 8
    balanced = pick_stories(politics + sport, language="fr", start=START, end=END)
    assert "Sport" in [p.article.category for p in balanced[:3]]
    assert all(p.parts.balance <= 1.0 for p in balanced)
    second_politics = [p for p in balanced if p.article.category == "Politique"][1]
    assert second_politics.parts.balance == pytest.approx(0.7)


def test_selection_is_deterministic() -> None:
    day = fixture_day()
    first = [p.article.url for p in pick_stories(day, language="fr", start=START, end=END)]
    again = [p.article.url for p in pick_stories(list(reversed(day)), language="fr", start=START, end=END)]
    assert first == again


# The six-outlet day (tests/fixtures/newsday): what an editor makes of it.


def newsday_picks(language: str = "en") -> list[Pick]:
    return pick_stories(newsday(language), language=language, start=START, end=END)


def story_of(picks: list[Pick], guid: str) -> Pick:
    return next(p for p in picks if guid in {short(a.guid) for a in (p.article, *p.also)})


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_event_told_by_several_outlets_is_one_story(language: str) -> None:
    picks = newsday_picks(language)
    for name, event in expected(language)["events"].items():
        story = story_of(picks, event["guids"][0])
        assert {short(a.guid) for a in (story.article, *story.also)} == set(event["guids"]), name
        assert story.outlets == len({a.source for a in (story.article, *story.also)}) >= 2


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_look_alike_is_merged_with_the_event_it_resembles(language: str) -> None:
    picks = newsday_picks(language)
    for alike, event in expected(language)["lookalikes"]:
        assert story_of(picks, alike) is not story_of(picks, event), (alike, event)
        assert not story_of(picks, alike).also, alike


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_story_is_told_by_the_report_not_the_analysis_or_the_explainer(language: str) -> None:
    picks = newsday_picks(language)
    for name, event in expected(language)["events"].items():
        story = story_of(picks, event["guids"][0])
        if "not_shown" in event:
            assert short(story.article.guid) != event["not_shown"], name
            assert event["not_shown"] in {short(a.guid) for a in story.also}, name


def test_news_value_not_length_orders_the_day_and_trivia_sinks() -> None:
    picks = newsday_picks()
    order = [short(p.article.guid) for p in picks]
    assert order[0] == "quake-a"  # 4 outlets, 14 dead, a state of emergency
    trivia = set(expected()["trivia"])
    assert {short(p.article.guid) for p in picks if p.light} == trivia
    events = {short(story_of(picks, e["guids"][0]).article.guid) for e in expected()["events"].values()}
    # Every event told by several outlets ranks above every trivia item.
    assert max(order.index(g) for g in events) < min(order.index(g) for g in trivia)
    # The long solar-irrigation feature no longer outranks a single-outlet decision.
    assert order.index("like-town") < order.index("solar")
    assert "coverage" in picks[0].parts.describe() and "hard" in picks[0].parts.describe()


def test_a_story_of_one_outlet_has_no_coverage_and_four_outlets_nearly_full() -> None:
    picks = newsday_picks()
    assert story_of(picks, "quake-a").parts.coverage == pytest.approx(0.875)
    assert story_of(picks, "theatre").parts.coverage == 0.0


def test_two_reports_that_disagree_on_the_toll_still_make_one_story() -> None:
    first = article(
        "Quake in Velmora kills 14, says governor Anja Thorsen",
        "A 6.1 earthquake struck Velmora on Saturday, killing 14 people and injuring 80, governor Anja Thorsen "
        "said. Rescuers from Station Road to the Halden bridge searched 300 damaged buildings.",
        language="en",
        source="A",
    )
    second = article(  # other words, other figures (cosine 0.18): the people and places decide
        "Toll climbs to 15 after tremor",
        "Fifteen dead and 92 hurt: the toll of the 6.2 tremor rose overnight, Anja Thorsen told reporters in "
        "Velmora. Teams between Station Road and the Halden bridge have checked 320 houses.",
        language="en",
        source="B",
    )
    cup = article(
        "Velmora United win the regional cup 3-1",
        "Velmora United beat Portmere 3-1 on Saturday, with 2 goals from Elsa Varga before 4,500 fans, "
        "the club's 12th regional cup.",
        language="en",
        source="C",
    )
    picks = pick_stories([first, second, cup], language="en", start=START, end=END)
    assert len(picks) == 2
    quake = next(p for p in picks if p.also)
    assert {quake.article.url, *(a.url for a in quake.also)} == {first.url, second.url}
