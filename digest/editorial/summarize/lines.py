"""Lines that do not carry the news on their own: captions, datelines, bylines, background,
sentences that lean on one the reader does not see, and a brief's restatement of its
headline. Pure.

* A **dateline** ("VELMORA —", "RABAT (AFP) -") opens a sentence that does carry news: it is
  cut off, the sentence kept.
* A **byline** ("By Lena Ortiz", "Par Karim Alaoui") and a **caption** (the sentence a
  photo credit follows or carries: "Rescuers search the rubble. (Photo: ...)"; one that
  says it is pictured or marks a photo's people: "Hwang Woo-Suk (L) shakes hands...") are
  dropped.
* A sentence **leaning on context** mid-sentence ("a annoncé de son côté", "également",
  "en revanche", "however", "also"; a bare "la proportion", "ce contrat", "the figure"
  whose referent was dropped; "Associé au poulet, il donne...") is taken only with the
  sentence before it, like one opening on "Il" or "This"
  (:func:`digest.editorial.summarize.anaphora.leans_back`).
* **Background** (a founding date, an event years ago, an English pluperfect: "The strike
  had caused...") is a last resort, like scene-setting.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

# "VELMORA —", "RABAT, 28 nov. (MAP) -", "LONDON (Reuters) -": capitals, optional details, a dash.
_DATELINE = re.compile(
    r"^[A-ZÀ-Ý][A-ZÀ-Ý'’.\- ]{2,}(?:,\s*[^—–\-]{1,30}?)?(?:\s*\([^)]{1,30}\))?\s*[—–-]{1,2}\s+(?=[A-ZÀ-Ý«\"“])"
)
_BYLINE = re.compile(
    r"^\s*(?:by|par|de notre (?:envoyée?|correspondante?))\s+[A-ZÀ-Ý][\w’'.-]+(?:\s+[A-ZÀ-Ý][\w’'.-]+){0,3}\s*$", _I
)
# A photo credit, on its own or inside the caption it ends.
CREDIT = re.compile(
    r"\((?:photos?|crédits?|credits?|illustration|image)\b|\bphotos?\s*:|©|/\s*(?:AFP|Reuters|AP|MAP|Getty)\b"
    r"|\b(?:AFP|REUTERS|Getty Images|Shutterstock)\s*\)?\s*$"
    # a video's credit glued to its title: "...de pauvretépar euronews (en français)"
    r"|(?-i:[a-zà-ÿ]par [a-z][\w-]* \()",
    _I,
)

# A photo's caption left inside the text, as one sentence (the page-level rules of
# digest.text.boilerplate take out whole captions; these only hold for a sentence): one
# that says it is pictured ("Pictured here on Daybreak", "Chin Aun Lim is pictured here",
# "…; pictured is Lake Placid Lodge"), not "pictured as" (portrayed) nor "pictured on
# CCTV" (news); the single-letter
# markers of a photo's people ("Hwang Woo-Suk (L) shakes hands with…": a capital L, so
# not a list's "(l)"); a label naming the picture ("New York, New York: Map shows…").
_PHOTO_NOTE = re.compile(
    r"^[\W_]*pictured\b|[;:]\s*pictured\b"
    r"|\b(?:is|are|was|were|being|been)\s+pictured\b"
    r"(?!\s+(?:as|by|on (?:cctv|camera|video|film)|in (?:footage|video))\b)"
    r"|\bpictured\s+(?:here|above|below|left|right|centre|center)\b|\((?-i:L)\)"
    r"|^[^:]{1,40}:\s+(?:(?:a|the|this)\s+)?(?:map|graphic|picture|photo|image|chart|footage)s?\s+(?:shows?|of)\b",
    _I,
)

# The newsroom's notes around a story, not its news: credits ("CNN's Jane Smith
# contributed to this report", "Reporting by…; Editing by…", "Propos recueillis par…"),
# rights lines, calls to write in, comment or follow, gallery prompts.
_END_MATTER = re.compile(
    r"\bcontributed to this (?:report|story|article)\b|^[\W_]*(?:additional )?reporting by\b|\bediting by\b"
    r"|\bcopyright \d{4}\b|\ball rights reserved\b|\bmay not be (?:published|reproduced), broadcast\b"
    r"|\b(?:e-?mail|contact) us at\b|\b(?:got|have) a (?:news )?(?:tip|story)\?|\bhave your say\b|\bleave a comment\b"
    r"|\bfollow (?:the author|him|her|them|us|me) on (?:twitter|facebook|instagram|x)\b"
    r"|\bclick through the (?:gallery|slideshow)\b|^[\W_]*propos recueillis par\b"
    r"|^[\W_]*\(?avec (?:afp|reuters|ap|map)\)?\W*$",
    _I,
)

# A photo aside inside a sentence of the story: "Philip Hammond, pictured with John Kerry
# today, warned…" (the sentence is news; the aside is the page's picture).
_PHOTO_ASIDE = re.compile(r",\s+pictured\b[^,;:.!?()]{0,80},\s*", _I)

_CONTEXT = {
    "fr": re.compile(
        r"\b(?:de son côté|de leur côté|pour sa part|pour leur part|également|en revanche|quant à (?:lui|elle|eux)"
        r"|(?:lui|elle|eux|elles) aussi|non plus|à son tour|à leur tour|par ailleurs|de même)\b"
        r"|(?:^|,\s)(?:la proportion|la part|le taux|le chiffre|ce contrat|cet accord|ce texte|cette mesure"
        r"|cette décision|cette hausse|cette baisse|ce projet|ce dernier|cette dernière)\b(?!\s+(?:de|des|du|d[’']))"
        r"|^(?:associée?s?|combinée?s?|ajoutée?s?|comparée?s?|mélangée?s?)\s+(?:à|au|aux|avec)\b",
        _I,
    ),
    "en": re.compile(
        r"(?:,\s*however\b|\bhowever,|\balso\b|\btoo\.\s*$|\bas well\.\s*$|\bmeanwhile\b"
        r"|\bfor (?:its|his|her|their) part\b|\bin turn\b|\bon the other hand\b|\bin contrast\b)"
        r"|(?:^|,\s)(?:the (?:proportion|figure|share|rate|contract|deal|measure|decision) (?!of\b))",
        _I,
    ),
}

_BACKGROUND = {
    # A founding, a birth, an opening, with the year: "a fondé l'association en 2014".
    "fr": re.compile(
        r"\b(?:fondée?s?|créée?s?|née?s?|inaugurée?s?)\s+(?:[\w’'-]+\s+){0,4}(?:en|dès)\s+(?:19|20)\d\d\b",
        _I,
    ),
    "en": re.compile(
        r"\b(?:founded|established|born)\s+(?:[^\W\d_]+\s+){0,4}in\s+(?:19|20)\d\d\b"
        r"|\blast (?:suffered|hit|struck|happened|won)\b[^.]*\bin\s+(?:19|20)\d\d\b"
        # A pluperfect main clause ("The strike had caused..."), not reported speech ("said it had").
        r"|^(?![^.]*\b(?:said|says|told|reported|announced|confirmed)\b)(?:[\w’'-]+\s){1,5}had\s+"
        r"(?:been\s+|\w+ed\b|\w+en\b)",
        _I,
    ),
}
_WORD = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\d")


def strip_dateline(sentence: str) -> str:
    """``sentence`` without the dateline that opens it ("VELMORA — A quake..." -> "A quake...")."""
    m = _DATELINE.match(sentence)
    return sentence[m.end() :] if m else sentence


def is_byline(sentence: str) -> bool:
    """True for a byline line: "By Lena Ortiz", "Par Karim Alaoui"."""
    return _BYLINE.match(sentence) is not None


def has_credit(sentence: str) -> bool:
    """True when ``sentence`` is or carries a photo credit (so it is a caption)."""
    return CREDIT.search(sentence) is not None


def strip_photo_aside(sentence: str) -> str:
    """``sentence`` without an aside about its photo ("Philip Hammond, pictured with John
    Kerry today, warned…" -> "Philip Hammond warned…")."""
    if "pictured" not in sentence and "Pictured" not in sentence:
        return sentence
    return _PHOTO_ASIDE.sub(" ", sentence)


def is_page_note(sentence: str) -> bool:
    """True for a sentence that describes a photo rather than the news (see :data:`_PHOTO_NOTE`),
    or the newsroom's notes around the story (credits, rights, calls to write in: :data:`_END_MATTER`)."""
    return _PHOTO_NOTE.search(sentence) is not None or _END_MATTER.search(sentence) is not None


def leans_on_context(sentence: str, language: str) -> bool:
    """True when ``sentence`` needs one before it: a connective or a bare referent inside it."""
    pattern = _CONTEXT.get(language[:2].lower())
    return pattern is not None and pattern.search(sentence) is not None


def is_background(sentence: str, language: str) -> bool:
    """True for background rather than news: a founding date, an event years ago, a pluperfect."""
    pattern = _BACKGROUND.get(language[:2].lower())
    return pattern is not None and pattern.search(sentence) is not None


def restates(headline: str, sentence: str, *, new_words: int = 3) -> bool:
    """True when ``sentence`` adds fewer than ``new_words`` words of four letters or more
    to ``headline`` and no figure: a brief that would only say its headline again."""
    if not headline:
        return False
    seen = {w.lower()[:5] for w in _WORD.findall(headline)}
    fresh = {w.lower()[:5] for w in _WORD.findall(sentence) if len(w) >= 4 and w.lower()[:5] not in seen}
    figures = {w for w in _WORD.findall(sentence) if _DIGITS.search(w)} - {
        w for w in _WORD.findall(headline) if _DIGITS.search(w)
    }
    return len(fresh) < new_words and not figures
