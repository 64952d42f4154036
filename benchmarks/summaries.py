"""Score the summaries the product sends (the edition's ``top`` style) with ROUGE-1/2/L.

    .venv/bin/python benchmarks/summaries.py [--data DIR] [--language fr|en] [--style top|brief]
        [--titles FILE | --no-titles] [--skip N] [--limit N]

DIR holds ``source_documents.txt`` and ``gold.txt`` (or the same names ending in
``.xz``), one document per line; the default is ../shared/bench/orangesum (French)
or ../shared/bench/cnndm-dev (English) next to the repository;
benchmarks/data/orangesum-valid is the French development split. Each document goes
through :func:`digest.editorial.summarize.summarize_story` with the style's settings, exactly as
``digest summarize --style`` and the edition call it, and with the article's headline
as the edition passes it, where the data has headlines: ``titles.txt`` in DIR, or
``--titles FILE`` (benchmarks/data/orangesum-test/titles.txt.xz for the OrangeSum test
split by default). Then a second row scores the same summariser without headlines.

Scores are ROUGE F1 x 100 with rouge-score's default tokenizer, no stemming (as the
OrangeSum paper used; it drops every non-ASCII letter). Lead-k is the first k
sentences of the raw text as a plain regex splitter finds them (furniture
included, as the data sets' READMEs report it), and "Lead-k clean" the first k of
the sentences the summariser sees (furniture removed), in the same run; the target
compares with Lead-2 in French and Lead-3 in English. "Lead, same length" is the
article's first words (of the clean sentences) cut to the word count of each digest
summary of that article: the baseline a summary must beat to be worth more than the
article's own opening, shown for both languages. Beside ROUGE: the share of
summaries that open on a sentence leaning on one before it, the summaries with page
furniture (markers listed in :data:`FURNITURE`, independent of the summariser's own
list), the summaries that end inside a quotation, and the summariser's median time
per article (one process, one core, no scoring), as wall-clock and as CPU time (on
a machine shared with other work, wall-clock time also counts the waiting).
"""

from __future__ import annotations

import argparse
import lzma
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rouge_score import rouge_scorer  # noqa: E402

from digest.editorial.summarize import STYLES, article_sentences, summarize_story  # noqa: E402
from digest.editorial.summarize.anaphora import leans_back  # noqa: E402
from digest.editorial.summarize.quotes import open_quotes  # noqa: E402

SHARED = ROOT.parent / "shared" / "bench"
DEFAULT_DATA = {"fr": SHARED / "orangesum", "en": SHARED / "cnndm-dev"}
#: Headlines for a data folder that has none of its own (kept in the repository).
TITLES = {SHARED / "orangesum": ROOT / "benchmarks" / "data" / "orangesum-test" / "titles.txt.xz"}
BASELINE = {"fr": 2, "en": 3}  # the Lead-k each language's target is set against
METRICS = ("rouge1", "rouge2", "rougeL")
# A sentence end as the data sets' Lead-k figures find it.
_PLAIN_SPLIT = re.compile(r"(?<=[.!?])\s+")

#: Page furniture a reader must never see in a summary, French and English: bylines
#: and datelines, video prompts, captions, credits, "read more" boxes, glued ALL-CAPS
#: subheadings. Checked here independently of digest.text.boilerplate.
FURNITURE = re.compile(
    r"\bPUBLISHED:|\bUPDATED:|Last updated at|\bBy \.\s|Daily Mail Reporter|\bfor MailOnline \.|\(CNN\)"
    r"|Scroll down|Click here|Follow @|\((?:pictured|left|right|centre|center|above|below|file photo)\)"
    r"|\bGetty Images\b|©|\bPhoto ?:|Lire aussi|Temps de lecture|Read more|Also read|Publicité|Advertisement"
    r"|par euronews \("
    r"|\s\.\s+[a-z]|\((?:L|R)\)|\bpictured\b|contributed to this report|accepting comments"
    r"|[a-zé]par [A-Z]"
    r"|[.!?»][A-ZÀ-Ý]{2,}(?: [A-ZÀ-Ý'’]{2,})+[A-ZÀ-Ý][a-zà-ÿ]",
)


def read_lines(path: Path) -> list[str]:
    """One document per line, from ``path`` or ``path.xz``; a missing file is a clear error."""
    for candidate in (path, path.with_name(path.name + ".xz")):
        if candidate.is_file():
            raw = candidate.read_bytes()
            return (lzma.decompress(raw) if candidate.suffix == ".xz" else raw).decode("utf-8").splitlines()
    raise SystemExit(f"error: {path} not found (expected source_documents.txt and gold.txt in --data)")


def titles_file(data: Path, given: Path | None) -> Path | None:
    """Where the headlines of ``data`` are: ``given``, DIR/titles.txt(.xz), or :data:`TITLES`."""
    if given is not None:
        return given
    for name in ("titles.txt", "titles.txt.xz"):
        if (data / name).is_file():
            return data / name
    known = TITLES.get(data.resolve())
    return known if known is not None and known.is_file() else None


def rouge(scorer: rouge_scorer.RougeScorer, golds: Sequence[str], outputs: Sequence[str]) -> tuple[float, ...]:
    """Mean F1 x 100 of each metric."""
    scores = [scorer.score(g, o) for g, o in zip(golds, outputs, strict=True)]
    return tuple(100 * statistics.fmean(s[m].fmeasure for s in scores) for m in METRICS)


