"""Summaries a reader can trust: one small original article per trap (tests/fixtures/summaries).

Each fixture holds the trap an editor would catch: a sentence pointing back to one
the reader never saw, Daily Mail page furniture, an ALL-CAPS subheading or a video
credit glued into the text, a quotation in single quotes, a publisher's standfirst.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.editorial.summarize import (
    BRIEF,
    LEAD,
    TOP,
    Style,
    Summary,
    accepts,
    split_sentences,
    summarize_article,
    summarize_story,
)
from digest.editorial.summarize.anaphora import leans_back
from digest.editorial.summarize.quotes import balanced, open_quotes
from digest.editorial.summarize.scene import is_scene_setting
from digest.models import Article
from digest.text.boilerplate import is_boilerplate, split_glued
from digest.words import word_count

FIXTURES = Path(__file__).parent / "fixtures" / "summaries"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def article(body: str, *, language: str = "fr", standfirst: str = "", title: str = "") -> Article:
    return Article(
        url="https://example.org/a",
        title=title,
        body=body,
        published_at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        language=language,
        summary=standfirst,
    )


def assert_no_dangling_sentence(sentences: tuple[str, ...], text: str, language: str) -> None:
    """Every sentence that leans back comes right after the sentence it leans on."""
    order = [s.text for s in split_sentences(text, language)]
    assert sentences, "empty summary"
    assert not leans_back(sentences[0], language), sentences[0]
    for before, sentence in itertools.pairwise(sentences):
        if leans_back(sentence, language):
            assert order.index(before) == order.index(sentence) - 1, (before, sentence)


# --- dangling openers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "language"),
    [
        ("Comme le sien, le bassin voisin devra attendre.", "fr"),
        ("Celle-ci coûtera 4,2 millions d'euros.", "fr"),
        ("Eux assurent que la piscine rouvrira.", "fr"),
        ("Il a précisé que les travaux dureraient un an.", "fr"),
        ("He said the work would start in spring.", "en"),
        ("This will allow ships to dock again.", "en"),
        ("But the council disagreed.", "en"),
        ("However, fishermen fear the dredging.", "en"),
        ("Because, unlike Crimea's rushed referendum, this vote was planned for a year.", "en"),
        ("Because it was cheaper.", "en"),
        ("Car les travaux ont pris deux ans de retard.", "fr"),
        ("Parce que, contrairement au bassin voisin, celui-ci est classé.", "fr"),
        ("Parce qu'il pleuvait.", "fr"),
    ],
)
def test_sentences_pointing_back_are_recognised(sentence: str, language: str) -> None:
    assert leans_back(sentence, language)


@pytest.mark.parametrize(
    ("sentence", "language"),
    [
        ("Il y a deux ans, la piscine a fermé.", "fr"),
        ("Il faut compter quatre ans de travaux.", "fr"),
        ("Le conseil municipal a voté lundi.", "fr"),
        ("It is expected that the work will start in spring.", "en"),
        ("The harbour authority approved a plan.", "en"),
        ("Thessaloniki hosts the summit.", "en"),
        ("Because of the storm, flights were cancelled.", "en"),
        ("Because the council voted no, the pool will close.", "en"),
        ("Parce que le conseil a refusé, la piscine fermera.", "fr"),
        ("Carcassonne accueille le sommet.", "fr"),
    ],
)
def test_sentences_standing_alone_are_not_flagged(sentence: str, language: str) -> None:
    assert not leans_back(sentence, language)


@pytest.mark.parametrize(("name", "language"), [("dangling_opener_fr.txt", "fr"), ("dangling_opener_en.txt", "en")])
@pytest.mark.parametrize("style", [TOP, BRIEF])
def test_summary_never_starts_on_or_skips_the_sentence_a_sentence_leans_on(
    name: str, language: str, style: Style
) -> None:
    text = fixture(name)
    summary = summarize_story(text, language=language, style=style)
    assert_no_dangling_sentence(summary.sentences, text, language)
    assert accepts(style, summary)


# --- page furniture ---------------------------------------------------------------------------


def test_daily_mail_byline_dateline_video_prompt_and_caption_stay_out() -> None:
    text = fixture("daily_mail_furniture.txt")
    for style in (TOP, BRIEF):
        summary = summarize_story(text, language="en", style=style)
        assert summary.sentences
        for furniture in ("PUBLISHED", "UPDATED", "By .", "Scroll down", "(pictured)", "Brave:", "EST"):
            assert furniture not in summary.text, (furniture, summary.text)
    assert summarize_story(text, language="en", style=BRIEF).text.startswith("A lighthouse keeper")


@pytest.mark.parametrize(
    "line",
    [
        "14:11 EST, 25 October 2013 .",
        "By . Associated Press .",
        "PUBLISHED: .",
        "Last updated at 3:13 PM on 12th October 2011 .",
        "Scroll down for video .",
        "Brave: Keeper Alan Pengelly rowed out in his own dinghy .",
        "The keeper (left) with the three kayakers on the beach .",
        "VIDEO Keeper rescues kayakers .",
        "Par Jeanne Martin et Paul Durand",
    ],
)
def test_news_page_furniture_is_recognised(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Mrs Holloway told parents: 'The trial showed children talk and play more.'",
        "By noon the harbour was full of boats.",
        "Le bilan : trois blessés légers, selon les pompiers.",
        "Le navire a été filmé par BFMTV à son arrivée dans le port.",
    ],
)
def test_sentences_that_only_look_like_furniture_are_kept(line: str) -> None:
    assert not is_boilerplate(line)


def test_glued_capital_subheading_is_cut_out() -> None:
    text = fixture("glued_caps_subheading.txt")
    pieces = split_glued(text.strip())
    assert not any("PORTÉE PAR DEUX MIGRANTS" in p for p in pieces)
    assert any(p.startswith("Tout commence le 12 mai") for p in pieces)
    summary = summarize_story(text, language="fr", style=TOP)
    assert "PORTÉE" not in summary.text and "MIGRANTSTout" not in summary.text
    assert all(s in text for s in summary.sentences)


def test_glued_video_title_and_credit_are_cut_out() -> None:
    text = fixture("video_caption_credit.txt")
    pieces = split_glued(text.strip())
    assert not any("euronews" in p for p in pieces)
    assert not any("divisés sur les aides d'urgence" in p for p in pieces)
    assert any(p.startswith("Les pays du sud réclament") for p in pieces)
    for style in (TOP, BRIEF):
        summary = summarize_story(text, language="fr", style=style)
        assert summary.sentences
        assert "euronews" not in summary.text and "tensionspar" not in summary.text


def test_the_shared_list_also_cleans_bodies_at_ingest() -> None:
    from digest.text.boilerplate import strip_boilerplate

    body = strip_boilerplate([fixture("video_caption_credit.txt").strip(), "Lire aussi : la sécheresse en Espagne"])
    assert not any("euronews" in p or p.startswith("Lire aussi") for p in body)


# --- quotations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "She said: 'We will keep the rule.'",
        "« Nous resterons », a-t-il dit.",
        "He called it “a good thing”.",
        "Il parle de ‘l’école d’abord’ depuis des années.",
        "Don't stop at the players' gate, they said.",
    ],
)
def test_closed_quotations_and_apostrophes_are_balanced(text: str) -> None:
    assert balanced(text)


def test_an_open_single_quote_is_seen() -> None:
    assert open_quotes("Mrs Holloway wrote: 'The trial showed children talk and play more.") == ["'"]


def test_single_quoted_quotation_is_never_cut_open() -> None:
    text = fixture("single_quoted_quotation.txt")
    sentences = [s.text for s in split_sentences(text, "en")]
    quoted = next(s for s in sentences if "'The trial" in s)
    assert quoted.endswith("next year.'")  # the three quoted sentences stay with their speaker
    for style in (TOP, BRIEF):
        summary = summarize_story(text, language="en", style=style)
        assert summary.sentences
        assert not open_quotes(summary.text)
        assert summary.words <= (style.max_words or summary.words)


# --- standfirst -------------------------------------------------------------------------------

STANDFIRST_BODY = fixture("dangling_opener_fr.txt") if FIXTURES.is_dir() else ""


def test_a_whole_sentence_standfirst_is_the_top_summary() -> None:
    standfirst = (
        "La piscine de Saint-Aubin, fermée depuis deux ans, sera entièrement rénovée pour 4,2 millions d'euros "
        "et doit rouvrir à la rentrée 2028 avec un bassin nordique."
    )
    summary = summarize_article(article(STANDFIRST_BODY, standfirst=standfirst), TOP)
    assert summary.source == "publisher" and summary.text == standfirst
    assert accepts(TOP, summary)


@pytest.mark.parametrize(
    "standfirst",
    [
        "Découvrez pourquoi la piscine de Saint-Aubin a fermé et ce que prévoit la commune pour sa réouverture.",
        "La piscine de Saint-Aubin, fermée depuis deux ans, sera entièrement rénovée pour 4,2 millions d'euros et…",
        "Pourquoi la piscine de Saint-Aubin est-elle fermée depuis deux ans, et quand rouvrira-t-elle enfin ?",
        "Celle-ci coûtera 4,2 millions d'euros, financés pour moitié par la région et pour moitié par la commune.",
    ],
)
def test_a_teaser_or_dangling_standfirst_gives_way_to_the_body(standfirst: str) -> None:
    summary = summarize_article(article(STANDFIRST_BODY, standfirst=standfirst), TOP)
    assert summary.source == "extract"
    assert all(s in STANDFIRST_BODY for s in summary.sentences)


def test_brief_is_one_whole_sentence_of_at_most_thirty_words() -> None:
    for name, language in (("dangling_opener_fr.txt", "fr"), ("daily_mail_furniture.txt", "en")):
        text = fixture(name)
        brief = summarize_story(text, language=language, style=BRIEF)
        assert len(brief.sentences) == 1 and word_count(brief.text) <= 30
        assert brief.text in text and brief.text[-1] in ".!?»'”"


# --- out-of-context endings: a short scene-setting line ----------------------------------------


def test_a_match_report_does_not_end_on_the_first_half_of_a_match_the_team_won() -> None:
    # The trap: "Le HC Meknès, nerveux et maladroit, paraissait sans solution." shares the
    # headline's words and is short, so it is cheap coverage; taken after the win it tells
    # the reader the opposite of what happened.
    text = fixture("scene_setting_fr.txt")
    headline = "Handball : le HC Meknès renverse le Dinamo Bucarest et décroche son premier titre européen"
    for style in (TOP, LEAD):
        summary = summarize_article(article(text, title=headline), style)
        assert "31-22" in summary.text, summary.text
        assert "paraissait sans solution" not in summary.text, summary.text


@pytest.mark.parametrize(
    "sentence",
    [
        "Le HC Meknès, nerveux et maladroit, paraissait sans solution.",
        "Le stade était plein.",
        "Il y avait dedans son téléphone et son ordinateur.",
        "Dans le cortège, les familles étaient rares.",
        "L’origine de l’incendie restait indéterminée en fin de soirée.",
    ],
)
def test_short_descriptions_in_the_imperfect_are_scene_setting(sentence: str) -> None:
    assert is_scene_setting(sentence, "fr", words=word_count(sentence))


@pytest.mark.parametrize(
    ("sentence", "language"),
    [
        ("La mesure devrait être mise en place dès le 1er septembre.", "fr"),  # conditional: announced
        ("Le tribunal avait rejeté vendredi leur dernier recours.", "fr"),  # pluperfect: an event
        ("Le rappeur était parti avant l’arrivée des agresseurs.", "fr"),
        ("Les écologistes s’étaient largement imposés aux européennes.", "fr"),
        ("Le stade était plein, mais le club a perdu.", "fr"),  # another tense: news
        ("Le taux de chômage était de 8,1 % à la fin de l’année dernière, contre 7,4 % un an plus tôt.", "fr"),
        ("The stadium was full.", "en"),
    ],
)
def test_events_announcements_and_long_facts_are_not_scene_setting(sentence: str, language: str) -> None:
    assert not is_scene_setting(sentence, language, words=word_count(sentence))


def test_a_text_of_scene_setting_lines_still_gets_a_summary() -> None:
    text = "Le stade était plein. La tribune nord semblait inquiète. Le public restait silencieux."
    assert summarize_story(text, language="fr", style=TOP).sentences


# --- the command ------------------------------------------------------------------------------


def test_summarize_command_gives_one_line_per_document_as_the_edition_does(tmp_path: Path) -> None:
    docs = [
        fixture("daily_mail_furniture.txt").strip(),
        "",
        fixture("single_quoted_quotation.txt").strip(),
        "   ",
        fixture("dangling_opener_en.txt").replace("\n", " ").strip(),
    ]
    source = tmp_path / "docs.txt"
    source.write_text("\n".join(docs) + "\n", encoding="utf-8")
    runner = CliRunner()
    for style_name, style in (("top", TOP), ("brief", BRIEF)):
        result = runner.invoke(cli, ["summarize", str(source), "--language", "en", "--style", style_name])
        assert result.exit_code == 0, result.output
        lines = result.output.split("\n")[:-1]
        assert len(lines) == len(docs)
        expected = [summarize_article(article(d, language="en"), style).text if d.strip() else "" for d in docs]
        assert lines == expected
        assert lines[1] == "" and lines[3] == "" and all(lines[i] for i in (0, 2, 4))


def test_summarize_command_reads_stdin_and_defaults_to_top() -> None:
    doc = fixture("dangling_opener_en.txt").replace("\n", " ").strip()
    result = CliRunner().invoke(cli, ["summarize", "-", "--language", "en"], input=doc + "\n")
    assert result.exit_code == 0, result.output
    assert result.output == summarize_story(doc, language="en", style=TOP).text + "\n"


def test_summarize_command_passes_each_headline_as_the_edition_does(tmp_path: Path) -> None:
    # The story's news (Port-Vendres bans cruise ships) is in its third sentence, after two
    # of scene-setting: only the headline tells the summariser which sentence carries it.
    story = fixture("headline_story_fr.txt").strip()
    headline = "Port-Vendres interdit les paquebots de croisière dans son port à partir de 2027"
    docs = [story, "", fixture("dangling_opener_fr.txt").replace("\n", " ").strip()]
    heads = [headline, "Sans objet", "Le conseil vote le budget"]
    source, titles = tmp_path / "docs.txt", tmp_path / "titles.txt"
    source.write_text("\n".join(docs) + "\n", encoding="utf-8")
    titles.write_text("\n".join(heads) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["summarize", str(source), "--language", "fr", "--titles", str(titles)])
    assert result.exit_code == 0, result.output
    lines = result.output.split("\n")[:-1]
    expected = [
        summarize_article(article(d, language="fr", title=t), TOP).text if d.strip() else ""
        for d, t in zip(docs, heads, strict=True)
    ]
    assert lines == expected and lines[1] == ""
    assert "Port-Vendres" in lines[0]
    assert "Port-Vendres" not in summarize_story(story, language="fr", style=TOP).text


def test_summarize_command_refuses_titles_that_do_not_match_the_documents(tmp_path: Path) -> None:
    source, titles = tmp_path / "docs.txt", tmp_path / "titles.txt"
    source.write_text("Un premier texte assez long pour compter.\nUn second texte.\n", encoding="utf-8")
    titles.write_text("Un seul titre\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["summarize", str(source), "--language", "fr", "--titles", str(titles)])
    assert result.exit_code == 2
    assert f"--titles {titles}: 1 line for 2 documents in {source}" in result.output
    assert "Un premier texte" not in result.output  # nothing half-written


def test_summarize_command_counts_documents_the_same_way_with_titles(tmp_path: Path) -> None:
    # A line separator other than a newline (U+2028) stays inside its document, with or
    # without --titles: one document, one headline, one summary line.
    doc = fixture("headline_story_fr.txt").strip().replace(". Le maire", ".\u2028Le maire", 1)
    source, titles = tmp_path / "docs.txt", tmp_path / "titles.txt"
    source.write_text(doc + "\n", encoding="utf-8")
    titles.write_text("Port-Vendres interdit les paquebots\n", encoding="utf-8")
    plain = CliRunner().invoke(cli, ["summarize", str(source), "--language", "fr"])
    titled = CliRunner().invoke(cli, ["summarize", str(source), "--language", "fr", "--titles", str(titles)])
    assert plain.exit_code == 0 and titled.exit_code == 0, titled.output
    assert len(plain.output.split("\n")[:-1]) == len(titled.output.split("\n")[:-1]) == 1


# --- length: about 45 words -------------------------------------------------------------------

BRIEFING = Path(__file__).parent / "fixtures" / "briefing" / "day.jsonl"

LONG_LEDE = (
    "Le conseil municipal de Saint-Aubin a voté lundi soir, par 27 voix contre 6, la rénovation complète de la "
    "piscine municipale fermée depuis deux ans, un chantier de 4,2 millions d'euros qui doit permettre sa "
    "réouverture à la rentrée 2028. "
    "La région financera la moitié des travaux, selon la délibération adoptée par les élus de la majorité. "
    "Le bassin nordique de 25 mètres sera couvert d'un toit mobile pour être ouvert toute l'année aux nageurs. "
    "Les clubs de natation de la commune s'entraînent depuis deux ans dans la piscine de la ville voisine. "
    "L'opposition a réclamé sans succès une consultation des habitants sur le coût du chantier de la piscine."
)


def french_fixture_bodies() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in BRIEFING.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["title"], r["body"]) for r in rows if r["language"] == "fr"]


def test_top_summaries_keep_to_about_45_words() -> None:
    """The style promises about 45 words: the extracts of the fixture day's French articles
    (their standfirsts left aside) average 40-50 words, none over 80, each whole."""
    counts = []
    for title, body in french_fixture_bodies():
        summary = summarize_story(body, language="fr", style=TOP, title=title)
        assert summary.source == "extract" and accepts(TOP, summary), summary
        assert all(s in body for s in summary.sentences)
        counts.append(summary.words)
    assert len(counts) >= 15 and max(counts) <= 80
    assert 40 <= sum(counts) / len(counts) <= 50, counts


def test_a_long_lead_sentence_is_a_whole_top_summary() -> None:
    """A 40-word lead that says what happened is about 45 words already: a second
    sentence would take the summary to 60 and further from its length."""
    summary = summarize_story(LONG_LEDE, language="fr", style=TOP)
    assert summary.sentences == (LONG_LEDE.split(". ")[0] + ".",)
    assert summary.words >= 25 and accepts(TOP, summary)


def test_a_short_lead_sentence_still_gets_a_second_one() -> None:
    text = "La piscine de Saint-Aubin rouvrira en 2028. " + LONG_LEDE.split(". ", 1)[1]
    summary = summarize_story(text, language="fr", style=TOP)
    assert len(summary.sentences) >= 2 and accepts(TOP, summary)


def test_one_sentence_serves_only_when_it_says_as_much_as_a_standfirst() -> None:
    assert TOP.min_words is not None
    long_one = Summary((("mot " * TOP.min_words).strip() + ".",), "extract")
    short_one = Summary((("mot " * (TOP.min_words - 1)).strip() + ".",), "extract")
    assert accepts(TOP, long_one) and not accepts(TOP, short_one)
    assert not accepts(TOP, Summary((), "extract"))


def test_a_question_is_not_news() -> None:
    """A rhetorical question is the article's hook: the summary tells what happened instead."""
    question = "Pourquoi la piscine de Saint-Aubin, fermée depuis deux ans, coûtera-t-elle 4,2 millions d'euros ?"
    text = question + " " + LONG_LEDE
    for style in (TOP, BRIEF):
        summary = summarize_story(text, language="fr", style=style)
        assert summary.sentences and question not in summary.sentences
