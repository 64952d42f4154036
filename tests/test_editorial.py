"""The edition an editor would sign (issue 14): a lead story, one story per event with
its "Lire aussi", publishers' names, a subject led by the top headline, a preheader
that adds to it, French and English typography, dates of the configured locale, and
a bounded amount of summarising on a 500-candidate day. Every article here is
written for these tests."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import lxml.html
import pytest
from email_samples import english_edition, french_edition, links, mail_settings
from newsday import build, expected, fixture_days, newsday, short

from digest.editorial.plan import MAX_MISSES, EditionRules, assemble_edition
from digest.editorial.summarize import Style, Summary
from digest.editorial.summarizer import EXTRACTIVE, Summarizer
from digest.mail.compose import EditionComposer
from digest.mail.variant import Variant
from digest.mail.view import subject_line as v_subject
from digest.models import Article, Edition, EditionItem, ItemKind
from digest.store import Store
from digest.store.editions import save_edition
from digest.text.typography import NB_HYPHEN, NBSP, NNBSP, typeset

END = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
START = END - timedelta(hours=24)
DAY = date(2026, 11, 29)


def art(n: int, title: str, body: str, *, language: str = "fr", category: str = "Économie", **kw: str) -> Article:
    return Article(
        id=n,
        url=kw.pop("url", f"https://www.exemple-{n}.example/article-{n}.html"),
        title=title,
        body=body,
        published_at=END - timedelta(hours=n % 20 + 1),
        language=language,
        category=category,
        **kw,  # type: ignore[arg-type]
    )


# Two outlets, one event: a water tariff rise in Meknès. Worded apart (the cosine
# stays under the threshold) but sharing figures (3,4 %, 1 200 dirhams) and names.
TARIFF_A = art(
    1,
    "L’Office régional de l’eau relève ses tarifs de 3,4 % à Meknès",
    "L’Office régional de l’eau a annoncé mardi une hausse de 3,4 % du prix du mètre cube à Meknès, "
    "applicable dès le premier janvier. Selon l’Office, la facture annuelle moyenne d’un foyer passera "
    "à 1 200 dirhams. La direction invoque le coût des forages creusés pendant trois années de sécheresse "
    "et la rénovation d’un réseau qui perd encore un litre sur cinq. Les associations de consommateurs "
    "de Meknès demandent un tarif social pour les familles modestes et un calendrier de travaux public.",
    source="Le Courrier de l’Oriental",
)
TARIFF_B = art(
    2,
    "Eau potable : la facture grimpe dans la région, les associations protestent",
    "C’est officiel : à Meknès, le mètre cube coûtera 3,4 % plus cher au premier janvier. "
    "Pour un ménage moyen, l’addition atteindra 1 200 dirhams par an, selon le distributeur public. "
    "Les représentants des usagers jugent le geste brutal après une année de prix alimentaires élevés. "
    "Ils réclament qu’une première tranche de consommation reste gratuite pour les foyers pauvres.",
    source="La Voix du Saïss",
)
OTHERS_FR = [
    art(
        3,
        "Sport : le club de handball de Fès décroche son premier titre national",
        "Le club de handball de Fès a remporté dimanche son premier titre national face à Agadir. "
        "Les joueurs ont été accueillis par des centaines de supporters à la gare. "
        "L’entraîneur a salué une saison construite autour des jeunes du centre de formation.",
        category="Sport",
        source="Sport Maghreb",
    ),
    art(
        4,
        "Culture : la médiathèque de Tétouan rouvre après deux ans de travaux",
        "La médiathèque de Tétouan a rouvert ses portes samedi après deux ans de travaux. "
        "Le bâtiment accueille désormais un espace numérique et une salle de conférences. "
        "La mairie espère doubler le nombre d’inscrits d’ici la fin de l’année prochaine.",
        category="Culture",
        url="https://www.journal-du-nord.example/culture/mediatheque.html",
    ),
    art(
        5,
        "Santé : un nouveau service d’urgences pédiatriques ouvre à Oujda",
        "Un service d’urgences pédiatriques a ouvert lundi à l’hôpital universitaire d’Oujda. "
        "Il compte vingt lits et une équipe de garde présente jour et nuit. "
        "Les familles de la région devaient jusqu’ici parcourir deux cents kilomètres pour ces soins.",
        category="Santé",
        source="Santé Hebdo",
    ),
]

# The same in English: a bridge closure reported twice.
BRIDGE_A = art(
    11,
    "River crossing shut for 18 months as Harbour Bridge repairs begin",
    "The Harbour Bridge will close to traffic for 18 months from 2 March while engineers replace "
    "corroded cables, the city council said on Tuesday. The works will cost 240 million pounds, "
    "about 40 million more than forecast last year. Commuters will be offered a free ferry service "
    "between Eastport and the old town while the bridge is shut, the council added.",
    language="en",
    category="Business",
    source="The Eastport Gazette",
)
BRIDGE_B = art(
    12,
    "Commuters face long detours while cables are replaced",
    "Drivers who cross the river every day will have to take the ring road from March: the Harbour "
    "Bridge repairs, priced at 240 million pounds, start next spring. Eastport traders fear a drop in "
    "visitors and want the free ferry to run late into the evening. Engineers say the old cables "
    "have lost a fifth of their strength since the last inspection.",
    language="en",
    category="Business",
    source="Coastal Daily",
)
OTHERS_EN = [
    art(
        13,
        "Village school wins national science prize for its weather station",
        "Pupils at a village school have won a national science prize for a weather station they built. "
        "The station sends readings every ten minutes to a website run by the children. "
        "Their teacher said the project started as a lunchtime club two years ago.",
        language="en",
        category="Science",
        source="Science Weekly",
    ),
    art(
        14,
        "Local orchestra plans a season of free concerts in parks",
        "The city orchestra will give twelve free concerts in parks next summer. "
        "Its director wants to reach families who never set foot in the concert hall. "
        "Sponsors have covered the cost of the stages and the sound systems.",
        language="en",
        category="Culture",
        url="https://www.northern-post.example/culture/orchestra.html",
    ),
]


def compose(articles: list[Article], language: str, summarizer: Summarizer = EXTRACTIVE, **rules: int) -> Edition:
    return assemble_edition(
        articles,
        newsletter="Le Brief",
        edition_date=DAY,
        language=language,
        window=(START, END),
        rules=EditionRules(**rules),
        summarizer=summarizer,
        now=END,
    )


def variant(edition: Edition, **settings: object) -> Variant:
    return EditionComposer(mail_settings(**settings), links()).variant(edition, ())  # type: ignore[arg-type]


def html_root(v: Variant) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(v.rendered.html)


@pytest.mark.parametrize(
    ("articles", "language", "kept", "folded", "label"),
    [
        ([TARIFF_A, TARIFF_B, *OTHERS_FR], "fr", TARIFF_A, TARIFF_B, "Lire aussi"),
        ([BRIDGE_A, BRIDGE_B, *OTHERS_EN], "en", BRIDGE_A, BRIDGE_B, "Also read"),
    ],
)
def test_two_outlets_on_one_event_make_one_story_with_an_also_read_link(
    articles: list[Article], language: str, kept: Article, folded: Article, label: str
) -> None:
    edition = compose(articles, language)
    urls = [i.url for i in edition.items]
    assert folded.url not in urls  # not a story of its own
    story = next(i for i in edition.items if i.url == kept.url)
    assert [link.url for link in story.also_read] == [folded.url]
    assert story.also_read[0].source == folded.source
    html = html_root(variant(edition))
    also = html.xpath("//p[@class='also']")[0]
    assert also.text_content().startswith(label)
    assert also.xpath(".//a/@href") == [folded.url]
    assert folded.source in also.text_content()


def test_the_pair_is_under_the_cosine_threshold_so_the_shared_facts_decide() -> None:
    from digest.editorial.pick import fingerprints, similarity

    vectors = fingerprints([TARIFF_A, TARIFF_B, *OTHERS_FR], "fr")
    assert similarity(vectors[0], vectors[1]) < EditionRules().duplicate_similarity
    # without a shared figure the same names do not make one story
    unrelated = replace(TARIFF_B, body=TARIFF_B.body.replace("3,4 %", "un peu").replace("1 200", "mille"))
    assert unrelated.url in [i.url for i in compose([TARIFF_A, unrelated, *OTHERS_FR], "fr").items]


def test_the_lead_story_comes_first_with_a_fuller_summary_then_stories_by_importance() -> None:
    edition = compose([TARIFF_A, TARIFF_B, *OTHERS_FR], "fr", top_stories=3)
    tops = edition.top
    assert tops and tops[0] is edition.items[0]
    assert len(tops[0].summary.split()) > max(len(t.summary.split()) for t in tops[1:])
    html = html_root(variant(edition))
    assert html.xpath("string((//h2[@class='section-title'])[1])") == "À la une"
    lead = html.xpath("//h3[contains(@class, 'lead-headline')]")
    assert len(lead) == 1 and lead[0].text_content() == typeset(tops[0].title, "fr")
    assert "== À LA UNE ==" in variant(edition).rendered.text


def test_each_story_shows_its_publisher_and_the_host_only_without_one() -> None:
    edition = compose([TARIFF_A, TARIFF_B, *OTHERS_FR], "fr")
    text = html_root(variant(edition)).text_content()
    assert "Le Courrier de l’Oriental" in text and "Sport Maghreb" in text
    assert "journal-du-nord.example" in text  # this article has no publisher name
    assert "exemple-1.example" not in text  # a named publisher's host is not shown


def test_subject_is_composed_from_the_lead_headline_within_60_characters_never_cut() -> None:
    long = replace(
        french_edition().items[0],
        title="Sécurité régionale : le Maroc et ses voisins signent un accord de coopération inédit à Rabat",
    )
    edition = replace(french_edition(), items=(long, *french_edition().items[1:]))
    subject = variant(edition).rendered.subject
    assert len(subject) <= 60
    assert not subject.endswith("…") and "…" not in subject
    # The news side of the kicker, ending where a phrase ends.
    assert subject.replace(NBSP, " ") == "Le Maroc et ses voisins signent un accord de coopération"
    assert not subject[0].isdigit() and "novembre" not in subject.lower()  # no date in front


def test_preheader_gives_the_next_headlines_not_the_subjects() -> None:
    v = variant(french_edition())
    root = html_root(v)
    preheader = root.xpath("//div[@class='preheader']")[0].text_content()
    assert v.rendered.subject not in preheader
    assert french_edition().items[0].title[:20] not in preheader
    assert preheader.startswith(typeset(french_edition().items[1].title, "fr")[:25])


TYPO = art(
    21,
    "Budget : « priorité à l’eau », 300 000 foyers concernés ; hausse de 4 % ?",
    "Le gouvernement annonce un plan : « priorité à l’eau » pour 300 000 foyers ; la hausse atteint 4 % ! "
    "Les communes rurales recevront 1 250 000 dirhams chacune pour leurs réseaux d’eau potable. "
    "Le ministre a promis un premier bilan des travaux avant la fin de l’été prochain.",
    category="Politique",
)


def test_french_article_text_gets_no_break_spaces_in_html_and_text() -> None:
    edition = compose([TYPO, *OTHERS_FR], "fr")
    v = variant(edition)
    headline = html_root(v).xpath("string(//h3[1])")
    assert headline == (
        f"Budget{NBSP}: «{NNBSP}priorité à l’eau{NNBSP}», 300{NNBSP}000 foyers concernés{NNBSP}; "
        f"hausse de 4{NNBSP}%{NNBSP}?"
    )
    body = html_root(v).xpath("//body")[0].text_content()  # the <title> is the subject header
    for part in (body, v.rendered.text):
        assert f"300{NNBSP}000 foyers" in part and f"1{NNBSP}250{NNBSP}000 dirhams" in part
        assert "300 000" not in part and " %" not in part and " :" not in part and "« " not in part


def test_typography_leaves_urls_times_and_years_alone() -> None:
    text = "Rendez-vous à 20:15 sur https://exemple.ma/a?b=1 ; en 2024 300 personnes"
    out = typeset(text, "fr")
    assert "20:15" in out and "https://exemple.ma/a?b=1" in out
    assert "2024 300" in out  # a year then a number is not one grouped figure
    assert out.endswith(f"a?b=1{NNBSP}; en 2024 300 personnes")


def test_english_keeps_3_minute_in_one_piece() -> None:
    item = replace(english_edition().items[0], title="A 10-year plan to rebuild the docks")
    edition = replace(english_edition(), items=(item, *english_edition().items[1:]), reading_minutes=3)
    v = variant(edition)
    for part in (html_root(v).text_content(), v.rendered.text):
        assert f"a 3{NB_HYPHEN}minute read" in part
        assert "3-minute" not in part
    assert html_root(v).xpath("string(//h3[1])") == f"A 10{NB_HYPHEN}year plan to rebuild the docks"


def test_the_configured_locale_sets_british_dates() -> None:
    us = html_root(variant(english_edition())).text_content()
    assert "Sunday, November 29, 2026" in us  # "en" alone: Babel's default
    gb = html_root(variant(english_edition(), locales=("en_GB", "fr_MA"))).text_content()
    assert "Sunday, 29 November 2026" in gb and "November 29" not in gb
    fr = html_root(variant(french_edition(), locales=("en_GB", "fr_MA"))).text_content()
    assert "dimanche 29 novembre 2026" in fr


def _pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfglmnprstv") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))


def five_hundred_candidates() -> list[Article]:
    """500 articles with sentence-long headlines and no standfirst, each about its own
    made-up place and people, so that none folds into another."""
    rng = random.Random(14)
    categories = ("Politique", "Économie", "Monde", "Société", "Sport", "Culture", "Sciences", "Santé")
    out = []
    for n in range(500):
        place, person, group = (_pseudo_word(rng).capitalize() for _ in range(3))
        words = [_pseudo_word(rng) for _ in range(12)]
        title = (
            f"À {place}, {person} annonce que le projet {words[0]} du collectif {group} "
            f"sera soumis au vote des habitants avant la fin du mois prochain"
        )
        sentences = [
            f"Le maire de {place} a présenté jeudi le projet {words[0]} devant le conseil réuni en séance publique.",
            f"{person} estime que le quartier {words[1]} attend ce chantier depuis plus de dix ans.",
            f"Le collectif {group} réclame une étude sur les effets du projet {words[2]} pour les riverains.",
            f"Les travaux du secteur {words[3]} pourraient commencer au printemps si le vote est favorable.",
            f"Une réunion publique est prévue au centre {words[4]} pour répondre aux questions des habitants.",
            f"Le budget du programme {words[5]} reste à préciser selon les services de la commune.",
        ]
        out.append(
            Article(
                id=n + 1,
                url=f"https://news.example.org/{n}",
                title=title,
                body=" ".join(sentences * 3),
                published_at=END - timedelta(minutes=n * 2 + 1),
                language="fr",
                category=categories[n % len(categories)],
            )
        )
    return out


class CountingSummarizer:
    """The extractive summariser, counting the summaries it is asked for."""

    def __init__(self) -> None:
        self.calls: list[int | None] = []

    def summarize(self, article: Article, style: Style) -> Summary:
        self.calls.append(article.id)
        return EXTRACTIVE.summarize(article, style)


def test_a_500_candidate_day_summarises_only_what_can_still_fit() -> None:
    counting = CountingSummarizer()
    calls = counting.calls
    edition = compose(five_hundred_candidates(), "fr", counting)
    assert edition.top and edition.briefs
    assert edition.word_count <= 204 * 5
    # one summary per story shown, one more for the lead's fuller try, and at most
    # MAX_MISSES misses per phase: never one per candidate
    assert len(calls) <= len(edition.items) + 1 + 2 * MAX_MISSES
    assert all(i.kind in (ItemKind.TOP, ItemKind.BRIEF) for i in edition.items)


def test_the_publisher_name_survives_storing_the_edition(store: Store) -> None:
    built = compose([TARIFF_A, TARIFF_B, *OTHERS_FR], "fr")
    built = replace(built, items=tuple(replace(i, article_id=None) for i in built.items))  # articles not stored
    stored = save_edition(store, built, rebuild=False, now=END)
    assert [i.source for i in stored.items] == [i.source for i in built.items]
    assert "Le Courrier de l’Oriental" in {i.source for i in stored.items}
    assert "" in {i.source for i in stored.items}  # the article without one stays empty: the host is shown


# The six-outlet day (tests/fixtures/newsday) as an editor would send it.


def _story_name(item: EditionItem, day: dict[str, Any], by_url: dict[str, str]) -> str:
    guid = by_url[item.url]
    for name, event in day["events"].items():
        if guid in event["guids"]:
            return name
    return guid


def _keys(name: str, day: dict[str, Any]) -> list[str]:
    if name in day["events"]:
        return list(day["events"][name]["keys"])
    return list(day["singles"].get(name) or day["trivia_keys"][name])


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_newsday_leads_with_the_story_an_editor_would_choose_and_keeps_trivia_out_of_the_top(
    language: str,
) -> None:
    day, articles = expected(language), newsday(language)
    edition = build(articles, language)
    by_url = {a.url: short(a.guid) for a in articles}
    assert _story_name(edition.items[0], day, by_url) == day["lead"]
    assert edition.items[0].kind is ItemKind.TOP
    trivia = set(day["trivia"])
    assert not {by_url[i.url] for i in edition.items if i.kind is not ItemKind.FINALLY} & trivia
    closing = [i for i in edition.items if i.kind is ItemKind.FINALLY]
    assert len(closing) <= 1 and all(by_url[i.url] in trivia for i in closing)
    assert closing and edition.items[-1] is closing[0]  # "And finally" closes the edition
    shown = [_story_name(i, day, by_url) for i in edition.items]
    assert len(shown) == len(set(shown))  # every event once


def test_the_newsday_stories_carry_a_key_name_or_figure_below_the_headline() -> None:
    day, articles = expected(), newsday()
    edition = build(articles, "en")
    by_url = {a.url: short(a.guid) for a in articles}
    carried = [any(key in i.summary for key in _keys(_story_name(i, day, by_url), day)) for i in edition.items]
    assert len(carried) >= 20
    assert sum(carried) / len(carried) >= 0.9, [i.title for i, c in zip(edition.items, carried, strict=True) if not c]


def test_the_newsday_lead_summary_has_no_dateline_caption_or_background() -> None:
    lead = build(newsday(), "en").items[0]
    assert lead.summary.startswith("A magnitude 6.1 earthquake")  # "VELMORA — " cut off
    assert "Rescuers search through rubble" not in lead.summary  # the photo's caption
    assert "1987" not in lead.summary  # background


def test_the_french_newsday_keeps_captions_background_and_bare_referents_out() -> None:
    edition = build(newsday("fr"), "fr")
    text = " ".join(i.summary for i in edition.items)
    assert "Des voyageurs attendent" not in text  # a caption
    assert "a fondé l’association" not in text  # background
    assert "la proportion a presque doublé" not in text  # a bare referent
    assert "Associé au poulet" not in text  # leans on a sentence not shown
    assert not any(i.summary.startswith("KÉNITRA") for i in edition.items)  # a dateline


def test_a_story_shows_its_sources_and_links_to_the_others() -> None:
    edition = build(newsday(), "en")
    html = html_root(variant(edition)).text_content()
    assert "4 sources" in html and "Also read" in html
    lead = edition.items[0]
    assert {link.source for link in lead.also_read} == {"City Courier", "Daily Signal", "Valley Observer"}


def test_the_newsday_page_has_today_top_story_top_stories_and_and_finally() -> None:
    root = html_root(variant(build(newsday(), "en")))
    assert [h.text_content() for h in root.xpath("//h2")] == [
        "Today",
        "Top story",
        "Top stories",
        "In brief",
        "And finally",
    ]
    today = [li.text_content() for li in root.xpath("//ul[@class='today']/li")]
    assert today[0] == "Earthquake in Velmora kills 14 and injures 80" and 3 <= len(today) <= 6


@pytest.mark.parametrize("name", [name for name, *_ in fixture_days()])
def test_subjects_are_never_cut_with_an_ellipsis_on_any_fixture_day(name: str) -> None:
    _name, articles, language, end = next(d for d in fixture_days() if d[0] == name)
    edition = build(articles, language, end=end)
    rendered = variant(edition).rendered
    assert rendered.subject and len(rendered.subject) <= 60
    assert not rendered.subject.rstrip().endswith(("…", "...")), rendered.subject
    first_title = edition.items[0].title
    assert rendered.subject.split()[0].strip("’'") in first_title  # composed from the lead story
    # the preheader never repeats the subject
    assert rendered.subject not in html_root(variant(edition)).xpath("string(//div[@class='preheader'][1])")


def test_every_long_headline_gets_a_subject_without_an_ellipsis() -> None:
    titles = [a.title for _n, arts, *_ in fixture_days() for a in arts] + [
        "Festival du film : un premier long métrage tourné dans le Haut Atlas remporte le grand prix",
        "Supercalifragilisticexpialidociouslyextraordinarilylongwordthatneverends and more",
    ]
    for title in titles:
        subject = v_subject(title)
        assert 0 < len(subject) <= 60 and "…" not in subject, (title, subject)
        assert subject.split()[-1].lower() not in {"de", "la", "le", "the", "of", "à", "and", "et"}, subject


def test_scores_and_ranges_never_break_in_either_language() -> None:
    assert typeset("Redhaven lose 4-0, women win 2-1", "en") == f"Redhaven lose 4{NB_HYPHEN}0, women win 2{NB_HYPHEN}1"
    assert (
        typeset("Le Raja bat le Wydad 2-1 (10-12 h)", "fr") == f"Le Raja bat le Wydad 2{NB_HYPHEN}1 (10{NB_HYPHEN}12 h)"
    )
    assert typeset("https://x.example/a-1", "fr") == "https://x.example/a-1"  # not between digits


@pytest.mark.parametrize(
    ("locales", "english", "french"),
    [
        (("en_US", "fr_FR"), "Sunday, November 29, 2026", "dimanche 29 novembre 2026"),
        (("en_GB", "fr_MA"), "Sunday, 29 November 2026", "dimanche 29 novembre 2026"),
    ],
)
def test_newsletter_locale_sets_each_edition_date(locales: tuple[str, ...], english: str, french: str) -> None:
    assert english in html_root(variant(english_edition(), locales=locales)).text_content()
    assert french in html_root(variant(french_edition(), locales=locales)).text_content()


def test_the_and_finally_story_survives_storing_the_edition(store: Store) -> None:
    built = build(newsday(), "en")
    built = replace(built, items=tuple(replace(i, article_id=None) for i in built.items))  # articles not stored
    stored = save_edition(store, built, rebuild=False, now=END)
    assert [i.kind for i in stored.items] == [i.kind for i in built.items]
    assert stored.items[-1].kind is ItemKind.FINALLY
