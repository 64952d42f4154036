"""Language-correct spacing for text a person reads: one rule per language. Pure.

French puts a no-break space before the high punctuation and the percent sign,
inside guillemets and between digit groups, so a line never starts with ":" or
"%" and "300 000" never splits. Following the Imprimerie nationale's usage (and
what French news sites set), the narrow no-break space U+202F goes before ";",
"!", "?" and "%", inside « » and between digit groups; the full no-break space
U+00A0 goes before ":". Only spaces already in the text are replaced (and the
missing ones inside « »): no space is invented where the writer left none, so
URLs and times ("20:15") are untouched.

Every language keeps a score or a range in one piece: the hyphen between two numbers
("2-1", "10-12") becomes the non-breaking hyphen U+2011, so "2-" never ends a line
above "1". English also keeps a number and its unit word together: "3-minute" takes the
non-breaking hyphen U+2011, which every mail client honours (CSS nowrap does not
reach the plain-text part).

Leaf module: imports nothing from digest.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"
NB_HYPHEN = "\u2011"

# A plain or no-break space (any run) before the punctuation.
_BEFORE_COLON = re.compile(r"[ \u00a0\u202f]+(?=:)")
_BEFORE_HIGH = re.compile(r"[ \u00a0\u202f]+(?=[;!?%‰])")
_AFTER_OPENING = re.compile(r"«[ \u00a0\u202f]*")
_BEFORE_CLOSING = re.compile(r"[ \u00a0\u202f]*»")
# Digit groups of three after one to three digits: "300 000", "1 250 000" (not "2024 300").
_GROUPED = re.compile(r"(?<![\d,.])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])")
_GROUP_SPACE = re.compile(r"[ \u00a0\u202f]")
# "3-minute", "10-year-old": a number joined to a word by a hyphen.
_NUMBER_HYPHEN = re.compile(r"(?<=\d)-(?=[^\W\d_])")
# A score or a range, "2-1", "10-12 h", "1990-1995": one piece in every language.
_SCORE_HYPHEN = re.compile(r"(?<=\d)-(?=\d)")


def typeset(text: str, language: str) -> str:
    """``text`` with the no-break spaces and hyphens of ``language`` ("fr", "en",
    "fr_MA"...); other languages are returned unchanged."""
    lang = language.lower()[:2]
    text = _SCORE_HYPHEN.sub(NB_HYPHEN, text)
    if lang == "fr":
        return _french(text)
    if lang == "en":
        return _NUMBER_HYPHEN.sub(NB_HYPHEN, text)
    return text


def _french(text: str) -> str:
    text = _GROUPED.sub(lambda m: _GROUP_SPACE.sub(NNBSP, m.group()), text)
    text = _BEFORE_COLON.sub(NBSP, text)
    text = _BEFORE_HIGH.sub(NNBSP, text)
    text = _AFTER_OPENING.sub("«" + NNBSP, text)
    return _BEFORE_CLOSING.sub(NNBSP + "»", text)