def first_sentence(summary: str, language: str) -> str:
    """The summary's first sentence, as the summariser splits it."""
    sentences = article_sentences(summary, language)
    return sentences[0].text if sentences else summary


def length_matched(sentences: Sequence[str], summary: str) -> str:
    """The article's first words (its clean sentences, in order) cut to as many words as ``summary``:
    the baseline a summary must beat to be worth more than the article's own opening."""
    n = len(summary.split())
    return " ".join(" ".join(sentences).split()[:n])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="folder with source_documents.txt, gold.txt")
    parser.add_argument("--language", default="fr", choices=sorted(DEFAULT_DATA), help="language of the documents")
    parser.add_argument("--style", default="top", choices=sorted(STYLES), help="summary style (the edition's)")
    parser.add_argument("--titles", type=Path, default=None, help="headlines, one per line (default: see above)")
    parser.add_argument("--no-titles", action="store_true", help="score without headlines only")
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N documents")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N documents (after --skip)")
    args = parser.parse_args(argv)
    data: Path = args.data or DEFAULT_DATA[args.language]
    style = STYLES[args.style]

    docs = read_lines(data / "source_documents.txt")
    golds = read_lines(data / "gold.txt")
    if len(docs) != len(golds):
        raise SystemExit(f"error: {len(docs)} documents but {len(golds)} gold summaries in {data}")
    titles_path = None if args.no_titles else titles_file(data, args.titles)
    titles = read_lines(titles_path) if titles_path is not None else [""] * len(docs)
    if len(titles) != len(docs):
        raise SystemExit(f"error: {len(docs)} documents but {len(titles)} headlines in {titles_path}")
    # --skip sets a part of the data apart (e.g. documents once used to tune the scorer).
    docs, golds, titles = docs[args.skip :], golds[args.skip :], titles[args.skip :]
    if args.limit:
        docs, golds, titles = docs[: args.limit], golds[: args.limit], titles[: args.limit]

    outputs: list[str] = []
    ms: list[float] = []
    cpu_ms: list[float] = []
    for doc, title in zip(docs, titles, strict=True):
        t0, c0 = time.perf_counter(), time.process_time()
        outputs.append(summarize_story(doc, language=args.language, style=style, title=title).text)
        cpu_ms.append((time.process_time() - c0) * 1000)
        ms.append((time.perf_counter() - t0) * 1000)

    k = BASELINE[args.language]
    plain = [[s for s in _PLAIN_SPLIT.split(d.strip()) if s] for d in docs]
    clean = [[s.text for s in article_sentences(d, args.language)] for d in docs]
    rows = {
        f"Lead-{k}": [" ".join(s[:k]) for s in plain],
        f"Lead-{k} clean": [" ".join(s[:k]) for s in clean],
        "Lead, same length": [length_matched(s, o) for s, o in zip(clean, outputs, strict=True)],
        f"digest {args.style}": outputs,
    }
    if titles_path is not None:
        rows[f"digest {args.style}, no headline"] = [
            summarize_story(d, language=args.language, style=style).text for d in docs
        ]
    scorer = rouge_scorer.RougeScorer(list(METRICS))
    scores = {name: rouge(scorer, golds, out) for name, out in rows.items()}

    n = len(docs)
    first = args.skip + 1
    print(
        f"{data} ({args.language}), style {args.style!r}: {n} documents ({first}-{args.skip + n});"
        " ROUGE F1 x 100, default tokenizer"
    )
    print(f"headlines: {titles_path}" if titles_path is not None else "headlines: none")
    print(
        f"{'system':<24} {'R1':>6} {'R2':>6} {'RL':>6}  {'words':>5} {'anaphoric':>9} {'furniture':>9} {'in quote':>8}"
    )
    for name, out in rows.items():
        r1, r2, rl = scores[name]
        nonempty = [o for o in out if o]
        words = statistics.fmean(len(o.split()) for o in nonempty) if nonempty else 0.0
        anaphoric = sum(1 for o in nonempty if leans_back(first_sentence(o, args.language), args.language))
        furniture = sum(1 for o in nonempty if FURNITURE.search(o))
        in_quote = sum(1 for o in nonempty if open_quotes(o))
        print(
            f"{name:<24} {r1:6.2f} {r2:6.2f} {rl:6.2f}  {words:5.1f} {100 * anaphoric / max(1, len(nonempty)):8.1f}%"
            f" {furniture:9d} {in_quote:8d}"
        )
    lead, lead_clean = scores[f"Lead-{k}"][0], scores[f"Lead-{k} clean"][0]
    matched = scores["Lead, same length"][0]
    for name in (n for n in rows if n.startswith("digest")):
        ours = scores[name][0]
        print(
            f"{name} - Lead-{k}, R1: {ours - lead:+.2f}; vs Lead-{k} clean: {ours - lead_clean:+.2f};"
            f" vs lead at the same length: {ours - matched:+.2f}"
        )
    print(f"empty summaries: {sum(1 for o in outputs if not o)} of {n}")
    print(
        f"time per article: {statistics.median(ms):.2f} ms median, {statistics.fmean(ms):.2f} ms mean, "
        f"{sorted(ms)[max(0, int(n * 0.99) - 1)]:.2f} ms p99 (summariser only, one core); "
        f"CPU time {statistics.median(cpu_ms):.2f} ms median (the figure to read on a shared machine)"
    )


if __name__ == "__main__":
    main()
