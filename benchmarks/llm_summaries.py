"""Rewritten briefs on a language model against the extractive baseline: ROUGE, length
and the guard's rejections, for anyone who has an OpenAI-compatible endpoint.

    .venv/bin/python benchmarks/llm_summaries.py ENDPOINT --model NAME [--data DIR]
        [--language fr|en] [--style top|brief|lead] [--limit N] [--api-key-env VAR]
        [--timeout S] [--concurrency N] [--max-input-words N] [--prompt-version V] [--why-it-matters]

ENDPOINT is the base URL up to /v1 (Ollama: http://127.0.0.1:11434/v1; llama.cpp's
server: http://127.0.0.1:8080/v1). DIR is a development set as benchmarks/summaries.py
reads it (benchmarks/data/orangesum-valid in French, the default; ../shared/bench/cnndm-dev
in English). Each document is summarised as the edition does (the style, the headline
where the data has one), the model rewrites the extract with the product's own prompt
and the guard judges it, exactly as ``[summarize] backend = "openai"`` does; nothing is
cached. Three rows: the extract; what readers would get (the rewrite where the guard
accepts it, else the extract); and every answer the model gave, accepted or not (for
reference: a refused answer is never sent). Then the guard's rejections by reason, the
calls that failed, and the median latency and tokens per call.

ROUGE F1 x 100 as in benchmarks/summaries.py (rouge-score, default tokenizer, no
stemming). Only the development sets: the test split is not for choosing anything.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from rouge_score import rouge_scorer  # noqa: E402
from summaries import read_lines, rouge, titles_file  # noqa: E402

from digest.editorial.rewrite import RewriteOptions, judge, rewrite_request  # noqa: E402
from digest.editorial.summarize import STYLES, summarize_article  # noqa: E402
from digest.language_model import Endpoint, rewrite_ahead  # noqa: E402
from digest.models import Article  # noqa: E402
from digest.words import word_count  # noqa: E402

DEVELOPMENT = {
    "fr": ROOT / "benchmarks" / "data" / "orangesum-valid",
    "en": ROOT.parent / "shared" / "bench" / "cnndm-dev",
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("endpoint", help="base URL up to /v1, e.g. http://127.0.0.1:11434/v1")
    parser.add_argument("--model", required=True, help="model name the endpoint serves")
    parser.add_argument("--data", type=Path, default=None, help="development set folder (see above)")
    parser.add_argument("--language", default="fr", choices=sorted(DEVELOPMENT))
    parser.add_argument("--style", default="top", choices=sorted(STYLES))
    parser.add_argument("--limit", type=int, default=100, help="documents to score (0: all)")
    parser.add_argument("--api-key-env", default="DIGEST_SUMMARIZE_API_KEY", help="variable holding the API key")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--max-input-words", type=int, default=1200)
    parser.add_argument("--prompt-version", default="v1")
    parser.add_argument("--why-it-matters", action="store_true")
    parser.add_argument("--deadline-minutes", type=float, default=240.0, help="stop calling after this long")
    args = parser.parse_args(argv)
    data: Path = args.data or DEVELOPMENT[args.language]
    if "orangesum" in data.name and "valid" not in data.name:
        raise SystemExit("error: only the development sets (orangesum-valid, cnndm-dev) are for this benchmark")
    style = STYLES[args.style]

    docs = read_lines(data / "source_documents.txt")
    golds = read_lines(data / "gold.txt")
    titles_path = titles_file(data, None)
    titles = read_lines(titles_path) if titles_path is not None else [""] * len(docs)
    if not len(docs) == len(golds) == len(titles):
        raise SystemExit(f"error: {len(docs)} documents, {len(golds)} gold summaries, {len(titles)} headlines")
    if args.limit:
        docs, golds, titles = docs[: args.limit], golds[: args.limit], titles[: args.limit]

    now = datetime.now(UTC)
    options = RewriteOptions(
        model=args.model,
        prompt_version=args.prompt_version,
        why_it_matters=args.why_it_matters,
        max_input_words=args.max_input_words,
    )
    articles = [
        Article(url=f"doc:{i}", title=t, body=d, published_at=now, language=args.language)
        for i, (d, t) in enumerate(zip(docs, titles, strict=True))
    ]
    extracts = [summarize_article(a, style) for a in articles]
    requests = [rewrite_request(a, style, options, e) for a, e in zip(articles, extracts, strict=True)]
    endpoint = Endpoint(args.endpoint, args.model, os.environ.get(args.api_key_env), args.timeout, 0.0)
    started = time.monotonic()
    answers, report = rewrite_ahead(
        None,
        endpoint,
        options,
        [r for r in requests if r is not None],
        now=now,
        deadline=time.monotonic() + args.deadline_minutes * 60,
        max_concurrency=args.concurrency,
    )
    took = time.monotonic() - started

    sent: list[str] = []
    raw: list[tuple[str, str]] = []  # (gold, answer) for every answer
    rejections: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for request, extract, gold in zip(requests, extracts, golds, strict=True):
        answer = answers.get(request.key) if request is not None else None
        if request is None or answer is None:
            sent.append(extract.text)
            failures[
                report.fallbacks.get(request.key, "no_answer") if request is not None else "nothing_to_rewrite"
            ] += 1
            continue
        verdict = judge(request, answer, options)
        raw.append((gold, answer.text))
        if verdict.accepted:
            sent.append(verdict.summary(args.language).text)
        else:
            rejections[verdict.reason] += 1
            sent.append(extract.text)

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"])
    n = len(docs)
    rows = [
        ("extract (digest today)", golds, [e.text for e in extracts]),
        ("sent: rewrite if accepted, else extract", golds, sent),
        (f"every answer ({len(raw)}), accepted or not", [g for g, _ in raw], [a for _, a in raw]),
    ]
    print(f"{data} · {args.language} · style {args.style} · {n} documents · model {args.model} · {took:.0f} s")
    print(f"{'system':<42} {'R1':>6} {'R2':>6} {'RL':>6} {'words':>6}")
    for name, gold_rows, outputs in rows:
        if not outputs:
            continue
        r1, r2, rl = rouge(scorer, gold_rows, outputs)
        words = statistics.fmean(word_count(o) for o in outputs)
        print(f"{name:<42} {r1:6.2f} {r2:6.2f} {rl:6.2f} {words:6.1f}")
    accepted = len(raw) - sum(rejections.values())
    print(f"accepted {accepted} of {n} ({100 * accepted / max(1, n):.0f}%)")
    print("guard rejections: " + (", ".join(f"{k} {v}" for k, v in rejections.most_common()) or "none"))
    print("no answer: " + (", ".join(f"{k} {v}" for k, v in failures.most_common()) or "none"))
    if report.seconds:
        print(
            f"calls {report.called}: median {statistics.median(report.seconds):.1f} s; tokens reported: "
            f"{report.prompt_tokens} prompt, {report.completion_tokens} completion"
        )


if __name__ == "__main__":
    main()
