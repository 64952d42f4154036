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
    # Scraped news pages (the Daily Mail's among them): datelines, video prompts.
    r"|(?:by\s*\.?\s*)?(?:published|updated|last updated|mis à jour|publié)\s*(?:[:|.]|at\b|on\b|le\b)"
    r"|(?:video\s+)?scroll down\b|faites défiler\b|watch the video\b|regardez la vidéo\b"
    r"|(?:daily mail|mailonline|mail on sunday)\s+reporter\b|follow @|suivez @"
    r"|sorry,? we are not (?:currently )?accepting comments\b|e-?mail to a friend\b|share or comment on this\b"
    # Page furniture around the article: app and paywall prompts, contact and info boxes.
    r"|for the latest (?:stories|news)\b.{0,80}\b(?:download|app)|download (?:our|the) app\b"
    r"|submit (?:your|a) letter\b|pour (?:lire la suite|accéder en illimité|continuer à lire)\b"
    r"|(?:cet article|this article) (?:est réservé|is for subscribers)|déjà abonné\b|already a subscriber\b"
    r"|(?:weitere informationen|zusatzinformationen|kontakt|contact|more information|plus d[’']informations)\s*:?\s*$"
    r"|aktualisiert am\b|anzeige\b|puedes ver\s*:|lee también\s*:|bewerten\s*:|mit diesem button\b"
    r"|(?:ähnliche|verwandte) (?:beiträge|artikel)\b|related posts\b|you (?:may|might) also like\b"
    r"|vous (?:aimerez|pourriez aimer) aussi\b|puede escribirnos\b"
    r")",
    _FLAGS,
)

# A bare timestamp ("14:11 EST, 25 October 2013", "Last updated at 3:13 PM on 12th October").
_TIMESTAMP = re.compile(
    r"^[\W_]*(?:last\s+updated\s+at\s+)?\d{1,2}[:.h]\d{2}\s*(?:[ap]\.?m\.?|est|edt|gmt|bst|cet|utc)?\b[\s,.]*"
    r"(?:on\s+)?(?:\d{1,2}(?:st|nd|rd|th|er)?\s+\w+\s+\d{4}|\w+\s+\d{1,2},?\s+\d{4})?[\W_]*$",
    _FLAGS,
)

# A byline: "By John Smith", "Par Jeanne Martin et Paul Durand", "By . Associated Press",
# with the writer's role or place: "By Jane Smith, Europe correspondent", "By Jane Smith in
# Brussels", "Par Jeanne Martin, envoyée spéciale à Kiev".
_ROLE = (
    r"(?:correspondent|editor|reporter|writer|journalist|columnist|contributor|staff|critic|analyst|producer"
    r"|correspondant|correspondante|envoyée?\s+spéciale?|rédact(?:eur|rice)|journaliste|chroniqueu(?:r|se)"
    r"|éditorialiste)"
)
_BYLINE = re.compile(
    r"^[\W_]*(?:[Bb]y|[Pp]ar)\s*\.?\s+(?:[A-ZÀ-Ý][\w'’.-]*\s*(?:,|and|et|&|\.|\|)?\s*){1,6}"
    rf"(?:(?<=,)\s*(?:[\w'’-]+\s+){{0,4}}{_ROLE}\b[^.!?]{{0,40}}|(?:in|à|from|depuis)\s+[A-ZÀ-Ý][\w'’ -]{{1,40}})?$"
)

