"""Language of an article: given by the source, or detected with langdetect.

langdetect's profiles ship inside its package, so nothing is downloaded. Its
detector samples at random; a private factory with a fixed seed makes the answer
the same on every run and machine. Codes are normalised to ISO 639-1 lower case
("fr-FR", "FR" -> "fr").
"""

from __future__ import annotations

import re
import threading

from babel import localedata
from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

_SEED = 0
_SAMPLE_CHARS = 3000  # plenty for a stable answer; longer texts only cost time
_MIN_LETTERS = 20  # below this, detection is a guess
_CODE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]{1,8})*$")

_factory: DetectorFactory | None = None
_lock = threading.Lock()


def normalize_language(value: str) -> str | None:
    """``value`` as a lower-case primary language code ("fr-FR" -> "fr"), or None when
    it is not a language Babel (CLDR) knows."""
    m = _CODE.match(value.strip())
    if not m:
        return None
    code = m.group(1).lower()
    return code if localedata.exists(code) else None


def _get_factory() -> DetectorFactory:
    global _factory
    with _lock:
        if _factory is None:
            factory = DetectorFactory()
            factory.load_profile(PROFILES_DIRECTORY)
            factory.set_seed(_SEED)
            _factory = factory
        return _factory


def detect_language(text: str) -> str | None:
    """The language ``text`` is written in, or None when there is too little to tell."""
    sample = text[:_SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < _MIN_LETTERS:
        return None
    detector = _get_factory().create()
    detector.append(sample)
    try:
        code = detector.detect()
    except LangDetectException:
        return None
    # langdetect answers "zh-cn" style codes for a few languages.
    return normalize_language(code)
