"""Score the summariser's constants on a grid, on development data only.

    .venv/bin/python benchmarks/scorer_grid.py --language fr [--data DIR] [--jobs N]
        [--grid NAME=V1,V2,... ...]

Every point of the grid (the product of the ``--grid`` axes, over
:class:`digest.editorial.summarize.Weights` fields) summarises each document of DIR in the
``top`` style (:func:`digest.editorial.summarize.summarize_story`, as the edition does) with the
article's headline where DIR has ``titles.txt(.xz)``, and prints ROUGE-1 F1 x 100
over all documents and over each half (even and odd lines): a value worth choosing
is near the best on both halves, not only on all. DIR defaults to the language's
development split: benchmarks/data/orangesum-valid (French) or
../shared/bench/cnndm-dev (English). The OrangeSum test split is refused: nothing
is chosen on a test split.

The default grid is the one the French constants were chosen on (see
digest/editorial/summarize/scoring.py).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from collections.abc import Sequence
from dataclasses import fields, replace
from multiprocessing import Pool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from rouge_score import rouge_scorer  # noqa: E402
from summaries import SHARED, read_lines, titles_file  # noqa: E402

from digest.editorial.summarize import TOP, Weights, summarize_story, weights_for  # noqa: E402

DEV_DATA = {"fr": ROOT / "benchmarks" / "data" / "orangesum-valid", "en": SHARED / "cnndm-dev"}
TEST_SPLITS = (SHARED / "orangesum",)
DEFAULT_GRID = ("position_decay=5,6,8,10,12", "stopword_weight=0.2,0.3", "title_weight=1,2,3,4")

_job: tuple[str, list[str], list[str], list[str]] = ("", [], [], [])


def _init(language: str, docs: list[str], golds: list[str], titles: list[str]) -> None:
    global _job
    _job = (language, docs, golds, titles)


def _score(weights: Weights) -> list[float]:
    """ROUGE-1 F1 of each document's ``top`` summary with ``weights``."""
    language, docs, golds, titles = _job
    scorer = rouge_scorer.RougeScorer(["rouge1"])
    out = []
    for doc, gold, title in zip(docs, golds, titles, strict=True):
        summary = summarize_story(doc, language=language, style=TOP, title=title, weights=weights)
        out.append(scorer.score(gold, summary.text)["rouge1"].fmeasure)
    return out


def parse_axis(spec: str) -> tuple[str, list[float]]:
    """``NAME=V1,V2`` -> (NAME, [V1, V2]), NAME a :class:`Weights` field."""
    name, _, values = spec.partition("=")
    known = {f.name for f in fields(Weights)}
    if name not in known or not values:
        raise SystemExit(f"error: --grid {spec!r}: expected NAME=V1,V2,... with NAME one of {sorted(known)}")
    try:
        return name, [float(v) for v in values.split(",")]
    except ValueError:
        raise SystemExit(f"error: --grid {spec!r}: the values must be numbers") from None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--language", default="fr", choices=sorted(DEV_DATA))
    parser.add_argument("--data", type=Path, default=None, help="development pairs (default: see above)")
    parser.add_argument("--grid", nargs="*", default=list(DEFAULT_GRID), help="axes NAME=V1,V2,...")
    parser.add_argument("--jobs", type=int, default=2, help="processes")
    args = parser.parse_args(argv)
    data: Path = args.data or DEV_DATA[args.language]
    if data.resolve() in {t.resolve() for t in TEST_SPLITS}:
        raise SystemExit(f"error: {data} is a test split; choose constants on development data")
    docs = read_lines(data / "source_documents.txt")
    golds = read_lines(data / "gold.txt")
    titles_path = titles_file(data, None)
    titles = read_lines(titles_path) if titles_path is not None else [""] * len(docs)
    axes = [parse_axis(spec) for spec in args.grid]
    base = weights_for(args.language)
    names = [name for name, _ in axes]
    # Any: the fields are floats but expected_words, an int a float stands for here.
    settings: list[dict[str, Any]] = [
        dict(zip(names, values, strict=True)) for values in itertools.product(*(v for _, v in axes))
    ]
    points = [replace(base, **setting) for setting in settings]
    print(f"{data} ({args.language}): {len(docs)} documents, headlines: {titles_path or 'none'}; ROUGE-1 F1 x 100")
    with Pool(args.jobs, initializer=_init, initargs=(args.language, docs, golds, titles)) as pool:
        for weights, per in zip(points, pool.imap(_score, points), strict=True):
            setting = " ".join(f"{name}={getattr(weights, name):g}" for name, _ in axes)
            mark = "  <- current" if weights == base else ""
            print(
                f"{setting:<60} all {100 * statistics.fmean(per):6.2f}  even {100 * statistics.fmean(per[0::2]):6.2f}"
                f"  odd {100 * statistics.fmean(per[1::2]):6.2f}{mark}",
                flush=True,
            )


if __name__ == "__main__":
    main()
