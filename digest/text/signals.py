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

OFFICIAL = re.compile(
    r"\b(?:minister|ministry|president|prime minister|governor|mayor|council|councillors|parliament|mps|senate"
    r"|lawmakers|government|supreme court|court|judges?|police|union|chief executive|ceo|central bank"
    r"|ministre|ministère|président|présidente|gouverneur|wali|maire|conseil|parlement|députés|sénat"
    r"|gouvernement|tribunal|cour|juges?|syndicats?|préfet|directeur général|banque centrale)\b",
    _I,
)
# A figure that measures: a percentage, money, a count of people or things (not a bare year or time).
FIGURE = re.compile(
    r"\d[\d.,\u00a0\u202f ]*[\s-]?(?:%|‰|(?:per ?cent|pour ?cent|millions?|billions?|milliards?|euros?|dollars?"
    r"|dirhams?|pounds?|jobs|emplois|people|personnes|homes|foyers|households|ménages|votes|voix|km/h|operations"
    r"|opérations|workers|salariés|buildings|bâtiments)\b)|[€$£]\s?\d"
    # A count of things: three digits or more (not a year) before a word, "400 écoles", "1,200 staff".
    r"|\b(?!(?:19|20)\d\d\b)\d{1,3}(?:[,.\u00a0\u202f ]\d{3})*\d?\d{2}\s+[^\W\d_]{3,}",
    _I,
)
CASUALTIES = re.compile(
    r"\b(?:killed|killing|dead|died|deaths?|injured|injuring|hurt|wounded|victims|fatalities|missing"
    r"|morts?|tués?|décès|décédés?|blessés?|victimes|disparus)\b",
    _I,
)
DECISION = re.compile(
    r"\b(?:voted?|votes|approved?|passe[sd]|adopted|ruled?|ruling|struck down|agreed|agreement|deal|signed"
    r"|ordered|orders|appointed|names|sacked|dismissed|resigned|raised?|lowered|announced|decided"
    r"|adopte|adopté|adoptée|vote|voté|approuvé|approuve|décidé|décide|accord|signé|annule|annulé|nommé"
    r"|limogé|démission|relève|abaisse|baisse|hausse|annonce|annoncé|ordonne|condamné)\b",
    _I,
)
SERVICE = re.compile(
    r"\b(?:strike|walkout|walk out|suspended|closed|shut|cancelled|canceled|will not run|disrupted|closure"
    r"|grève|suspendu|suspendus|suspendue|fermé|fermée|fermés|fermées|annulés?|perturbé|perturbés|coupure"
    r"|interrompue?s?|fermeture|ne circuler(?:a|ont) pas|no trains|will be closed"
    r"|from (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|(?:à partir|dès) (?:de )?(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche))\b",
    _I,
)

ANGLE_TITLE = re.compile(
    r"\?\s*[»”\"’']?\s*$"
    r"|^\W*(?:how|why|what|who|when|where|analysis|explainer|explained|opinion|comment|editorial|q&a|the view"
    r"|pourquoi|comment|ce que|qui|quel|quels|quelle|quelles|analyse|décryptage|éditorial|tribune|chronique"
    r"|point de vue|notre avis)\b"
    r"|:\s*(?:what|why|how|who|ce que|ce qu[’']|pourquoi|comment|qui|quel|quelle|les (?:clés|enjeux))\b",
    _I,
)
ANGLE_CATEGORY = re.compile(r"^(?:opinion|analysis|comment|editorial|débats?|opinions?|analyse|tribunes?)$", _I)

TRIVIA = re.compile(
    r"\b(?:recipe|recipes|horoscope|astrology|zodiac|outfit|gown|red carpet|look of the day"
    r"|lost (?:cat|dog|pet)|missing (?:cat|dog|pet)|(?:cat|dog) found|wild boar|crossword|quiz|sudoku"
    r"|recette|recettes|horoscope|astro|tapis rouge|chat perdu|chien perdu|sanglier|mots croisés)\b"
    r"|^\W*(?:\d+|top \d+|ten|five|seven)\s+(?:best|things|ways|tips|places|walks|reasons|meilleur|meilleures"
    r"|meilleurs|choses|astuces|conseils|idées|endroits|balades)\b"
    r"|^\W*recipe\b|^\W*recette\b",
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
    n = sum(1 for p in (OFFICIAL, FIGURE, DECISION, SERVICE) if p.search(text))
    n += 2 if CASUALTIES.search(text) else 0
    return min(1.0, n / HARD_CLASSES)


#: Signal points for a full hard-news score: any four (casualties count two).
HARD_CLASSES = 4


def is_angle(title: str, category: str = "") -> bool:
    """True for a piece about an event that does not report it (explainer, analysis, question)."""
    return bool(ANGLE_TITLE.search(title.strip()) or ANGLE_CATEGORY.match(category.strip()))


def is_trivia(title: str, category: str = "", lead: str = "") -> bool:
    """True for light items no editor puts among the top stories (recipes, horoscopes, outfits,
    listicles, lost pets, animals in shops): by headline, by category, or by the lead's first words."""
    return bool(TRIVIA.search(title) or LIGHT_CATEGORY.match(category.strip()) or TRIVIA.search(lead[:160]))
