"""What makes a piece hard news, an angle or trivia, read from its words. Pure.

An editor ranks the day by what happened, not by how long the article is. These are
the surface signs of it, French and English, each a class counted once per story:

* an **official** acts or speaks (minister, governor, mayor, court, parliament...);
* a **figure** that measures the event (a percentage, an amount, a count of people);
* **casualties** (dead, injured, killed, morts, blessés);
* a **decision**: a vote, a ruling, an agreement, an order, an appointment;
* a **service change** on a given day: a strike, a closure, a suspension, trains
  that do not run, schools shut.

An **angle** is a piece about an event that does not report it: an explainer ("what
the deal changes for you", "ce que change l'accord"), an analysis, a question in the
headline. **Trivia** (recipes, horoscopes, outfits, listicles, lost pets, animals
wandering into shops) is light: it never makes a top story.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE


def _lexicon(words: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Single words (matched against the text's word set) and phrases (found in the lowered text)."""
    items = [w.strip() for w in words.split("|") if w.strip()]
    return frozenset(w for w in items if " " not in w), tuple(f" {w}" for w in items if " " in w)


# Each class is a word set and a few phrases: a set lookup per word of the text, not a
# regex alternation per class (500 candidates are read in a few milliseconds).
OFFICIAL = _lexicon(
    "minister|ministry|president|prime minister|governor|mayor|council|councillors|parliament|mps|senate"
    "|lawmakers|government|supreme court|court|judge|judges|police|union|chief executive|ceo|central bank"
    "|ministre|ministère|président|présidente|gouverneur|wali|maire|conseil|parlement|députés|sénat"
    "|gouvernement|tribunal|cour|juge|juges|syndicat|syndicats|préfet|directeur général|banque centrale"
)
CASUALTIES = _lexicon(
    "kill|kills|killed|killing|dead|die|dies|died|death|deaths|injure|injures|injured|injuring|hurt|wounded|victims"
    "|fatalities|missing|tue|tuent|meurt|meurent"
    "|mort|morts|tué|tués|décès|décédé|décédés|blessé|blessés|victimes|disparus"
)
DECISION = _lexicon(
    "vote|voted|votes|approve|approved|passes|passed|adopted|rule|ruled|ruling|struck down|agreed|agreement"
    "|deal|signed|ordered|orders|appointed|names|sacked|dismissed|resigned|raise|raised|lowered|announced"
    "|decided|adopte|adopté|adoptée|voté|approuvé|approuve|décidé|décide|accord|signé|annule|annulé|nommé"
    "|limogé|démission|relève|abaisse|baisse|hausse|annonce|annoncé|ordonne|condamné"
)
SERVICE = _lexicon(
    "strike|walkout|walk out|suspended|closed|shut|cancelled|canceled|will not run|disrupted|closure"
    "|no trains|will be closed|grève|suspendu|suspendus|suspendue|fermé|fermée|fermés|fermées|annulé|annulés"
    "|perturbé|perturbés|coupure|interrompu|interrompue|interrompus|interrompues|fermeture"
    "|ne circulera pas|ne circuleront pas"
)
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
# "from Monday", "dès lundi", "à partir de mardi": a service changing on a given day.
_FROM_DAY = re.compile(rf"\b(?:from|dès|à partir de) (?:{_DAYS})\b")
_WORDS = re.compile(r"\w+")
_DAY_WORDS = frozenset(_DAYS.split("|"))
# A number, then what it measures (checked right after it: a match, not a search).
_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d+)*")
_UNIT = re.compile(
    r"[\s-]?(?:%|‰|(?:per ?cent|pour ?cent|millions?|billions?|milliards?|euros?|dollars?|dirhams?|pounds?"
    r"|jobs|emplois|people|personnes|homes|foyers|households|ménages|votes|voix|km/h|operations|opérations"
    r"|workers|salariés|buildings|bâtiments)\b)",
    _I,
)
_COUNTED = re.compile(r"\s+[^\W\d_]{3,}")
_CURRENCY = re.compile(r"[€$£]\s?\d")


def _has(lexicon: tuple[frozenset[str], tuple[str, ...]], words: set[str], lowered: str) -> bool:
    return not lexicon[0].isdisjoint(words) or any(p in lowered for p in lexicon[1])


