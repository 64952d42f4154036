"""The checkable facts of a text: numbers (with their multipliers and percentages),
dates, currencies, proper names, quotations and links, normalised so that a rewrite's
facts can be looked up among its source's. Pure.

Normalisation is per language and only within it: in French "2,4 milliards" and
"2 400 millions" are one value, in English "2.4 billion" and "2,400 million" are; a
French "billion" is 10^12 and an English one 10^9, so the two are never compared
across languages. Thousands separators (spaces, no-break spaces, commas or points as
the language writes them), accents, case and typographic apostrophes do not count.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from digest.editorial.summarize.language import language as language_resources


def _set(words: str) -> frozenset[str]:
    """A set of words from a space-separated list."""
    return frozenset(words.split())


_SPACES = "\u00a0\u202f "
#: Per language: how a number is written (thousands groups first, then a decimal part).
_NUMBER = {
    "fr": re.compile(rf"\d{{1,3}}(?:[{_SPACES}.]\d{{3}})+(?:,\d+)?|\d+(?:[,.]\d+)?"),
    "en": re.compile(rf"\d{{1,3}}(?:[,{_SPACES}]\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?"),
}
_THOUSANDS = {"fr": _SPACES + ".", "en": _SPACES + ","}
_DECIMAL = {"fr": ",", "en": "."}
#: Words (and abbreviations) that multiply the number before them.
_MULTIPLIERS = {
    "fr": {"mille": 3, "million": 6, "millions": 6, "m": 6, "milliard": 9, "milliards": 9, "md": 9, "mds": 9,
           "mrd": 9, "billion": 12, "billions": 12},
    "en": {"thousand": 3, "k": 3, "million": 6, "millions": 6, "m": 6, "mn": 6, "billion": 9, "billions": 9,
           "bn": 9, "trillion": 12, "trillions": 12, "tn": 12},
}  # fmt: skip
_PERCENT = {"fr": re.compile(r"\s*(?:%|pour\s*cent\b)"), "en": re.compile(r"\s*(?:%|per\s*cent\b|percent\b)")}
#: Small numbers written in words (not "un"/"one", which are mostly articles and pronouns).
_NUMBER_WORDS = {
    "fr": {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
           "onze": 11, "douze": 12, "vingt": 20},
    "en": {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
           "eleven": 11, "twelve": 12, "twenty": 20, "dozen": 12},
}  # fmt: skip
#: Words that date a fact: months, weekdays and the relative days.
_DATE_WORDS = {
    "fr": _set(
        "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
        "lundi mardi mercredi jeudi vendredi samedi dimanche hier aujourd demain veille lendemain"
    ),
    "en": _set(
        "january february march april may june july august september october november december "
        "monday tuesday wednesday thursday friday saturday sunday yesterday today tomorrow"
    ),
}
#: Currencies: symbols in every language, names per language.
_CURRENCY_SYMBOLS = frozenset("€$£¥₹₽")
_CURRENCY_WORDS = {
    "fr": _set("euro euros dollar dollars dirham dirhams livre livres yen yuan yuans franc francs roupie "
                    "roupies rouble roubles centime centimes"),
    "en": _set("euro euros dollar dollars dirham dirhams pound pounds sterling yen yuan franc francs rupee "
                    "rupees rouble roubles ruble rubles cent cents"),
}  # fmt: skip
#: Words that open a sentence without naming anyone, beyond the stop-word lists.
_OPENERS = {
    "fr": _set("selon apres avant depuis malgre pourtant ainsi alors enfin desormais face lors des outre "
               "mais car donc or cependant toutefois neanmoins par ailleurs jusqu entre parmi"),
    "en": _set("according after before despite meanwhile however following amid although while since "
               "but yet so thus still also as in short overall"),
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_ELISIONS = _set("l d j m n s t c qu jusqu lorsqu puisqu presqu quoiqu re ve ll")
_QUOTED = re.compile(r"«\s*([^»]+?)\s*»|“([^”]+)”|\"([^\"]+)\"|‘([^’]+)’(?!\w)|‹\s*([^›]+?)\s*›")
_LINK = re.compile(r"https?://\S+|www\.\S+|\b[\w.+-]+@[\w-]+\.[\w.]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:]\s+|[«“\"(]\s*)$")


def fold(text: str) -> str:
    """``text`` without accents, case or typographic apostrophes ("Élysée" -> "elysee")."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").replace("ʼ", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Fact:
    """One checkable fact: its kind (number, percentage, amount, date, name, link) and
    its normalised value, with the text it was read from."""

    kind: str
    value: str
    text: str


def _decimal(raw: str, lang: str) -> Decimal | None:
    digits = raw
    whole = raw.split(_DECIMAL[lang])[0]
    for sep in _THOUSANDS[lang]:
        # A point in French (a comma in English) is a thousands separator only when
        # groups of three follow; otherwise it is the decimal mark.
        if sep in ".," and re.fullmatch(rf"\d{{1,3}}(?:\{sep}\d{{3}})+", whole) is None:
            continue
        digits = digits.replace(sep, "")
    digits = digits.replace(_DECIMAL[lang], ".").replace(",", ".")
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def _canonical(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def numbers(text: str, language: str) -> list[Fact]:
    """Every number of ``text`` with its multiplier ("2,4 milliards" -> 2400000000);
    percentages are their own kind, and a number next to a currency is an amount."""
    lang = language if language in _NUMBER else "en"
    out: list[Fact] = []
    for m in _NUMBER[lang].finditer(text):
        value = _decimal(m.group(0), lang)
        if value is None:
            continue
        after = text[m.end() : m.end() + 24]
        word = re.match(r"[\s\u00a0\u202f]*([^\W\d_]+)\b\.?", after)
        if word and word.group(1).lower() in _MULTIPLIERS[lang]:
            value *= Decimal(10) ** _MULTIPLIERS[lang][word.group(1).lower()]
        kind = "number"
        if _PERCENT[lang].match(after):
            kind = "percentage"
        out.append(Fact(kind, _canonical(value), m.group(0)))
    for w in _WORD.findall(text):
        n = _NUMBER_WORDS[lang].get(fold(w))
        if n is not None:
            out.append(Fact("number", str(n), w))
    return out


def _pieces(word: str) -> list[str]:
    """A word split at its apostrophes, without the elided articles and clitics
    ("l'Élysée" -> "Élysée", "Macron's" -> "Macron")."""
    parts = re.split(r"['’]", word)
    return [p.strip("-") for p in parts if p.strip("-") and fold(p) not in _ELISIONS]


@cache
def _openers(language: str) -> frozenset[str]:
    """Folded words a sentence may start with without naming anyone."""
    stop = {fold(w) for w in language_resources(language).stopwords}
    return frozenset(stop | _OPENERS.get(language, frozenset()))


def names(text: str, language: str) -> list[Fact]:
    """Capitalised words, as proper names; a sentence's first word only when it is not a
    stop-word of ``language`` (a sentence starting "The" or "Selon" names nobody)."""
    stop = _openers(language)
    out: list[Fact] = []
    for m in _WORD.finditer(text):
        starts = _SENTENCE_START.search(text[max(0, m.start() - 4) : m.start()]) is not None
        for i, piece in enumerate(_pieces(m.group(0))):
            if not piece[0].isupper():
                continue
            folded = fold(piece)
            if starts and i == 0 and folded in stop:
                continue
            if folded in _DATE_WORDS.get(language, frozenset()) or folded in _CURRENCY_WORDS.get(language, ()):
                continue  # checked as a date or an amount
            out.append(Fact("name", folded, piece))
    return out


def dates(text: str, language: str) -> list[Fact]:
    """Months, weekdays and relative days ("hier", "Monday")."""
    known = _DATE_WORDS.get(language, frozenset())
    return [Fact("date", fold(p), p) for w in _WORD.findall(text) for p in _pieces(w) if fold(p) in known]


def currencies(text: str, language: str) -> list[Fact]:
    """Currency symbols and names: a rewrite must not turn euros into dollars."""
    known = _CURRENCY_WORDS.get(language, frozenset())
    out = [Fact("amount", c, c) for c in text if c in _CURRENCY_SYMBOLS]
    return out + [Fact("amount", fold(w), w) for w in _WORD.findall(text) if fold(w) in known]


def links(text: str) -> list[Fact]:
    """Web addresses and email addresses."""
    return [Fact("link", fold(m.group(0).rstrip('.,;)»"')), m.group(0)) for m in _LINK.finditer(text)]


def facts(text: str, language: str) -> list[Fact]:
    """Every checkable fact of ``text``, in the order numbers, amounts, dates, names, links."""
    return (
        numbers(text, language)
        + currencies(text, language)
        + dates(text, language)
        + names(text, language)
        + links(text)
    )


def quotations(text: str) -> list[str]:
    """The folded inner text of every quotation of ``text`` (« », “ ”, " ", ‘ ’, ‹ ›)."""
    return [fold(next(g for g in m.groups() if g is not None)).strip() for m in _QUOTED.finditer(text)]


def words_of(text: str) -> set[str]:
    """The folded word pieces of ``text`` (a name may appear anywhere, in any case)."""
    return {fold(p) for w in _WORD.findall(text) for p in _pieces(w)}
