"""Per-language resources for the summariser: stop-words, abbreviations, a stemmer.

The word lists ship inside the package (``resources/``); stemming is Snowball
(snowballstemmer, pure Python). Nothing is downloaded. Stems are cached per
language because the Snowball stemmers cost tens of microseconds per word and news
vocabulary repeats a lot. The summariser's scoring uses the cheaper
:meth:`Language.tokens` (truncated words); stems serve :meth:`Language.terms`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as importlib_resources

import snowballstemmer

#: ISO 639-1 code -> Snowball algorithm name, for the stemmers snowballstemmer ships.
_SNOWBALL = {
    "fr": "french",
    "en": "english",
    "de": "german",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
}

#: A word: letters and digits (Unicode-aware), the same notion of word ROUGE's
#: Unicode tokenizer uses.
_WORD = re.compile(r"\w+")
# Typographic apostrophes and the letters they elide ("l’OTAN", "aujourd’hui") are
# normalised so the stop-word lists need one spelling.
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'"})
_APOSTROPHE_FORMS = ("’", "ʼ", "‘")
_STEM_CACHE_LIMIT = 200_000
#: Truncation length of :meth:`Language.prefixes` (5 letters conflates inflections
#: about as well as a stemmer for matching news texts).
PREFIX_LENGTH = 5
#: Truncation length of :meth:`Language.tokens`, the summariser's scoring tokens.
TOKEN_LENGTH = 6


def _read_list(name: str) -> frozenset[str]:
    """A word list from ``resources/``: one entry per line, ``#`` comments."""
    path = importlib_resources.files("digest.editorial.summarize").joinpath("resources", name)
    if not path.is_file():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


@dataclass
class Language:
    """What the summariser knows about one language."""

    code: str
    stopwords: frozenset[str]
    abbreviations: frozenset[str]  # lowercase, without the final period
    _stemmer: object | None = field(default=None, repr=False)
    _stems: dict[str, str] = field(default_factory=dict, repr=False)

    def stem(self, word: str) -> str:
        """The Snowball stem of a lowercase ``word`` (the word itself without a stemmer)."""
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stemmer.stemWord(word) if self._stemmer is not None else word  # type: ignore[attr-defined]
            if len(self._stems) >= _STEM_CACHE_LIMIT:
                self._stems.clear()  # bounded memory in a long-running service
            self._stems[word] = stem
        return stem

    def words(self, text: str) -> list[str]:
        """Lowercase words of ``text``, apostrophes split ("l'otan" -> "l", "otan")."""
        # str.replace per apostrophe, not str.translate: a translate table with
        # non-ASCII keys walks the text in Python-level steps, several times slower
        # on the 500-candidate build where every body's lead goes through here.
        text = text.lower()
        for typographic in _APOSTROPHE_FORMS:
            if typographic in text:
                text = text.replace(typographic, "'")
        return _WORD.findall(text)

    def tokens(self, text: str) -> list[str]:
        """Every word of ``text``: stop-words as they are, other words cut to
        :data:`TOKEN_LENGTH` letters. The summariser scores with these: they conflate
        inflections about as well as Snowball stems for ROUGE-style overlap (measured
        on OrangeSum and CNN/DailyMail) at a fraction of the cost on a cold cache."""
        stop = self.stopwords
        return [w if w in stop else w[:TOKEN_LENGTH] for w in self.words(text)]

    def prefixes(self, text: str) -> list[str]:
        """Content words of ``text`` cut to :data:`PREFIX_LENGTH` letters: a stemmer-free
        normalisation ("gouvernement", "gouvernements", "gouverne" -> "gouve") cheap
        enough to fingerprint hundreds of articles before any Snowball cache is warm."""
        stop = self.stopwords
        return [w[:PREFIX_LENGTH] for w in self.words(text) if w not in stop and (len(w) > 1 or w.isdigit())]

    def terms(self, text: str) -> list[str]:
        """Stems of the content words of ``text``: no stop-words, no one-letter words."""
        stop = self.stopwords
        stem = self.stem
        return [stem(w) for w in self.words(text) if w not in stop and (len(w) > 1 or w.isdigit())]


@cache
def language(code: str) -> Language:
    """Resources for ``code`` ("fr", "en", ...); unknown languages get no stop-words."""
    code = (code or "").lower()[:2]
    name = _SNOWBALL.get(code)
    stemmer = snowballstemmer.stemmer(name) if name else None
    stopwords = frozenset(w.translate(_APOSTROPHES) for w in _read_list(f"stopwords_{code}.txt"))
    abbreviations = frozenset(a.lower() for a in _read_list(f"abbreviations_{code}.txt"))
    return Language(code, stopwords, abbreviations, stemmer)