def has_figure(text: str) -> bool:
    """A figure that measures: a percentage, money, a count of people or things; a number of
    three digits or more before a word ("400 écoles"), not a year."""
    if _CURRENCY.search(text):
        return True
    for m in _NUMBER.finditer(text):
        if _UNIT.match(text, m.end()):
            return True
        digits = re.sub(r"\D", "", m.group())
        year = len(digits) == 4 and digits[:2] in ("19", "20") and m.group().isdigit()
        if len(digits) >= 3 and not year and _COUNTED.match(text, m.end()):
            return True
    return False


ANGLE_TITLE = re.compile(
    r"\?\s*[»”\"’']?\s*$"
    r"|^\W*(?:how|why|what|who|when|where|analysis|explainer|explained|opinion|comment|editorial|q&a|the view"
    r"|pourquoi|comment|ce que|qui|quel|quels|quelle|quelles|analyse|décryptage|éditorial|tribune|chronique"
    r"|point de vue|notre avis)\b"
    r"|:\s*(?:what|why|how|who|ce que|ce qu[’']|pourquoi|comment|qui|quel|quelle|les (?:clés|enjeux))\b",
    _I,
)
ANGLE_CATEGORY = re.compile(r"^(?:opinion|analysis|comment|editorial|débats?|opinions?|analyse|tribunes?)$", _I)

TRIVIA = _lexicon(
    "recipe|recipes|horoscope|astrology|zodiac|outfit|gown|red carpet|look of the day|lost cat|lost dog|lost pet"
    "|missing cat|missing dog|missing pet|cat found|dog found|wild boar|crossword|quiz|sudoku"
    "|recette|recettes|astro|tapis rouge|chat perdu|chien perdu|sanglier|mots croisés"
)
# A listicle's headline: "10 best walks", "Top 5 tips", "Sept idées de balades".
LISTICLE = re.compile(
    r"^\W*(?:\d+|top \d+|ten|five|seven|dix|cinq|sept)\s+(?:best|things|ways|tips|places|walks|reasons|meilleur"
    r"|meilleures|meilleurs|choses|astuces|conseils|idées|endroits|balades)\b",
    _I,
)
LIGHT_CATEGORY = re.compile(
    r"^(?:life|lifestyle|people|celebrity|celebrities|food|cuisine|horoscope|astrology|fashion|mode|insolite"
    r"|offbeat|quirky|puzzles|jeux|loisirs|vie pratique|art de vivre|people & stars)$",
    _I,
)


def hard_news(text: str) -> float:
    """Hard-news signals of ``text`` between 0 and 1: official, figure, decision and service
    count one each, casualties two (a death toll leads a day), over :data:`HARD_CLASSES`."""
    lowered = " " + text.lower()
    words = set(_WORDS.findall(lowered))
    n = sum(1 for lexicon in (OFFICIAL, DECISION) if _has(lexicon, words, lowered))
    changes_on_a_day = not _DAY_WORDS.isdisjoint(words) and _FROM_DAY.search(lowered) is not None
    n += 1 if _has(SERVICE, words, lowered) or changes_on_a_day else 0
    n += 1 if has_figure(text) else 0
    n += 2 if _has(CASUALTIES, words, lowered) else 0
    return min(1.0, n / HARD_CLASSES)


#: Signal points for a full hard-news score: any four (casualties count two).
HARD_CLASSES = 4


def is_angle(title: str, category: str = "") -> bool:
    """True for a piece about an event that does not report it (explainer, analysis, question)."""
    return bool(ANGLE_TITLE.search(title.strip()) or ANGLE_CATEGORY.match(category.strip()))


def is_trivia(title: str, category: str = "", lead: str = "") -> bool:
    """True for light items no editor puts among the top stories (recipes, horoscopes, outfits,
    listicles, lost pets, animals in shops): by headline, by category, or by the lead's first words."""
    if LISTICLE.match(title) or LIGHT_CATEGORY.match(category.strip()):
        return True
    lowered = f" {title.lower()} {lead[:160].lower()}"
    return _has(TRIVIA, set(_WORDS.findall(lowered)), lowered)
