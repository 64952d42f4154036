"""Sentence splitting for news text in French and English.

Rules, in order of how often they matter in real articles:

* paragraphs are separated by newlines; paragraphs glued by a lost line break
  ("…dans les Pyrénées.Alors que…") are split where a period sits between a
  lowercase word and a capitalised one;
* a sentence ends at ``.``, ``!``, ``?`` or an ellipsis, together with any closing
  quotes or brackets after it ("…régionale ». Puis", "« C'est fini. » Il"), but only
  when the next sentence starts like one: a capital, a digit or an opening quote.
  So "« Pourquoi ? » a-t-il demandé" stays one sentence;
* a period after an abbreviation ("M.", "Mme", "av. J.-C.", "Mr.", "U.S.") or a
  single capital initial ("J. Dupont") does not end a sentence.

Every sentence is an exact substring of its paragraph (only outer whitespace is
trimmed), so a summary made of sentences is made of the article's own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from digest.editorial.summarize.language import language as get_language
from digest.editorial.summarize.quotes import closes_soon, open_quotes
from digest.text.boilerplate import split_glued

# End punctuation (a run of it: "...", "?!"), then closing quotes/brackets; French puts
# a (non-breaking) space before the closing guillemet. A straight quote after a space
# opens the next sentence. (Opening on a character class lets the regex engine scan
# for it; "(?:\.{2,}|[.!?…])+", the same runs, made it try every position.)
_BOUNDARY = re.compile(r"[.!?…]+(?:[»”\"’')\]]|[ \u00a0\u202f]»)*")
_QUOTE_REACH = 400
_SPACES = " \t\u00a0\u202f\u2009"
_OPENERS = "«\"“‘'([¿¡—–-•"
# Acronyms with inner periods ("U.S", "S.N.C.F", "e.g") before the final period.
_DOTTED = re.compile(r"^(?:\w{1,2}\.)+\w{1,2}$")
# An elided article or pronoun glued to the token: "l'O.N.U", "d’av".
_ELISION = re.compile(r"^\w{1,2}['’]")
# Inline code that leaked into text from an embedded player or a script: everything
# from here on in the paragraph is dropped. It starts the line or follows a space;
# the two cases are two patterns because "(?:^|\s)" in front left the regex engine no
# character to scan for, where "\s" lets it jump from space to space.
_CODE = r"(?:window\.\w|document\.\w|var \w+\s*=|function\s*\(|jQuery\(|\$\(|googletag\.|<script)"
_CODE_AT_START = re.compile(_CODE)
_CODE_START = re.compile(r"\s" + _CODE)


@dataclass(frozen=True)
class Sentence:
    """One sentence: its exact text, its paragraph and its order in the document."""

    text: str
    index: int  # position among the document's sentences
    paragraph: int  # index of its paragraph


# A line break lost in a scraped page, left as a spaced full stop inside a sentence
# ("wearing a casual . navy blue shirt", "tested, . because"): a sentence never goes on
# in lower case, so this stop ends nothing and is taken out.
_LOST_BREAK = re.compile(r"(?<=\S)[ \t]+\.(?=[ \t]+[a-zà-ÿ‘'(])")


def split_paragraphs(text: str) -> list[str]:
    """Non-empty paragraphs of ``text`` (one per line), with leaked code cut off and
    glued furniture cut out (:func:`digest.text.boilerplate.split_glued`)."""
    return list(_paragraphs(text))


def _paragraphs(text: str) -> Iterator[str]:
    """:func:`split_paragraphs`, one at a time."""
    for line in text.splitlines():
        if _CODE_AT_START.match(line):
            continue
        code = _CODE_START.search(line)
        if code is not None:
            line = line[: code.start()]
        if " ." in line:
            line = _LOST_BREAK.sub("", line)
        yield from split_glued(line)


def split_sentences(text: str, language: str) -> list[Sentence]:
    """The sentences of ``text`` in order (see the module docstring for the rules)."""
    return list(iter_sentences(text, language))


def iter_sentences(text: str, language: str) -> Iterator[Sentence]:
    """:func:`split_sentences`, one sentence at a time: a caller that needs only the
    first ones (the summariser scores 40) does not split the rest of a long page."""
    abbreviations = get_language(language).abbreviations
    index = 0
    p = -1
    for paragraph in _paragraphs(text):
        p += 1
        for s, glued in _split_paragraph(paragraph, abbreviations):
            if glued:
                p += 1  # a lost paragraph break: the next sentence opens a paragraph
            yield Sentence(s, index, p)
            index += 1


def _split_paragraph(para: str, abbreviations: frozenset[str]) -> Iterator[tuple[str, bool]]:
    """Sentences of one paragraph, each with whether a glued paragraph break precedes it."""
    start = 0
    glued_before = False
    n = len(para)
    for m in _BOUNDARY.finditer(para):
        end = m.end()
        if end < n and para[end - 1] == '"' and para[end].isalnum() and '"' not in open_quotes(para[start : end - 1]):
            # 'finale."En tous les cas…': a straight quote glued to the next word, with
            # none open before it, opens the next sentence's quotation (a lost paragraph
            # break); taken as a closer it would leave a quotation open to the end.
            end -= 1
        j = end
        while j < n and para[j] in _SPACES:
            j += 1
        if j >= n:
            break
        if not _starts_sentence(para, j):
            continue
        glued = j == end
        if glued and not _glued_boundary(para, m.start(), j):
            continue
        if m.group()[0] == "." and _before_is_abbreviation(para, start, m.start(), abbreviations):
            continue
        if m.group().startswith("...") and m.start() > 0 and para[m.start() - 1] in "([":
            continue  # "(...)": an elision inside a quote, not an ending
        if _inside_quote(para, start, end):
            continue
        sentence = para[start:end].strip()
        if sentence:
            yield sentence, glued_before
        start = j
        glued_before = glued
    rest = para[start:].strip()
    if rest:
        yield rest, glued_before


def _inside_quote(para: str, start: int, end: int) -> bool:
    """True when ``end`` falls inside a quotation that closes soon after.

    A sentence that opens a quotation and stops before its end reads as broken in a
    summary, so the quoted sentences stay with the one that introduces them; a quote
    that does not close within :data:`_QUOTE_REACH` characters is split normally.
    """
    still_open = open_quotes(para[start:end])
    return bool(still_open) and closes_soon(para[end : end + _QUOTE_REACH], still_open[-1])


def _starts_sentence(para: str, j: int) -> bool:
    c = para[j]
    return c.isupper() or c.isdigit() or c in _OPENERS


def _token_before(para: str, start: int, end: int) -> str:
    """The whitespace-delimited token that ends at ``end`` (without opening punctuation)."""
    i = end
    while i > start and not para[i - 1].isspace():
        i -= 1
    token = para[i:end].lstrip("«\"“‘'([")
    return _ELISION.sub("", token)


def _before_is_abbreviation(para: str, start: int, end: int, abbreviations: frozenset[str]) -> bool:
    token = _token_before(para, start, end)
    if not token:
        return False
    if len(token) == 1 and token.isupper():
        return True  # an initial: "J. K. Rowling"
    return token.lower() in abbreviations or _DOTTED.match(token) is not None


def _glued_boundary(para: str, punct_start: int, j: int) -> bool:
    """A sentence end with no space after it: only a lost paragraph break qualifies.

    "Pyrénées.Alors", "2018.Le", "« fini ».La" split; "M.Dupont", "U.S.Army",
    "orange.fr" and "3.5" do not.
    """
    if para[punct_start] not in ".!?…":
        return False
    nxt = para[j]
    if nxt.isupper():
        if j + 1 >= len(para) or not (para[j + 1].islower() or para[j + 1] in " '’"):
            return False
    elif nxt not in '«"“':
        return False
    i = punct_start
    while i > 0 and para[i - 1] in '»”"’)] \u00a0\u202f':
        i -= 1
    k = i
    while k > 0 and para[k - 1].isalnum():
        k -= 1
    word = para[k:i]
    if not word or (k > 0 and para[k - 1] == "."):
        return False  # "M.Dupont", "U.S.Army": an initial or an acronym
    return word.isdigit() or (len(word) >= 2 and not word.isupper()) or len(word) >= 3
