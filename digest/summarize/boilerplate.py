"""Lines a summary must never contain: page furniture that leaked into article text.

"Lire aussi", "Temps de lecture", "Publicité", photo credits, newsletter and social
boxes, comment forms, breadcrumbs and script code. Ingest removes most of it; this
is the summariser's own guard, applied to paragraphs and to sentences. The patterns
cover French and English together: sites mix them ("Lire aussi" next to "Getty
Images"), and a real sentence rarely starts like furniture.
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE | re.UNICODE

# Furniture recognisable from how the line starts, whatever its length.
_START = re.compile(
    r"^\W*(?:"
    r"(?:à\s+)?(?:lire|voir)\s+(?:aussi|également|plus|notre|nos|la vidéo|l'article|l’article)\b"
    r"|(?:read|see|watch)\s+(?:more|also|next|the full|our)\b|also read\b"
    r"|related(?:\s+(?:articles?|stories|content))?\s*:"
    r"|more on this\b|recommended\s*:|sur le même sujet\b|dans la même rubrique\b|à découvrir\b"
    r"|temps de lecture\b|reading time\b|durée de lecture\b"
    r"|publicité\b|advertisement\b|sponsored\b|contenu sponsorisé\b|annonce\s*$"
    r"|(?:photos?|crédits?|credits?|illustration|image|vidéo|video)\s*(?:photo\s*)?[:©]"
    r"|©|crédit photo\b|photo credit\b"
    r"|abonnez-vous\b|inscrivez-vous\b|suivez-nous\b|s'abonner\b|s’abonner\b|subscribe\b|sign up\b|follow us\b"
    r"|partagez\b|partager\s*(?:cet|sur|:|$)|share (?:this|on)\b|cliquez ici\b|click here\b|tap here\b"
    r"|(?:laissez|laisser)(?:-nous)?\s+(?:vos|un|votre)\s+commentaires?\b|(?:poster|publier)\s+(?:un\s+)?commentaire\b"
    r"|leave a (?:comment|reply)\b|votre adresse (?:e-?mail|de messagerie) ne sera pas publiée"
    r"|your email address will not be published|champs (?:requis|obligatoires)\b"
    r"|et sur nos réseaux sociaux\b|retrouvez-nous\b|la newsletter qui\b|chaque jour,? recevez\b"
    r"|tous droits réservés\b|all rights reserved\b|(?:accueil|home)\s*[/>›»|]"
    r"|mis à jour le\b|publié le\b|modifié le\b|updated on\b|published on\b"
    r"|en bref\s*$|in brief\s*$|newsletter\s*$"
    r")",
    _FLAGS,
)

# Furniture recognisable anywhere in a short line (credits, sign-up boxes).
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
    if _START.search(stripped) or _CODE.search(stripped):
        return True
    return len(stripped.split()) <= _SHORT_WORDS and _SHORT_ANYWHERE.search(stripped) is not None
