"""Rebuild the extraction sets in ``data/extraction/`` from clones of two public repositories.

    .venv/bin/python benchmarks/extraction_data.py --trafilatura PATH [--readability PATH] [--pages 160]

- ``pages.jsonl.xz`` (development) and ``heldout.jsonl.xz`` (held out): the news-like
  pages (a date in the URL path, or a news site) of trafilatura's own evaluation set
  (``tests/evaldata.json`` with the pages in ``tests/eval/`` and ``tests/cache/``), one
  page per site, sorted by URL: the first ``--pages`` sites are the development set, every
  later site is held out, so no site is in both. Each page keeps the snippets
  trafilatura's authors wrote for it: ``with`` (text of the article) and ``without``
  (text around it).
- ``tokens.jsonl.xz``: the real article pages among Mozilla Readability's test pages
  (``test/test-pages/*/source.html``), with their whole article text as the gold
  (``expected.html``, Readability's reviewed output, read as text without its figures and
  captions, which digest is asked to drop), for a token-level score; each page is marked
  ``dev`` or ``heldout`` by a hash of its name (about half each).

Pages lose their ``<style>``, ``<svg>``, comments and non-JSON-LD ``<script>`` blocks
(neither extractor reads them; they are most of the bytes). Only pages and annotations
are copied, never either project's code.
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import zlib
from pathlib import Path
from typing import Any

import lxml.html

DATA = Path(__file__).resolve().parent / "data" / "extraction"
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
#: Readability's test pages that are real articles (news, magazines, blogs), not
#: synthetic cases of one parsing rule, reference pages (Wikipedia, manuals) or section
#: fronts (nytimes-5 is a list of other stories' teasers, no article).
READABILITY_ARTICLES = (
    "aclu",
    "aktualne",
    "ars-1",
    "bbc-1",
    "breitbart",
    "buzzfeed-1",
    "citylab-1",
    "cnet",
    "cnn",
    "daringfireball-1",
    "dropbox-blog",
    "ehow-1",
    "ehow-2",
    "engadget",
    "firefox-nightly-blog",
    "folha",
    "gitlab-blog",
    "gmw",
    "guardian-1",
    "heise",
    "herald-sun-1",
    "iab-1",
    "la-nacion",
    "lemonde-1",
    "liberation-1",
    "lifehacker-working",
    "lwn-1",
    "medicalnewstoday",
    "medium-1",
    "medium-2",
    "medium-3",
    "msn",
    "nytimes-1",
    "nytimes-2",
    "nytimes-3",
    "nytimes-4",
    "pixnet",
    "qq",
    "quanta-1",
    "salon-1",
    "seattletimes-1",
    "simplyfound-1",
    "spiceworks",
    "telegraph",
    "theverge",
    "tmz-1",
    "topicseed-1",
    "wapo-1",
    "wapo-2",
    "webmd-1",
    "webmd-2",
    "yahoo-1",
    "yahoo-2",
    "yahoo-3",
    "yahoo-4",
    "youth",
)


def _write(name: str, rows: list[dict[str, Any]]) -> None:
    out = DATA / name
    out.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(out, "wt", encoding="utf-8", preset=9) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} pages -> {out} ({out.stat().st_size / 1e6:.1f} MB)")


def snippet_sets(repo: Path, dev_pages: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(development, held-out) pages of trafilatura's evaluation set, one per site."""
    tests = repo / "tests"
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
    return rows[:dev_pages], rows[dev_pages:]


def gold_text(expected_html: str) -> str:
    """The article text of Readability's expected output: paragraphs, no figures or captions."""
    root = lxml.html.fromstring(expected_html)
    for el in root.xpath("//figure | //figcaption | //script | //style | //noscript"):
        el.drop_tree()
    blocks = root.xpath("//p | //li | //h1 | //h2 | //h3 | //h4 | //h5 | //h6 | //blockquote | //pre | //td | //dd")
    texts = []
    for el in blocks:
        if any(a in blocks for a in el.iterancestors()):
            continue  # read with the enclosing block
        text = " ".join(el.text_content().split())
        if text:
            texts.append(text)
    return "\n\n".join(texts) if texts else " ".join(root.text_content().split())


def token_set(repo: Path) -> list[dict[str, Any]]:
    """Readability's real article pages with their gold text, split in two by name."""
    rows = []
    for name in READABILITY_ARTICLES:
        folder = repo / "test" / "test-pages" / name
        if not (folder / "source.html").exists():
            continue
        source = (folder / "source.html").read_bytes()
        tree = lxml.html.fromstring(source)
        declared = tree.xpath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content")
        url = next((str(u).strip() for u in declared if str(u).startswith("http")), f"https://{name}.example/article")
        rows.append(
            {
                "url": url,
                "file": name,
                "split": "heldout" if zlib.crc32(name.encode()) % 2 else "dev",
                "gold": gold_text((folder / "expected.html").read_text(encoding="utf-8")),
                "html": _DROP.sub(b"", source).decode("utf-8", "replace"),
            }
        )
    return rows


def main() -> None:
    """Write the sets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trafilatura", type=Path, required=True, help="a clone of adbar/trafilatura")
    parser.add_argument("--readability", type=Path, help="a clone of mozilla/readability")
    parser.add_argument("--pages", type=int, default=160, help="sites in the development set")
    args = parser.parse_args()
    dev, heldout = snippet_sets(args.trafilatura, args.pages)
    _write("pages.jsonl.xz", dev)
    _write("heldout.jsonl.xz", heldout)
    if args.readability is not None:
        _write("tokens.jsonl.xz", token_set(args.readability))


if __name__ == "__main__":
    main()