# A dateline standing alone: "Sat 5 Dec 2026 16.10 GMT", "Last modified on Sat 5 Dec 2026
# 16.12 GMT", "December 5, 2026 4:10 PM ET", "Monday 7 December 2026": a date (and a time),
# nothing else.
_MONTH = r"(?:jan|feb|fév|mar|apr|avr|may|mai|jun|juin|jul|juil|aug|août|sep|oct|nov|dec|déc)[a-zéû]*\.?"
_DAY_NAME = r"(?:mon|tue|wed|thu|fri|sat|sun|lun|mar|mer|jeu|ven|sam|dim)[a-z]*\.?,?"
_CLOCK = r"\d{1,2}[.:h]\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,5}|[+-]\d{2}:?\d{2})?"
_DATELINE_ONLY = re.compile(
    r"^[\W_]*(?:(?:last\s+modified|first\s+published|published|updated|posted|modifié|publié|mis\s+à\s+jour)"
    r"(?:\s+(?:on|at|le))?\s*:?\s*)?"
    rf"(?:{_DAY_NAME}\s+)?(?:(?:le\s+)?\d{{1,2}}(?:st|nd|rd|th|er)?\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}})"
    rf"(?:\s*(?:,|at|à|-|–|•|·|\|)?\s*{_CLOCK})?[\W_]*$",
    _FLAGS,
)

