"""Sentences that lean on the one before them: "Celle-ci…", "Comme le sien,…", "He said…".

Out of context such a sentence points at something the reader never saw, so a
summary takes it only together with the sentence before it (see
:func:`digest.editorial.summarize.scoring.pick_sentences`). Impersonal uses ("Il y a", "Il faut",
"It is expected that") open a sentence without pointing back and are not counted.
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE | re.UNICODE

_OPENERS = {
    "fr": re.compile(
        r"^[\W_]*(?:"
        r"(?:il|elle)(?!\s+(?:y\s+a|faut|fallait|faudra|s[’']agit|s[’']agissait|existe|reste|suffit|semble|paraît"
        r"|convient|importe|était une fois|est (?:temps|possible|impossible|probable|peu probable|prévu|question"
        r"|nécessaire|important|difficile|vrai|clair|urgent)|pleut|fait (?:beau|chaud|froid)))\b"
        r"|ils|elles|eux|lui|leur|leurs|celui|celle|ceux|celles|celui-ci|celle-ci|ceux-ci|celles-ci|celui-là|celle-là"
        r"|cela|ça|ceci|ce dernier|cette dernière|ces derniers|ces dernières|le premier|la première|le second"
        r"|la seconde|l[’']intéressé|l[’']intéressée|ce dernier|lequel|laquelle|lesquels|lesquelles|dont"
        r"|comme (?:le sien|la sienne|les siens|les siennes|lui|elle|eux|elles|le leur|la leur|les leurs|celui|celle)"
        r"|son|sa|ses|mais|pourtant|cependant|toutefois|néanmoins|en revanche|par ailleurs|de plus|en outre"
        r"|aussi(?=\s*,)"
        r"|ainsi|donc|or|alors|puis|enfin|et|d[’']autant|selon (?:lui|elle|eux|elles)|d[’']après (?:lui|elle|eux|elles)"
        r"|pour (?:lui|elle|eux|elles)|quant à (?:lui|elle|eux|elles)|lui-même|elle-même|là|au contraire"
        r"|de son côté|de leur côté|à son tour|à leur tour|parmi eux|parmi elles|même|le même|la même"
        # "Car" only ever gives the reason for what came before; "Parce que" does when it
        # is cut off by a comma ("Parce que, contrairement à…") or has no main clause
        # ("Parce qu'il pleuvait."), not in "Parce qu'il pleuvait, le match est reporté."
        r"|car|parce\s+qu(?:e\b|[’'])(?=\s*,|[^,]*$)"
        # "Cette décision" points back; "Cette année", "Ces derniers jours" only name a time.
        r"|(?:cet|cette|ces)(?!\s+(?:année|années|semaine|semaines|saison|nuit|matin|soir|été|hiver|automne"
        r"|après-midi|fois|(?:derniers|dernières)\s+(?:jours|mois|années|semaines|heures)))"
        r")\b",
        _FLAGS,
    ),
    "en": re.compile(
        r"^[\W_]*(?:"
        r"he|she|they|him|her|them|his|hers|their|theirs|its|it(?!\s+(?:is|was|will be|has been|would be)"
        r"\s+(?:expected|thought|believed|understood|likely|unclear|not clear|hoped|feared|possible|estimated"
        r"|reported|said)\b)"
        r"|this|that|these|those|such|the latter|the former|both|neither|either"
        r"|but|however|also|meanwhile|moreover|furthermore|nevertheless|nonetheless|yet|still|instead|then|so"
        r"|and|or|thus|therefore|hence|in addition|besides|otherwise|likewise|similarly|indeed|after all"
        r"|(?:there|here)(?=\s*,)|at the time|by then"
        r"|like (?:him|her|them|his|hers|theirs)|according to (?:him|her|them)"
        # "Because, unlike…" and "Because it was cheaper." answer the sentence before;
        # "Because of the storm, …" and "Because it rained, the match…" stand alone.
        r"|because(?=\s*,|(?!\s+of\b)[^,]*$)"
        r")\b",
        _FLAGS,
    ),
}


def leans_back(sentence: str, language: str) -> bool:
    """True when ``sentence`` opens on a word that points back to the sentence before it."""
    pattern = _OPENERS.get(language[:2].lower())
    return pattern is not None and pattern.match(sentence) is not None
