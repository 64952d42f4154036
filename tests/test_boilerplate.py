"""Page furniture, one pattern at a time: code, markup, glued headings and credits.

Each case names one branch of a pattern in digest.boilerplate (and of the splitter's
leaked-script cut), with a near miss beside it, so a faster rewrite of a pattern
cannot drop or widen a branch unnoticed.
"""

from __future__ import annotations

import pytest

from digest.boilerplate import is_boilerplate, split_glued
from digest.summarize import split_paragraphs
from digest.summarize.quotes import quoted_share, scan


@pytest.mark.parametrize(
    "text",
    [
        "Le texte <b>gras</b> du lecteur vidéo",
        "Les options {autoplay: true} du lecteur",
        "Puis function (e) { return e; } est appelée",
        "Appel à FUNCTION(e) du lecteur",
        "Le lecteur lit window.location pour savoir où il est",
        "Le lecteur lit Document.cookie pour savoir qui lit",
        "Le lecteur déclare var player = 3 pour commencer",
        "Le lecteur fait p = new Player(3) pour commencer",
        "https://www.example.org/article/123",
        "« www.example.org »",
    ],
)
def test_code_markup_and_bare_links_are_furniture(text: str) -> None:
    assert is_boilerplate(text)


@pytest.mark.parametrize(
    "text",
    [
        "Il a ouvert la fenêtre, window. Puis il est parti en courant vers la gare du Nord.",
        "Ce document. Le maire l'a signé hier soir devant le conseil municipal réuni.",
        "Le var est un département du sud de la France, connu pour ses plages.",
        "Les chiffres (en hausse de 3 %) montrent une reprise lente mais réelle.",
        "Le taux a atteint 2 < 3 selon la banque centrale européenne ce mardi.",
        "Il a cité www.example.org dans son discours devant les députés réunis.",
    ],
)
def test_sentences_that_only_look_like_code_are_news(text: str) -> None:
    assert not is_boilerplate(text)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("window.dataLayer = []", []),
        ("Le maire a parlé. googletag.cmd.push(x)", ["Le maire a parlé."]),
        ("Le maire a parlé. jQuery(document).ready()", ["Le maire a parlé."]),
        ("Le maire a parlé.<script>x()</script>", ["Le maire a parlé.<script>x()</script>"]),
        ("Le maire a parlé. <script>x()</script>", ["Le maire a parlé."]),
        ("Le maire a vu la fenêtre (window) et le document.", ["Le maire a vu la fenêtre (window) et le document."]),
    ],
)
def test_leaked_script_is_cut_where_it_starts(line: str, expected: list[str]) -> None:
    assert split_paragraphs(line) == expected


def test_glued_heading_and_credit_are_cut_out() -> None:
    assert split_glued("Il a été libéré.PORTÉE PAR DEUX MIGRANTSTout commence à Calais.") == [
        "Il a été libéré.",
        "Tout commence à Calais.",
    ]
    assert split_glued("La ville a fêté son équipe.Les supporters en liessepar BFMTVQuant au maire, il a parlé.") == [
        "La ville a fêté son équipe.",
        "Quant au maire, il a parlé.",
    ]
    # "par" after a space is an ordinary word, not a glued credit.
    assert split_glued("Il a été élu par Paris Match.") == ["Il a été élu par Paris Match."]


def test_apostrophes_inside_words_are_not_quotes() -> None:
    assert scan("Obama's aide said it's l’OTAN") == ([], 0, 0)
    assert quoted_share("Obama's aide said it's fine") == 0.0
    assert scan("He said 'no' and left")[0:2] == ([], 2)
    assert scan("She called them 'gipsies'.")[1] == len("gipsies")
    assert scan("'Tis the season")[0] == ["'"]
