"""How many words a text has, as a reader counts them: the one rule of the product.

A word is a whitespace-separated token with at least one letter or digit, so
"l’OTAN", "porte-parole", "300" and "U.S." are one word each, and punctuation
standing alone (":", "«", "—", "%") is none. The edition's five-minute budget, an
article's reading time and the summariser's length limits all count this way, so a
summary that fits its word cap also fits the budget that reserved room for it.

Leaf module: imports nothing from digest.
"""

from __future__ import annotations

import re

# A whitespace-delimited token with a letter or digit in it ([^\W_]: a word character
# that is not "_"); each such token matches exactly once.
_WORD = re.compile(r"\S*[^\W_]\S*")


def word_count(text: str) -> int:
    """Words of ``text`` as a reader counts them (see the module docstring)."""
    return len(_WORD.findall(text))
