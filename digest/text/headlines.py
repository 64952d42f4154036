"""Short forms of a headline, for a subject line or a list: never cut with "…". Pure.

An editor shortening "Festival du film : un premier long métrage tourné dans le Rif
remporte le grand prix" does not write "Festival du film : un premier long métrage
tourné dans le…"; they keep the clause that carries the news. :func:`short_form` does
the same, in order:

1. the headline itself when it fits;
2. around a kicker separator (" : ", " — ", " | "), the news side (after the kicker),
   shortened by 3 or 4 when it is too long, else the kicker;
3. the longest beginning that ends where a clause or a phrase ends (a comma, ";",
   or before "after", "as", "amid", "après", "alors que", "pour", "avec"...);
4. the longest beginning of whole words that does not end on a word that needs
   the next one ("de", "the", "à", "of", "and").

Leaf module: imports nothing from digest.
"""

from __future__ import annotations

import re

_KICKER = re.compile(r"\s*(?::|\s[—–|-])\s+")
# Where a phrase may end: before these words, or after a comma or semicolon.
_BREAK_BEFORE = re.compile(
    r"\s(?=(?:after|as|amid|while|with|despite|before|following|over|in|at|on|for|to|from|by|over"
    r"|après|alors que|pendant|malgré|avant|pour|avec|dans|sur|face à|depuis|lors|selon|par)\s)",
    re.IGNORECASE,
)
_BREAK_AFTER = re.compile(r"[,;](?=\s)")
_DANGLING = frozenset(
    {"a", "an", "the", "of", "and", "or", "to", "in", "on", "at", "for", "with", "by", "from", "as", "but"}
    | {"de", "du", "des", "la", "le", "les", "l", "un", "une", "et", "ou", "à", "au", "aux", "en", "pour", "par"}
    | {"sur", "dans", "avec", "sans", "d", "qu", "que", "qui", "son", "sa", "ses", "leur", "leurs", "ce", "cet"}
    | {"cette", "ces"}
)
_MIN_WORDS = 3


def short_form(title: str, limit: int) -> str:
    """``title`` in at most ``limit`` characters, whole words, no ellipsis (see the module docstring)."""
    text = " ".join(title.split())
    if len(text) <= limit:
        return text
    parts = _KICKER.split(text, maxsplit=1)
    if len(parts) == 2:
        kicker, news = parts
        for side in (news, kicker):
            if len(side.split()) >= _MIN_WORDS:
                short = _clause(side, limit) or _words(side, limit)
                if len(short.split()) >= _MIN_WORDS:
                    return _capitalised(short)
    return _clause(text, limit) or _words(text, limit)


def _clause(text: str, limit: int) -> str:
    """The longest beginning of ``text`` within ``limit`` that ends a clause or phrase, or ""."""
    if len(text) <= limit:
        return text
    ends = [m.start() for m in _BREAK_BEFORE.finditer(text)] + [m.start() for m in _BREAK_AFTER.finditer(text)]
    best = ""
    for end in ends:
        candidate = text[:end].rstrip(" ,;:")
        words = candidate.split()
        longer = len(best) < len(candidate) <= limit and len(words) >= _MIN_WORDS
        if longer and words[-1].lower().strip("’'") not in _DANGLING:
            best = candidate
    return best


def _words(text: str, limit: int) -> str:
    """The longest beginning of whole words within ``limit`` not ending on a word that needs the next."""
    words = text.split()
    out: list[str] = []
    for w in words:
        if len(" ".join([*out, w])) > limit:
            break
        out.append(w)
    while len(out) > 1 and out[-1].lower().strip("’'").split("’")[0] in _DANGLING:
        out.pop()
    if not out:  # one word longer than the limit: its beginning, still without "…"
        return text[:limit]
    return " ".join(out).rstrip(" ,;:-–—")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
