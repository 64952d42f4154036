"""Article text extraction: digest against trafilatura alone, on real pages, two scores.

    .venv/bin/python benchmarks/extraction.py [--sets dev,heldout] [--show N] [--only digest|trafilatura]

Four sets of real pages in ``data/extraction/`` (rebuilt by ``extraction_data.py``; its
docstring and ``data/extraction/README.md`` say where they come from):

- ``dev`` snippets: 160 news-like pages, one per site, of trafilatura's evaluation set,
  scored with its snippet metric; ``heldout`` snippets: the 202 later sites of that set;
- ``dev`` / ``heldout`` tokens: Mozilla Readability's real article test pages (split by a
  hash of their name), scored by a token-level F1 against their whole article text.

The scores are in ``extraction_scores.py``. digest's rules are developed on ``dev``;
``heldout`` checks that a change generalises (no site is in both).

- digest: :func:`digest.ingest.page.extract_page` (the stored body);
- trafilatura: ``trafilatura.extract(html, url=url)`` with its defaults.

``--show N`` prints the N pages of the chosen sets where digest does worst (snippets it
missed or let through; tokens' F1), for development.
"""

from __future__ import annotations

import argparse
import json
import lzma
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import trafilatura  # noqa: E402
from extraction_scores import mean_scores, norm, prf, snippet_counts, token_scores  # noqa: E402

from digest.errors import SourceError  # noqa: E402
from digest.ingest.page import extract_page  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "extraction"
SNIPPETS = {"dev": DATA / "pages.jsonl.xz", "heldout": DATA / "heldout.jsonl.xz"}
TOKENS = DATA / "tokens.jsonl.xz"


def pages(path: Path) -> Iterator[dict[str, Any]]:
    """The pages of one set file, one dict per page."""
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


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


Runner = Callable[[dict[str, Any]], str]


def score_snippets(data: list[dict[str, Any]], run: Runner, worst: list[tuple[float, str]] | None) -> tuple[float, ...]:
    """(P, R, F1, ms per page) of ``run`` on snippet pages; the pages it got wrong into ``worst``."""
    tp = fp = fn = 0
    started = time.perf_counter()
    for page in data:
        text = run(page)
        a, b, c = snippet_counts(text, page["with"], page["without"])
        tp, fp, fn = tp + a, fp + b, fn + c
        if worst is not None and b + c:
            found = norm(text)
            lines = [f"== {page['url']} ({page['file']}), {len(text.split())} words"]
            lines += [f"  missed: {s[:120]}" for s in page["with"] if norm(s) not in found]
            lines += [f"  kept:   {s[:120]}" for s in page["without"] if norm(s) in found]
            worst.append((-(b + c), "\n".join(lines)))
    ms = (time.perf_counter() - started) * 1000 / max(1, len(data))
    return (*prf(tp, fp, fn), ms)


def score_tokens(data: list[dict[str, Any]], run: Runner, worst: list[tuple[float, str]] | None) -> tuple[float, ...]:
    """(P, R, F1, ms per page) of ``run`` on pages with gold text, averaged over pages."""
    rows = []
    started = time.perf_counter()
    for page in data:
        row = token_scores(run(page), page["gold"])
        rows.append(row)
        if worst is not None and row[2] < 0.95:
            worst.append((row[2] - 1, f"== {page['url']} ({page['file']}): P {row[0]:.3f} R {row[1]:.3f}"))
    ms = (time.perf_counter() - started) * 1000 / max(1, len(data))
    return (*mean_scores(rows), ms)


def main() -> None:
    """Print P/R/F1 for each set, metric and extractor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="dev,heldout", help="dev, heldout or both (comma-separated)")
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--only", choices=("digest", "trafilatura"))
    args = parser.parse_args()
    runners: dict[str, Runner] = {"digest": digest_text, "trafilatura": trafilatura_text}
    if args.only:
        runners = {args.only: runners[args.only]}
    token_pages = list(pages(TOKENS))
    print(f"{'set':<8} {'metric':<8} {'pages':>5} {'extractor':<12} {'precision':>9} {'recall':>7}", end="")
    print(f" {'F1':>6} {'ms/page':>8}")
    worst: list[tuple[float, str]] = []
    for name in args.sets.split(","):
        snippet_data = list(pages(SNIPPETS[name]))
        token_data = [p for p in token_pages if p["split"] == name]
        for metric, data, score in (
            ("snippet", snippet_data, score_snippets),
            ("token", token_data, score_tokens),
        ):
            for who, run in runners.items():
                p, r, f, ms = score(data, run, worst if who == "digest" else None)
                print(f"{name:<8} {metric:<8} {len(data):>5} {who:<12} {p:>9.3f} {r:>7.3f} {f:>6.3f} {ms:>8.0f}")
    if "digest" in runners:
        print(f"digest rejected {len(REJECTED)} pages" + "".join(f"\n  {r}" for r in REJECTED))
    for _, lines in sorted(worst)[: args.show]:
        print("\n" + lines)


if __name__ == "__main__":
    main()
