"""Rebuild benchmarks/data/ from a clone of the public OrangeSum repository.

    git clone https://github.com/Tixierae/OrangeSum            # commit e6f8a6e3b710
    .venv/bin/python benchmarks/orangesum_data.py --clone OrangeSum [--test-docs DIR]

Writes, for the Abstract task's splits (``splits_heading_as_summary/``):

- ``data/orangesum-valid/{source_documents,gold,titles}.txt.xz``: the 1,500-pair
  *validation* split, one article, abstract ("heading") and headline per line, in the
  split file's order. The French scorer's constants are chosen on it; the test split
  is never used to choose anything.
- ``data/orangesum-test/titles.txt.xz``: the headline of each *test* article, in the
  order of ../shared/bench/orangesum (the product always summarises an article with
  its headline, so the benchmark passes it too).

With ``--test-docs`` (default ../shared/bench/orangesum when present) it first checks
that the clone's test split is that folder's ``source_documents.txt``, line for line,
and that no validation article is a test article. The clone may be a bare mirror: the
files are read with ``git cat-file`` from its HEAD.
"""

from __future__ import annotations

import argparse
import json
import lzma
import subprocess
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED_TEST = ROOT.parent / "shared" / "bench" / "orangesum"
SPLITS = "splits_heading_as_summary"


def _show(clone: Path, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(clone), "show", f"HEAD:{path}"], capture_output=True, check=True).stdout


def read_split(clone: Path, split: str) -> list[dict[str, str]]:
    """The parsed documents of ``split`` ("train", "valid", "test"), in the split file's order."""
    ids = _show(clone, f"{SPLITS}/{split}.txt").decode().split()
    request = "".join(f"HEAD:data/docs/parsed/{i}\n" for i in ids).encode()
    batch = ["git", "-C", str(clone), "cat-file", "--batch"]
    out = subprocess.run(batch, input=request, capture_output=True, check=True)
    docs: list[dict[str, str]] = []
    blob, pos = out.stdout, 0
    while pos < len(blob):
        header_end = blob.index(b"\n", pos)
        header = blob[pos:header_end].split()
        if len(header) < 3:
            raise SystemExit(f"error: {clone}: {header!r} (a document of the {split} split is missing)")
        size = int(header[2])
        docs.append(json.loads(blob[header_end + 1 : header_end + 1 + size]))
        pos = header_end + 1 + size + 1
    if len(docs) != len(ids):
        raise SystemExit(f"error: {clone}: {len(ids)} ids in {split}.txt but {len(docs)} documents")
    return docs


def _line(text: str) -> str:
    return " ".join(text.split("\n")).strip()


def write_lines(path: Path, lines: Sequence[str]) -> None:
    """``lines``, one per line, xz-compressed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(lzma.compress(("\n".join(lines) + "\n").encode("utf-8"), preset=9))
    print(f"{path.relative_to(ROOT)}: {len(lines)} lines, {path.stat().st_size:,} bytes")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--clone", type=Path, required=True, help="a clone of github.com/Tixierae/OrangeSum")
    parser.add_argument("--test-docs", type=Path, default=SHARED_TEST, help="the test split's folder to check against")
    args = parser.parse_args(argv)

    test = read_split(args.clone, "test")
    valid = read_split(args.clone, "valid")
    test_docs = args.test_docs / "source_documents.txt"
    if test_docs.is_file():
        shared = test_docs.read_text(encoding="utf-8").splitlines()
        if [_line(d["article"]) for d in test] != [line.strip() for line in shared]:
            raise SystemExit(f"error: the clone's test split is not {test_docs}, line for line")
        print(f"checked: the clone's test split is {test_docs}, line for line")
    overlap = {_line(d["article"]) for d in test} & {_line(d["article"]) for d in valid}
    if overlap:
        raise SystemExit(f"error: {len(overlap)} validation articles are also test articles")

    write_lines(DATA / "orangesum-valid" / "source_documents.txt.xz", [_line(d["article"]) for d in valid])
    write_lines(DATA / "orangesum-valid" / "gold.txt.xz", [_line(d["heading"]) for d in valid])
    write_lines(DATA / "orangesum-valid" / "titles.txt.xz", [_line(d["title"]) for d in valid])
    write_lines(DATA / "orangesum-test" / "titles.txt.xz", [_line(d["title"]) for d in test])


if __name__ == "__main__":
    main()
