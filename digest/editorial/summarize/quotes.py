"""Where quotations open and close in news text: « », “ ”, ‘ ’ and straight quotes.

A summary must never stop inside a quotation, so the sentence splitter asks
:func:`open_quotes` whether a boundary falls inside one, and the scorer asks
:func:`quoted_share` how much of a sentence is quoted. Apostrophes are not quotes:
a single quote between two letters ("l’OTAN", "don't") is skipped, an opening
single quote follows a space or an opening bracket, a closing one follows a
non-space and is not followed by a letter ("'gipsies'.").
"""

from __future__ import annotations

import re

# A quotation mark, not an apostrophe inside a word ("l’OTAN", "Obama's": a single
# quote between two letters or digits): those are skipped here, in the regex, since
# news text has many and each would cost a turn of scan's loop.
_QUOTE = re.compile(r"[«»“”\"‘’'](?:(?<![^\W_][‘’'])|(?![^\W_]))")
_PAIRS = {"«": "»", "“": "”"}
_SINGLE = "'"  # the marker for an open single quotation, ‘ or '
# A closing single quote: after a non-space, not before a letter or digit.
_SINGLE_CLOSE = re.compile(r"(?<=\S)['’](?!\w)")
_OPENS_AFTER = " \t\u00a0\u202f([{—–-:;,/"


def scan(text: str) -> tuple[list[str], int, int]:
    """The quotations still open at the end of ``text`` (their closing marks, innermost
    last), the number of characters inside quotations, and the number of closing marks
    that close nothing (a sentence that starts inside a quotation)."""
    stack: list[str] = []
    starts: list[int] = []
    inside = 0
    stray = 0
    n = len(text)
    for m in _QUOTE.finditer(text):
        i = m.start()
        ch = m.group()
        prev = text[i - 1] if i > 0 else " "
        nxt = text[i + 1] if i + 1 < n else " "
        if ch in _PAIRS:
            stack.append(_PAIRS[ch])
            starts.append(i)
        elif ch in "»”":
            if stack and stack[-1] == ch:
                stack.pop()
                inside += i - starts.pop() - 1
            else:
                stray += 1
        elif ch == '"':
            if stack and stack[-1] == '"':
                stack.pop()
                inside += i - starts.pop() - 1
            else:
                stack.append('"')
                starts.append(i)
        else:  # ‘ ’ ', not an apostrophe inside a word (_QUOTE skips those)
            if stack and stack[-1] == _SINGLE and ch != "‘" and not prev.isspace() and not nxt.isalnum():
                stack.pop()
                inside += i - starts.pop() - 1
            elif ch == "‘" or (ch == "'" and (prev in _OPENS_AFTER or i == 0) and not nxt.isspace()):
                stack.append(_SINGLE)
                starts.append(i)
    for s in starts:
        inside += n - s - 1
    return stack, inside, stray


def open_quotes(text: str) -> list[str]:
    """Closing marks of the quotations ``text`` opens and does not close."""
    return scan(text)[0]


def closes_soon(text: str, closer: str) -> bool:
    """True when ``text`` (what follows a boundary) contains ``closer``."""
    if closer == _SINGLE:
        return _SINGLE_CLOSE.search(text) is not None
    return closer in text


def balanced(text: str) -> bool:
    """True when every quotation ``text`` opens also closes in it, and it closes none it did not open."""
    stack, _inside, stray = scan(text)
    return not stack and not stray


def quoted_share(text: str) -> float:
    """Share of ``text``'s characters inside quotations."""
    if not text or _QUOTE.search(text) is None:
        return 0.0
    return scan(text)[1] / len(text)
