"""Article text extraction: digest against trafilatura alone, on real pages.

    .venv/bin/python benchmarks/extraction.py [--data FILE] [--show N] [--only digest|trafilatura]

The development set (``data/extraction/pages.jsonl.xz``, rebuilt by
``extraction_data.py``) is 160 real news-like pages, one per site, from trafilatura's own
evaluation set, each with snippets its authors marked as article text (``with``) or as
text around it (``without``). The score is theirs: a ``with`` snippet found in the
extracted text is a true positive, missed a false negative; a ``without`` snippet found
is a false positive. Precision, recall and F1 are over all snippets of all pages, after
whitespace is normalised.

- digest: :func:`digest.ingest.page.extract_page` (the stored body);
- trafilatura: ``trafilatura.extract(html, url=url)`` with its defaults.

``--show N`` prints the N pages where digest does worst, with the snippets it missed or
let through, for development.
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from digest.errors import SourceError  # noqa: E402
from digest.ingest.page import extract_page  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "extraction" / "pages.jsonl.xz"


def pages(path: Path) -> Iterator[dict[str, Any]]:
    """The development pages, one dict per page."""
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def norm(text: str) -> str:
    """Whitespace collapsed, so a line break never costs a match."""
    return re.sub(r"\s+", " ", text).strip()


REJECTED: list[str] = []


def digest_text(page: dict[str, Any]) -> str:
    """What digest stores as the body ("" when it rejects the page)."""
    try:
        return extract_page(page["html"].encode("utf-8"), page["file"], url=page["url"]).body
    except SourceError as exc:
        REJECTED.append(str(exc))
        return ""


def trafilatura_text(page: dict[str, Any]) -> str:
    """trafilatura alone, default settings."""
    return trafilatura.extract(page["html"], url=page["url"]) or ""


def counts(page: dict[str, Any], text: str) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of one page."""
    found = norm(text)
    tp = sum(1 for s in page["with"] if norm(s) in found)
    fp = sum(1 for s in page["without"] if norm(s) in found)
    return tp, fp, len(page["with"]) - tp


def scores(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """(precision, recall, F1)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    """Print P/R/F1 for each extractor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--only", choices=("digest", "trafilatura"))
    args = parser.parse_args()
    data = list(pages(args.data))
    runners: dict[str, Callable[[dict[str, Any]], str]] = {"digest": digest_text, "trafilatura": trafilatura_text}
    if args.only:
        runners = {args.only: runners[args.only]}
    print(f"{len(data)} pages, {sum(len(p['with']) + len(p['without']) for p in data)} snippets")
    print(f"{'extractor':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'ms/page':>8}")
    worst: list[tuple[int, dict[str, Any], str]] = []
    for name, run in runners.items():
        tp = fp = fn = 0
        started = time.perf_counter()
        for page in data:
            text = run(page)
            a, b, c = counts(page, text)
            tp, fp, fn = tp + a, fp + b, fn + c
            if name == "digest" and b + c:
                worst.append((b + c, page, text))
        ms = (time.perf_counter() - started) * 1000 / len(data)
        p, r, f = scores(tp, fp, fn)
        print(f"{name:<12} {p:>9.3f} {r:>7.3f} {f:>6.3f} {ms:>8.0f}")
    if "digest" in runners:
        print(f"digest rejected {len(REJECTED)} of {len(data)} pages" + "".join(f"\n  {r}" for r in REJECTED))
    worst.sort(key=lambda w: -w[0])
    for _, page, text in worst[: args.show]:
        found = norm(text)
        print(f"\n== {page['url']} ({page['file']}), {len(text.split())} words")
        for s in page["with"]:
            if norm(s) not in found:
                print(f"  missed: {s[:120]}")
        for s in page["without"]:
            if norm(s) in found:
                print(f"  kept:   {s[:120]}")


if __name__ == "__main__":
    main()
