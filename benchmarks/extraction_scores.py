"""The two scores of ``extraction.py``: trafilatura's snippet metric and a token-level F1.

- Snippets (trafilatura's evaluation): a page has snippets its annotators marked as
  article text (``with``) or as text around it (``without``). A ``with`` snippet found
  in the extracted text is a true positive, missed a false negative; a ``without``
  snippet found is a false positive. Counted over all snippets of all pages, after
  whitespace is normalised.
- Tokens (as article-extraction benchmarks score a page against its whole gold text):
  the extracted text and the gold text as bags of lower-cased word tokens (a Chinese or
  Japanese character is one token); precision is
  the share of extracted tokens that are in the gold (counted with multiplicity),
  recall the share of gold tokens extracted. Averaged over pages, so a long page does
  not outweigh the others; a page with no text extracted scores 0.

No digest import: the scorer is a plain function of two texts, so the test suite checks it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

_SPACE = re.compile(r"\s+")
# Chinese and Japanese are written without spaces: each of their characters is a token
# (a run of them would otherwise be one "word" as long as a sentence).
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+", re.UNICODE)


def norm(text: str) -> str:
    """Whitespace collapsed, so a line break never costs a snippet match."""
    return _SPACE.sub(" ", text).strip()


def snippet_counts(text: str, with_: Sequence[str], without: Sequence[str]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of one page's snippets in ``text``."""
    found = norm(text)
    tp = sum(1 for s in with_ if norm(s) in found)
    fp = sum(1 for s in without if norm(s) in found)
    return tp, fp, len(with_) - tp


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """(precision, recall, F1) from counts."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def tokens(text: str) -> Counter[str]:
    """``text`` as a bag of lower-cased word tokens."""
    return Counter(m.group().casefold() for m in _TOKEN.finditer(text))


def token_scores(extracted: str, gold: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of ``extracted`` against ``gold``, token by token."""
    got, want = tokens(extracted), tokens(gold)
    common = sum((got & want).values())
    return prf(common, sum(got.values()) - common, sum(want.values()) - common)


def mean_scores(per_page: Iterable[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision, recall and F1 averaged over pages."""
    rows = list(per_page)
    if not rows:
        return 0.0, 0.0, 0.0
    return tuple(sum(r[i] for r in rows) / len(rows) for i in range(3))  # type: ignore[return-value]
