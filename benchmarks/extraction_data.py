"""Rebuild ``data/extraction/pages.jsonl.xz`` from a clone of trafilatura's repository.

    .venv/bin/python benchmarks/extraction_data.py PATH/TO/trafilatura [--pages 160]

Takes the news-like pages (a date in the URL path, or a news site) of trafilatura's own
evaluation set (``tests/evaldata.json`` with the pages in ``tests/eval/`` and
``tests/cache/``), one page per site, sorted by URL, the first ``--pages``. Each page keeps
its HTML without ``<style>``, ``<svg>`` and non-JSON-LD ``<script>`` blocks (neither
extractor reads them; they are most of the bytes), with the snippets trafilatura's
authors wrote for it: ``with`` (text of the article) and ``without`` (text around it).
Only the pages and those snippets are copied, never trafilatura's code.
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "extraction" / "pages.jsonl.xz"
_NEWS = re.compile(
    r"/(?:19|20)\d\d/|news|artikel|article|zeitung|guardian|bbc|nytimes|spiegel|zeit\.de|lemonde|lefigaro"
    r"|liberation|cnn|reuters|washingtonpost|telegraph|independent|faz\.net|sueddeutsche|welt\.de|tagesschau"
    r"|heise|golem|politico|vox\.com|wired|theverge|slate|theatlantic|npr\.org|bloomberg|huffingtonpost|latimes",
    re.I,
)
_DROP = re.compile(
    rb"<script(?![^>]*application/ld\+json)[^>]*>.*?</script\s*>|<style[^>]*>.*?</style\s*>|<svg[^>]*>.*?</svg\s*>"
    rb"|<!--.*?-->",
    re.I | re.S,
)


def main() -> None:
    """Write the development set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--pages", type=int, default=160)
    args = parser.parse_args()
    tests = args.repo / "tests"
    data = json.loads((tests / "evaldata.json").read_text(encoding="utf-8"))
    seen_hosts: set[str] = set()
    rows = []
    for url in sorted(data):
        entry = data[url]
        host = re.sub(r"^www\.", "", url.split("/")[2]) if url.count("/") >= 2 else url
        if not _NEWS.search(url) or host in seen_hosts or host == "web.archive.org":
            continue
        path = next((p for p in (tests / "eval" / entry["file"], tests / "cache" / entry["file"]) if p.exists()), None)
        if path is None:
            continue
        html = _DROP.sub(b"", path.read_bytes())
        seen_hosts.add(host)
        rows.append(
            {
                "url": url,
                "file": entry["file"],
                "with": entry.get("with", []),
                "without": entry.get("without", []),
                "html": html.decode("utf-8", "replace"),
            }
        )
        if len(rows) >= args.pages:
            break
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(OUT, "wt", encoding="utf-8", preset=9) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} pages from {len(seen_hosts)} sites -> {OUT} ({OUT.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
