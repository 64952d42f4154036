"""Page furniture: the text around an article that is not the article.

"Lire aussi", "Temps de lecture", "Publicité", photo credits, newsletter and social
boxes, share labels, comment forms, breadcrumbs, tags, feed footers and script code,
in French and English together (sites mix them: "Lire aussi" next to "Getty
Images"). One list serves both places that need it: ingest drops furniture
paragraphs before a body is stored, and the summariser applies the same test to
paragraphs and sentences as its own guard, since bodies also arrive from sources
that were never cleaned.

The patterns are anchored at the start of the text, or only match short texts, so a
real sentence that merely mentions a newsletter or a photographer is kept.

Pure: imports only :mod:`digest.words`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from digest.words import word_count

_FLAGS = re.IGNORECASE | re.UNICODE

# Recognisable from how the text starts, whatever its length ("Lire aussi : <a title>").
_START = re.compile(
    r"^[\W_]*(?:"
    r"(?:à\s+)?(?:lire|voir)\s+(?:aussi|également|plus|notre|nos|la vidéo|l'article|l’article)\b"
    r"|(?:read|see|watch)\s+(?:more|also|next|the full|our)\b|also read\b"
    r"|related(?:\s+(?:articles?|stories|coverage|content))?\s*:"
    r"|more on this\b|recommended\s*:|sur le même sujet\b|dans la même rubrique\b|à découvrir\b"
    r"|temps de lecture\b|durée de lecture\b|reading time\b|\d+\s*min(?:utes?)?\s+(?:read|de lecture)\b"
    r"|(?:publicité|advertisement|annonce)\s*$|sponsored\b|contenu sponsorisé\b"
    r"|(?:crédits?\s+|credits?\s+)?(?:photos?|crédits?|credits?|illustration|image|vidéo|video)\s*(?:photo\s*)?[:©]"
    r"|©|crédits?\s+photos?\b|photo credits?\b"
    r"|abonnez-vous\b|inscrivez-vous\b|suivez-nous\b|s[’']abonner\b|subscribe\b|sign up\b|follow us\b"
    r"|partagez\b|partager\s*(?:cet|sur|:|$)|share (?:this|on)\b|cliquez ici\b|click here\b|tap here\b"
    r"|(?:laissez|laisser)(?:-nous)?\s+(?:vos\s+|un\s+|votre\s+)?commentaires?\b"
    r"|(?:poster|publier|ajouter)\s+(?:un\s+|votre\s+)?commentaire\b|leave a (?:comment|reply)\b|post (?:a )?comment\b"
    r"|votre adresse (?:e-?mail|électronique|de messagerie) ne sera pas publiée"
    r"|your email address will not be published|champs (?:requis|obligatoires)\b|required fields are marked"
    r"|et sur nos réseaux sociaux\b|retrouvez-nous\b|la newsletter qui\b|chaque jour,? recevez\b"
    r"|tous droits réservés\b|all rights reserved\b|(?:accueil|home)\s*[/>›»|]"
    r"|mis à jour le\b|publié le\b|modifié le\b|updated on\b|published on\b"
    r"|en bref\s*$|in brief\s*$|newsletter\s*$"
    r"|(?:mots-clés|mots clés|tags|keywords|thèmes)\s*:"
    r"|the post .{1,300} appeared first on\b|cet article .{1,300} est apparu en premier sur\b"
    r")",
    _FLAGS,
)

# A text made only of share/social labels: "Partager sur Facebook", "Partager :", "X".
_LABEL = (
    r"(?:partager|partagez|share|tweet|tweeter|imprimer|print|copier le lien|copy link|envoyer|e-?mail|sur|on|par"
    r"|facebook|twitter|x|whatsapp|linkedin|instagram|telegram|messenger|pinterest|reddit"
    r"|mots-clés|tags?|keywords|commentaires?|comments?|en bref|à la une|accueil|home|menu)"
)
_LABELS_ONLY = re.compile(rf"^[\W_]*{_LABEL}(?:[\s:|•·,/-]+{_LABEL})*[\s:|•·.]*$", _FLAGS)

# Calls to action, only when the text is short (up to _SHORT_CHARS characters).
_SHORT_START = re.compile(
    r"^[\W_]*(?:"
    r"(?:et\s+)?(?:sur\s+)?(?:suivez|retrouvez)-nous|et sur nos réseaux sociaux|follow us"
    r"|(?:la|notre|nos|our|the)\s+newsletters?\b|newsletter\s*:|je m[’']inscris"
    r"|subscribe to|sign up (?:for|to)|recevez (?:notre|nos|chaque)"
    r")",
    _FLAGS,
)
_SHORT_CHARS = 60

# Credits and sign-up boxes, anywhere in a text of at most _SHORT_WORDS words.
_SHORT_ANYWHERE = re.compile(
    r"©|getty images|shutterstock|\bmaxppp\b|\bsipa press\b|\babacapress\b|\bistock\b"
    r"|\bnewsletter\b|\bcookies?\b|\bjavascript\b|\b\d+\s*min(?:ute)?s?\s+(?:read|de lecture)\b",
    _FLAGS,
)
_SHORT_WORDS = 14

# Code, markup and bare links.
_CODE = re.compile(
    r"</?[a-z][^>]*>|\{[^}]*:[^}]*\}|\bfunction\s*\(|\bwindow\.\w|\bdocument\.\w|\bvar\s+\w+\s*=|=\s*new\s+\w+\("
    r"|^\W*(?:https?://|www\.)\S+\W*$",
    _FLAGS,
)


def is_boilerplate(text: str) -> bool:
    """True when ``text`` (a paragraph or a sentence) is page furniture, not news."""
    stripped = text.strip()
    if not stripped:
        return True
    if _START.search(stripped) or _LABELS_ONLY.match(stripped) or _CODE.search(stripped):
        return True
    if len(stripped) <= _SHORT_CHARS and _SHORT_START.match(stripped):
        return True
    return word_count(stripped) <= _SHORT_WORDS and _SHORT_ANYWHERE.search(stripped) is not None


def strip_boilerplate(paragraphs: Iterable[str], *, title: str = "") -> list[str]:
    """``paragraphs`` without furniture, and without a leading repeat of ``title``."""
    out = [p for p in paragraphs if not is_boilerplate(p)]
    # A page often repeats its headline above the text; a body that is only the
    # headline is left alone (it is all there is).
    if title and len(out) > 1 and out[0].strip().casefold() == title.strip().casefold():
        out = out[1:]
    return out
