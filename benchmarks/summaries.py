"""Score digest's summariser on a summarisation set with ROUGE-1/2/L, beside Lead-k.

    .venv/bin/python benchmarks/summaries.py [--data DIR] [--language fr] [--limit N]

DIR holds ``source_documents.txt`` and ``gold.txt``, one document per line (the
OrangeSum layout); the default is ../shared/bench/orangesum next to the repository.
Scores are ROUGE F1 x 100 with rouge-score's default tokenizer (no stemming, as the
OrangeSum paper used; it drops every non-ASCII letter) and again with a Unicode
tokenizer (``re.findall(r"\\w+", text.lower())``). Lead-1/2/3 take the first
sentences of the same cleaned sentence list the summariser sees, in the same run.
The time is the summariser's alone (no scoring), one process, one core.

The summariser's weights were tuned on the first 500 lines of the OrangeSum test
file, so the last table repeats the comparison on the lines after those.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rouge_score import rouge_scorer  # noqa: E402

from digest.summarize import article_sentences, summarize  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "orangesum"
TUNING_LINES = 500
METRICS = ("rouge1", "rouge2", "rougeL")


class UnicodeTokenizer:
    """Words as Unicode sees them, so accented letters count ("été" stays "été")."""

    def tokenize(self, text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())


def read_lines(path: Path) -> list[str]:
    """One document per line; a missing file is a clear error."""
    if not path.is_file():
        raise SystemExit(f"error: {path} not found (expected source_documents.txt and gold.txt in --data)")
    return path.read_text(encoding="utf-8").splitlines()


def rouge(scorer: rouge_scorer.RougeScorer, golds: Sequence[str], outputs: Sequence[str]) -> tuple[float, ...]:
    """Mean F1 x 100 of each metric."""
    scores = [scorer.score(g, o) for g, o in zip(golds, outputs, strict=True)]
    return tuple(100 * statistics.fmean(s[m].fmeasure for s in scores) for m in METRICS)


def table(rows: dict[str, list[str]], golds: Sequence[str], scorers: dict[str, rouge_scorer.RougeScorer]) -> None:
    """Print one line per system: R1/R2/RL for each tokenizer."""
    head = "  ".join(f"{name:^22}" for name in scorers)
    print(f"{'system':<10}  {head}")
    print(f"{'':<10}  " + "  ".join(f"{'R1 / R2 / RL':^22}" for _ in scorers))
    for system, outputs in rows.items():
        cells = []
        for scorer in scorers.values():
            r1, r2, rl = rouge(scorer, golds, outputs)
            cells.append(f"{r1:6.2f} / {r2:5.2f} / {rl:5.2f}")
        print(f"{system:<10}  " + "  ".join(f"{c:^22}" for c in cells))


def timed(fn: Callable[[str], str], docs: Sequence[str]) -> tuple[list[str], list[float]]:
    """Outputs of ``fn`` and the seconds each call took."""
    outputs, seconds = [], []
    for doc in docs:
        t0 = time.perf_counter()
        outputs.append(fn(doc))
        seconds.append(time.perf_counter() - t0)
    return outputs, seconds


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with source_documents.txt, gold.txt")
    parser.add_argument("--language", default="fr", help="language of the documents (fr, en, ...)")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N documents")
    args = parser.parse_args(argv)

    docs = read_lines(args.data / "source_documents.txt")
    golds = read_lines(args.data / "gold.txt")
    if len(docs) != len(golds):
        raise SystemExit(f"error: {len(docs)} documents but {len(golds)} gold summaries in {args.data}")
    if args.limit:
        docs, golds = docs[: args.limit], golds[: args.limit]

    def ours(doc: str) -> str:
        return summarize(doc, language=args.language).text

    outputs, seconds = timed(ours, docs)
    sentences = [[s.text for s in article_sentences(d, args.language)] for d in docs]
    rows = {f"Lead-{k}": [" ".join(s[:k]) for s in sentences] for k in (1, 2, 3)}
    rows["digest"] = outputs

    scorers = {
        "default tokenizer": rouge_scorer.RougeScorer(list(METRICS)),
        "Unicode tokenizer": rouge_scorer.RougeScorer(list(METRICS), tokenizer=UnicodeTokenizer()),
    }
    print(f"{args.data} ({args.language}): {len(docs)} documents; ROUGE F1 x 100")
    table(rows, golds, scorers)
    default = scorers["default tokenizer"]
    ours_r1 = rouge(default, golds, outputs)[0]
    lead2_r1 = rouge(default, golds, rows["Lead-2"])[0]
    print(f"digest - Lead-2, ROUGE-1 (default tokenizer): {ours_r1 - lead2_r1:+.2f}")
    words = [len(o.split()) for o in outputs]
    print(
        f"summary length: {statistics.fmean(words):.1f} words on average (gold: "
        f"{statistics.fmean(len(g.split()) for g in golds):.1f})"
    )
    ms = [s * 1000 for s in seconds]
    print(
        f"time per article: {statistics.fmean(ms):.2f} ms mean, {statistics.median(ms):.2f} ms median, "
        f"{sorted(ms)[int(len(ms) * 0.99) - 1]:.2f} ms p99 (summariser only, one core)"
    )

    if len(docs) > TUNING_LINES and args.data.resolve() == DEFAULT_DATA.resolve():
        held = slice(TUNING_LINES, None)
        print(f"\nLines {TUNING_LINES + 1}-{len(docs)} only (not used for tuning):")
        table({k: v[held] for k, v in rows.items() if k in ("Lead-2", "digest")}, golds[held], scorers)


if __name__ == "__main__":
    main()
