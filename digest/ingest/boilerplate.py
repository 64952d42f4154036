"""Page furniture that extraction lets through: "Lire aussi", "Temps de lecture",
share and newsletter calls, comment-form lines, breadcrumbs, credits.

Applied to every body before it is stored, whatever the source: a feed's
content:encoded carries the same "Lire aussi" boxes as the page. The patterns are
anchored at the start of a line and most only match short lines, so a real sentence
that merely mentions a newsletter is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_I = re.IGNORECASE

# Recognisable from how the line starts, whatever its length ("Lire aussi : <a title>").
_ALWAYS = re.compile(
    r"^[\W_]*(?:"
    r"(?:à\s+)?(?:lire|voir)\s+(?:aussi|également|plus)\b"
    r"|(?:read|see)\s+(?:more|also)\b|also read\b|related\s*(?:articles?|stories|coverage)?\s*:"
    r"|more on this (?:story|topic)\b|recommended\s*:|sur le même sujet\b|dans la même rubrique\b"
    r"|temps de lecture\b|durée de lecture\b|reading time\b|\d+\s*min(?:utes?)?\s+(?:read|de lecture)\b"
    r"|publicité\s*$|advertisement\s*$|contenu sponsorisé\b|sponsored content\b"
    r"|(?:crédits?\s+)?photos?\s*:|(?:photo\s+)?crédits?\s*:|photo credit\b|©"
    r"|(?:laissez|laisser)(?:-nous)?\s+(?:vos\s+|un\s+|votre\s+)?commentaires?\b"
    r"|(?:poster|publier|ajouter)\s+(?:un\s+|votre\s+)?commentaire\b|leave a (?:comment|reply)\b|post (?:a )?comment\b"
    r"|votre adresse (?:e-?mail|électronique|de messagerie) ne sera pas publiée"
    r"|your email address will not be published|champs (?:requis|obligatoires)\b|required fields are marked"
    r"|(?:mots-clés|mots clés|tags|keywords|thèmes)\s*:"
    r"|the post .{1,300} appeared first on\b|cet article .{1,300} est apparu en premier sur\b"
    r")",
    _I,
)

# A line made only of share/social labels: "Partager sur Facebook", "Partager :", "X".
_LABEL = (
    r"(?:partager|partagez|share|tweet|tweeter|imprimer|print|copier le lien|copy link|envoyer|e-?mail|sur|on|par"
    r"|facebook|twitter|x|whatsapp|linkedin|instagram|telegram|messenger|pinterest|reddit"
    r"|mots-clés|tags?|keywords|commentaires?|comments?|en bref|à la une|accueil|home|menu)"
)
_LABELS_ONLY = re.compile(rf"^[\W_]*{_LABEL}(?:[\s:|•·,/-]+{_LABEL})*[\s:|•·.]*$", _I)

# Calls to action, only when the line is short.
_SHORT = re.compile(
    r"^[\W_]*(?:"
    r"(?:et\s+)?(?:sur\s+)?(?:suivez|retrouvez)-nous|et sur nos réseaux sociaux|follow us"
    r"|(?:la|notre|nos|our|the)\s+newsletters?\b|newsletter\s*:|abonnez-vous|inscrivez-vous|je m[’']inscris"
    r"|s[’']abonner|subscribe to|sign up (?:for|to)|recevez (?:notre|nos|chaque)"
    r")",
    _I,
)
_SHORT_MAX = 60

# Breadcrumbs: "Accueil / Politique / ..." or "Home > World > ...".
_BREADCRUMB = re.compile(r"^(?:accueil|home)\s*[/>»›|]", _I)


def is_boilerplate(line: str) -> bool:
    """True when ``line`` is page furniture rather than article text."""
    stripped = line.strip()
    if not stripped:
        return True
    if _ALWAYS.match(stripped) or _BREADCRUMB.match(stripped):
        return True
    if _LABELS_ONLY.match(stripped):
        return True
    return len(stripped) <= _SHORT_MAX and bool(_SHORT.match(stripped))


def strip_boilerplate(paragraphs: Iterable[str], *, title: str = "") -> list[str]:
    """``paragraphs`` without furniture lines, and without a leading repeat of ``title``."""
    out = [p for p in paragraphs if not is_boilerplate(p)]
    # A page often repeats its headline above the text; a body that is only the
    # headline is left alone (it is all there is).
    if title and len(out) > 1 and out[0].strip().casefold() == title.strip().casefold():
        out = out[1:]
    return out