# A photo caption: a position marker only captions use, "(pictured)", "(left)", "(file photo)".
_CAPTION = re.compile(
    r"\((?:(?:second|far|top|bottom|centre|center|front|back)\s+)?(?:pictured|left|right|centre|center|above|below"
    r"|top|bottom|inset|file(?:\s+(?:photo|picture|image))?|circled|middle|main picture|main image|à gauche|à droite"
    r"|au centre|photo d'archives?)(?:\s*[,;]\s*[^)]{0,60})?\)",
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
# What each branch of _SHORT_ANYWHERE contains, lowercased: a text holding none of
# them cannot match, which a lowercase copy and a few substring tests tell far sooner
# than the regex, which tries its eleven branches at every position. Valid unless the
# text has one of the four letters IGNORECASE matches to an ASCII letter besides A-Z
# (_ASCII_LOOKALIKES: "İ", "ı" for i, "ſ" for s, the Kelvin sign for k).
_SHORT_KEYS = (
    "©",
    "getty images",
    "shutterstock",
    "maxppp",
    "sipa press",
    "abacapress",
    "istock",
    "newsletter",
    "cookie",
    "javascript",
    "min",
)
_ASCII_LOOKALIKES = re.compile("[\u0130\u0131\u017f\u212a]")

# Code, markup and bare links, as five patterns rather than one alternation: with
# IGNORECASE, one alternation gives the regex engine no character to scan for, so it
# tried every branch at every position of every sentence (a third of the summariser's
# time on English pages). Apart, markup and script objects open on a literal the
# engine scans for ("<", "{", "."), and the other two only run where their "(" or "="
# is (see _is_code).
_MARKUP = re.compile(r"</?[a-z][^>]*>|\{[^}]*:[^}]*\}", _FLAGS)
_SCRIPT_OBJECT = re.compile(r"\.(?:(?<=\bwindow\.)|(?<=\bdocument\.))\w", _FLAGS)  # "window.x", "document.x"
_SCRIPT_CALL = re.compile(r"\bfunction\s*\(", _FLAGS)
_SCRIPT_ASSIGNMENT = re.compile(r"\bvar\s+\w+\s*=|=\s*new\s+\w+\(", _FLAGS)
_BARE_LINK = re.compile(r"\W*(?:https?://|www\.)\S+\W*$", _FLAGS)


_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
# An ALL-CAPS subheading glued between two sentences by a lost line break:
# "…Libéré.PORTÉE PAR DEUX MIGRANTSTout commence…" (two words at least).
# The heading is group 1: the sentence end before it is matched, not looked behind
# at, so the regex engine scans for it instead of trying every position.
_GLUED_HEADING = re.compile(
    rf"[.!?…»”\"](\s*[{_UPPER}][{_UPPER}0-9'’,:-]*(?:\s+[{_UPPER}0-9][{_UPPER}0-9'’,:-]*)+\s*(?=[{_UPPER}][{_LOWER}]))"
)
# An embedded video's caption and credit glued into the text (French pages): "…<video title>par
# BFMTVQuant au…", "…tensionspar euronews (en français)". The title runs back to the
# previous sentence end; the credit is one to four names and an optional "(…)".
_GLUED_CREDIT = re.compile(
    rf"(?:(?<=[.!?…])|^)[^.!?…]*?(?<=[{_LOWER}0-9?!»\"”)])par\s+\w[\w'’-]*(?:\s+[{_UPPER}0-9][\w'’-]*){{0,3}}"
    rf"(?:\s*\([^)]{{1,40}}\))?(?=[{_UPPER}](?:[{_LOWER}]|\s)|[«\"“]|\s+[{_UPPER}«\"“]|\s*$)"
)
# Where a credit may be: "par" glued to the word before it (found by "par", then checked).
_GLUED_PAR = re.compile(rf"par\s(?<=[{_LOWER}0-9?!»\"”)]par\s)")
# A wire dateline before the first sentence: "(CNN) -- ", "PARIS (AFP) - ", "LONDON, England (Reuters) --".
_DATELINE = re.compile(
    rf"^[{_UPPER}][{_UPPER}\w .,'’-]{{0,60}}?\s*\((?:CNN|AP|AFP|Reuters|Reuters\.com|UPI|dpa|ANSA|Belga)\)\s*[-—–:]+\s*"
    r"|^\((?:CNN|AP|AFP|Reuters)\)\s*[-—–:]*\s*"
)


def split_glued(paragraph: str) -> list[str]:
    """``paragraph`` cut where furniture was glued into it, that furniture removed.

    A lost line break leaves subheadings and video credits inside the text
    (see :data:`_GLUED_HEADING`, :data:`_GLUED_CREDIT`); a wire dateline ("(CNN) --")
    opens a paragraph. The pieces left are the article's own words, in order.
    """
    paragraph = _DATELINE.sub("", paragraph, count=1)
    pieces: list[str] = []
    start = 0
    cuts = [(m.start(1), m.end(1)) for m in _GLUED_HEADING.finditer(paragraph)]
    if _GLUED_PAR.search(paragraph):  # the credit pattern is costly: only where one may be
        cuts = sorted(cuts + [(m.start(), m.end()) for m in _GLUED_CREDIT.finditer(paragraph)])
    for a, b in cuts:
        if a < start:
            continue
        pieces.append(paragraph[start:a])
        start = b
    pieces.append(paragraph[start:])
    return [p.strip() for p in pieces if p.strip()]


# A caption's label: up to four words and a colon glued to the last one (English
# typography; French puts a space before ":"), then the caption: "Final embrace: These
# special sessions…". A quotation after the colon, or a verb of saying in the label,
# makes it a sentence ("Mr Cameron said: 'We…'").
_CAPTION_LABEL = re.compile(r"^[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,3}:\s+[A-Z0-9]")
_SAYS = re.compile(
    r"\b(?:said|says|say|told|tells|added|adds|wrote|writes|explained|explains|asked|asks|warned|warns|insisted"
    r"|tweeted|claimed|claims|stated|states|revealed|reveals|admitted|admits|replied|continued|concluded)\b",
    _FLAGS,
)
# A photo credit closing a caption: "… in London. Photograph: Carl Court/Getty Images",
# "… (AP Photo/Evan Vucci)", "… (Oleg Urusov/Roscosmos photo via AP)", "… Photo: AFP".
_CREDIT_END = re.compile(
    r"(?:^|[.!?”\"»)]\s*)(?:photograph|photo|picture|image|illustration|credit|crédit|photo\s+credit)s?\s*:"
    r"\s*[^.!?:]{1,80}$"
    r"|\((?:AP|AFP|Reuters|EPA|Getty Images|PA|dpa)\s+(?:Photo|Images?)(?:\s*/[^()]{1,80})?\)\s*$"
    r"|\([^()]{0,120}\b(?:photo|photograph|image)\s+(?:via|by|from|courtesy(?:\s+of)?)\s+[^()]{1,60}\)\s*$",
    _FLAGS,
)
# Every match of _CREDIT_END ends the text and is at most this long (the texts are
# clean lines, single spaces): only the text's end is searched, and only when it holds
# the ":" or ends with the ")" each branch needs.
_CREDIT_SPAN = 220


def _ends_with_credit(text: str) -> bool:
    if ":" not in text and not text.rstrip().endswith(")"):
        return False
    return _CREDIT_END.search(text, max(0, len(text) - _CREDIT_SPAN)) is not None


# A caption that says so: "In this photo taken on…", "In this Dec. 5, 2016 file photo, …".
_THIS_PHOTO = re.compile(
    r"^in\s+this\s+(?:[\w.,’' -]{0,40}\s)?(?:photo|photograph|image|picture|handout|still|frame)\b", _FLAGS
)
# Page labels in capitals: "VIDEO Van Gaal happy with squad".
_CAPS_LABEL = re.compile(r"^[\W_]*(?:VIDEO|PHOTOS?|WATCH|LIVE|EXCLUSIVE|VIDÉO|EN IMAGES|DIRECT)\b(?![’'])")
# "Teacher Ray Coe, pictured left, is…": a caption's position note between commas.
_PICTURED = re.compile(r",\s+pictured\b|\(pictured\b", _FLAGS)


def is_caption(text: str, *, labels: bool = True) -> bool:
    """True when ``text`` reads as a photo or video caption rather than a sentence of the story.

    ``labels=False`` does not take "Label: Text" for a caption: in a page's article
    body, where the page's own markup already took captions out, that shape is far
    more often a question, a speaker or an ingredient list ("Frage 4: Welche…").
    """
    if _CAPTION.search(text) or _PICTURED.search(text) or _CAPS_LABEL.match(text):
        return True
    if _THIS_PHOTO.match(text) or _ends_with_credit(text):
        return True
    if not labels:
        return False
    label = _CAPTION_LABEL.match(text)
    return label is not None and _SAYS.search(label.group()) is None


def _is_code(text: str) -> bool:
    """True when ``text`` holds markup, script code or is a bare link."""
    return (
        _MARKUP.search(text) is not None
        or _SCRIPT_OBJECT.search(text) is not None
        or ("(" in text and _SCRIPT_CALL.search(text) is not None)
        or ("=" in text and _SCRIPT_ASSIGNMENT.search(text) is not None)
        or _BARE_LINK.match(text) is not None
    )


def is_boilerplate(text: str, *, words: int | None = None, labels: bool = True) -> bool:
    """True when ``text`` (a paragraph or a sentence) is page furniture, not news.

    ``words`` is ``word_count(text)`` when the caller already has it (it is not counted twice);
    ``labels``: see :func:`is_caption`.
    """
    stripped = text.strip()
    if not stripped:
        return True
    if _START.match(stripped) or _LABELS_ONLY.match(stripped) or _is_code(stripped):
        return True
    if _TIMESTAMP.match(stripped) or _BYLINE.match(stripped) or _DATELINE_ONLY.match(stripped):
        return True
    if is_caption(stripped, labels=labels):
        return True
    if len(stripped) <= _SHORT_CHARS and _SHORT_START.match(stripped):
        return True
    if words is None:
        words = word_count(stripped)
    return words <= _SHORT_WORDS and _short_credit(stripped)


def _short_credit(text: str) -> bool:
    """``_SHORT_ANYWHERE.search(text)``, skipped where none of its keys is in ``text``."""
    if _ASCII_LOOKALIKES.search(text) is None:
        lowered = text.lower()
        if not any(key in lowered for key in _SHORT_KEYS):
            return False
    return _SHORT_ANYWHERE.search(text) is not None


def strip_boilerplate(paragraphs: Iterable[str], *, title: str = "", labels: bool = True) -> list[str]:
    """``paragraphs`` without furniture, and without a leading repeat of ``title``
    (``labels``: see :func:`is_caption`)."""
    out = [piece for p in paragraphs for piece in split_glued(p) if not is_boilerplate(piece, labels=labels)]
    return drop_repeated_title(out, title)


def drop_repeated_title(paragraphs: list[str], title: str) -> list[str]:
    """``paragraphs`` without a first one that only repeats ``title``.

    A page often repeats its headline above the text; a body that is only the
    headline is left alone (it is all there is).
    """
    if title and len(paragraphs) > 1 and paragraphs[0].strip().casefold() == title.strip().casefold():
        return paragraphs[1:]
    return paragraphs
