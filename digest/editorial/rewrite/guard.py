"""The guard every rewrite passes before a reader sees it. Pure.

A rewrite is kept only when it says nothing its source does not: every number, date,
amount, percentage, proper name and link of it is found in the source (the headline
and the sentences the model was given, normalised per language by
:mod:`~digest.editorial.rewrite.facts`), it quotes only what the source quotes, it
is the brief and nothing else (no reasoning, label, markdown or "</think>"), it ends
like a sentence, and it fits the style's length. Anything else is a :class:`Verdict`
with the reason, and the story keeps its extractive summary.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from digest.editorial.rewrite.facts import Fact, facts, fold, quotations, words_of
from digest.editorial.summarize import Style, Summary, accepts, split_sentences
from digest.words import word_count

#: Most words of the "why it matters" line.
MAX_WHY_WORDS = 30


class Reason(enum.StrEnum):
    """Why a rewrite was not used (the label of the rejections metric)."""

    EMPTY = "empty"  # nothing but whitespace or reasoning
    TRUNCATED = "truncated"  # cut off: the server said so, or it ends mid-sentence
    TRAILING = "trailing"  # text besides the brief: reasoning, a label, a second paragraph
    MARKDOWN = "markdown"  # bold, headings, lists, code or links in markdown
    LENGTH = "length"  # outside the style's length
    NUMBER = "number"
    PERCENTAGE = "percentage"
    AMOUNT = "amount"
    DATE = "date"
    NAME = "name"
    LINK = "link"
    QUOTE = "quote"  # quotation marks around words the source does not quote


@dataclass(frozen=True)
class Verdict:
    """The guard's decision on one rewrite: accepted with its brief (and "why it
    matters" line), or rejected with a reason and the words that caused it."""

    accepted: bool
    reason: str = ""
    detail: str = ""
    brief: str = ""
    why: str = ""

    def summary(self, language: str) -> Summary:
        """The accepted rewrite as a summary (source ``rewrite``): the brief's sentences,
        then the "why it matters" line."""
        sentences = tuple(s.text for s in split_sentences(self.brief, language)) + ((self.why,) if self.why else ())
        return Summary(sentences, "rewrite")


_THINK = re.compile(r"^\s*<think>.*?</think>\s*", re.DOTALL | re.IGNORECASE)
_MARKDOWN = re.compile(r"\*\*|__|`|^\s*#|^\s*(?:[-*•+]|\d+[.)])\s|^\s*>|\[[^\]]+\]\([^)]+\)", re.MULTILINE)
_LABEL = re.compile(
    r"^\s*(?:summary|résumé|resume|brief|brève|breve|here is|here's|voici|note|explanation|reasoning|answer|réponse"
    r"|reponse|rewrite|réécriture|output|thoughts?|analysis|analyse)\b[^:\n]{0,40}:",
    re.IGNORECASE | re.MULTILINE,
)
_ENDS = re.compile(r"[.!?…][»”\"’')\]]*$")
_REASON_OF_KIND = {
    "number": Reason.NUMBER,
    "percentage": Reason.PERCENTAGE,
    "amount": Reason.AMOUNT,
    "date": Reason.DATE,
    "name": Reason.NAME,
    "link": Reason.LINK,
}


def _rejected(reason: Reason, detail: str = "") -> Verdict:
    return Verdict(False, reason.value, detail[:200])


def _label_form(text: str) -> str:
    """A label as compared: folded, without spaces ("Pourquoi c’est important:" = "pourquoic'estimportant:")."""
    return re.sub(r"[\s\u00a0\u202f]+", "", fold(text))


def check(
    answer: str,
    *,
    source: Sequence[str],
    language: str,
    style: Style,
    why_label: str = "",
    truncated: bool = False,
) -> Verdict:
    """The verdict on ``answer``, a model's rewrite of ``source`` (the headline and
    the sentences it was given) in ``language`` and ``style``. ``why_label`` is how
    the "why it matters" line starts when one was asked for (empty: none may come);
    ``truncated``: the server said it stopped at its token limit."""
    if truncated:
        return _rejected(Reason.TRUNCATED, "the server stopped at its length limit")
    text = _THINK.sub("", answer).strip()
    if re.search(r"</?think>", text, re.IGNORECASE):
        return _rejected(Reason.TRAILING, "reasoning tags")
    if not text:
        return _rejected(Reason.EMPTY)
    if m := _MARKDOWN.search(text):
        return _rejected(Reason.MARKDOWN, m.group(0).strip())
    if m := _LABEL.search(text):
        return _rejected(Reason.TRAILING, m.group(0).strip())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    why = ""
    if why_label and len(lines) > 1 and _label_form(lines[-1]).startswith(_label_form(why_label)):
        why = why_label + " " + lines[-1].split(":", 1)[-1].strip()
        lines = lines[:-1]
    if len(lines) > 1:
        return _rejected(Reason.TRAILING, lines[1][:80])
    brief = lines[0]
    for part in (brief, why):
        if part and not _ENDS.search(part):
            return _rejected(Reason.TRUNCATED, part[-40:])
    # A wrong fact is the worse fault: it is the reason recorded when there are several.
    verdict = _facts(f"{brief}\n{why}", "\n".join(source), language) or _length(brief, why, language, style)
    if verdict is not None:
        return verdict
    return Verdict(True, brief=brief, why=why)


def _length(brief: str, why: str, language: str, style: Style) -> Verdict | None:
    sentences = [s.text for s in split_sentences(brief, language)]
    words = word_count(brief)
    if style.max_words is not None and words > style.max_words:
        return _rejected(Reason.LENGTH, f"{words} words, at most {style.max_words}")
    if len(sentences) > style.max_sentences:
        return _rejected(Reason.LENGTH, f"{len(sentences)} sentences, at most {style.max_sentences}")
    if not accepts(style, Summary(tuple(sentences), "rewrite")):
        return _rejected(Reason.LENGTH, f"{words} words in {len(sentences)} sentences: too short")
    if word_count(why) > MAX_WHY_WORDS:
        return _rejected(Reason.LENGTH, f"why it matters: {word_count(why)} words, at most {MAX_WHY_WORDS}")
    return None


def _facts(rewrite: str, source: str, language: str) -> Verdict | None:
    found = facts(source, language)
    known: dict[str, set[str]] = {}
    for fact in found:
        known.setdefault(fact.kind, set()).add(fact.value)
    numbers = known.get("number", set()) | known.get("percentage", set())
    source_words = words_of(source)
    folded_source = fold(source)
    for fact in facts(rewrite, language):
        if not _known(fact, known, numbers, source_words, folded_source):
            return _rejected(_REASON_OF_KIND[fact.kind], fact.text)
    quoted = quotations(source)
    for inner in quotations(rewrite):
        if not any(inner in q for q in quoted):
            return _rejected(Reason.QUOTE, inner)
    return None


def _known(fact: Fact, known: dict[str, set[str]], numbers: set[str], words: set[str], folded: str) -> bool:
    if fact.kind == "number":  # "12" may repeat "12 %"; "12" for "12 millions" is a wrong figure
        return fact.value in numbers
    if fact.kind == "name":
        return fact.value in words
    if fact.kind == "link":
        return fact.value in folded
    return fact.value in known.get(fact.kind, set())
