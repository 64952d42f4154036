"""The newsletter's name inside a sentence: the one rule for "au Brief", "du Brief",
"de L'Essentiel" (French contracts à/de with the article le/les), "to Le Brief" in English.

Catalogue messages name the phrase, not the bare name: ``"Subscribe %(to_newsletter)s"``
is "Subscribe to Le Brief" and "S'abonner au Brief". :func:`phrases` gives every such
placeholder for one language, so pages and mails pass them all at once.
"""

from __future__ import annotations

#: The articles a name may start with ([newsletter] name_article); "none" for no article.
ARTICLES = ("le", "la", "l'", "les")

# French: preposition + article -> the contracted form ("à" + "le" = "au").
_FRENCH = {
    ("à", "le"): "au",
    ("à", "les"): "aux",
    ("de", "le"): "du",
    ("de", "les"): "des",
}
_VOWELS = "aeiouyàâäéèêëîïôöùûüœæ"


def split_article(name: str, article: str = "") -> tuple[str, str]:
    """(article, rest) of the name: ``article`` as configured ("none" for no article),
    or derived from the first word when empty ("Le Brief" -> ("le", "Brief"))."""
    text = name.strip()
    wanted = article.strip().lower().replace("’", "'")
    if wanted == "none":
        return "", text
    lower = text.lower().replace("’", "'")
    for candidate in ("l'", "le ", "la ", "les "):
        if lower.startswith(candidate) and (not wanted or wanted == candidate.strip()):
            return candidate.strip(), text[len(candidate) :].lstrip()
    return "", text


def with_preposition(preposition: str, name: str, article: str = "") -> str:
    """The French ``preposition`` ("à" or "de") before the name, contracted with its
    article: "au Brief", "du Brief", "aux Échos", "à La Croix", "de L'Essentiel",
    "d'Ouest-Matin", "de Digest"."""
    art, rest = split_article(name, article)
    contracted = _FRENCH.get((preposition, art))
    if contracted and rest:
        return f"{contracted} {rest}"
    if preposition == "de" and not art and name[:1].lower() in _VOWELS:
        return f"d'{name.strip()}"
    return f"{preposition} {name.strip()}"


def phrases(name: str, language: str, article: str = "") -> dict[str, str]:
    """The name as the catalogue's placeholders need it in ``language``:
    ``to_newsletter`` ("au Brief", "to Le Brief"), ``from_newsletter`` ("du Brief",
    "from Le Brief") and ``of_newsletter`` ("du Brief", "of Le Brief")."""
    bare = name.strip()
    if language == "fr":
        of = with_preposition("de", name, article)
        return {"to_newsletter": with_preposition("à", name, article), "from_newsletter": of, "of_newsletter": of}
    return {"to_newsletter": f"to {bare}", "from_newsletter": f"from {bare}", "of_newsletter": f"of {bare}"}
