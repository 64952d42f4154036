"""Page furniture cut out of a paragraph: leaked script, glued headings and credits; quotes.

Each case names one branch of a pattern (the splitter's leaked-script cut,
digest.text.boilerplate's glued furniture, the quote scanner's apostrophes), with a near
miss beside it, so a faster rewrite of a pattern cannot drop or widen a branch
unnoticed. Code and markup as furniture are in tests/test_summarize.py.
"""

from __future__ import annotations

import pytest

from digest.editorial.summarize import split_paragraphs
from digest.editorial.summarize.quotes import quoted_share, scan
from digest.text.boilerplate import split_glued


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
