"""An HTML article page -> one Item: trafilatura finds the article, we keep its
paragraphs and drop the furniture it lets through.

trafilatura (maintained, precision mode) removes navigation, share bars, newsletter
boxes, related teasers, comment forms and scripts; "Lire aussi" lines inside the
article body and similar furniture are then removed by
:mod:`digest.text.boilerplate`. Metadata is read from the page's own declarations
first (schema.org JSON-LD, Open Graph / article: meta, ``<time datetime>``), which
carry the full publication time with its offset, and from trafilatura after that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import trafilatura
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Document

from digest.errors import SourceError
from digest.ingest.items import Item
from digest.ingest.teasers import drop_teaser_lists
from digest.ingest.text import clean_line, is_excerpt_of, join_paragraphs, paragraphs_to_html
from digest.text.boilerplate import strip_boilerplate
from digest.urls import host_of
from digest.words import word_count

_ELLIPSIS = re.compile(r"(?:\s*(?:\[\s*(?:…|\.\.\.)\s*\]|…|\.\.\.)\s*)$")

#: Under this many words, the page is read a second time more widely (see extract_page).
SHORT_ARTICLE_WORDS = 150

_ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle", "report"}
_ARTICLE_TYPES |= {"opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "liveblogposting"}


def looks_like_html(content: bytes) -> bool:
    """A cheap sniff: does ``content`` start like an HTML document?"""
    head = content[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head


def extract_page(content: bytes, where: str, *, url: str = "") -> Item:
    """The article on the page in ``content``, fetched from ``url`` ("" for a file).

    The article's URL is the page's canonical link when it points to the same site
    (a page cannot claim another site's article), else ``url``. Raises SourceError
    when no article text or no URL can be found.
    """
    tree = trafilatura.load_html(content)
    if tree is None:
        raise SourceError(f"{where}: not an HTML page")
    meta = _metadata(tree)
    article_url = _choose_url(url, meta.get("canonical", "") or meta.get("og:url", ""))
    if not article_url:
        raise SourceError(f"{where}: the page has no canonical link; give its address with --url URL")
    lead = _visible_lead(tree, meta.get("description", ""))
    drop_teaser_lists(tree)
    doc = _extract(tree, article_url, wide=False)
    if doc is None:
        raise SourceError(f"{where}: no article text found on the page")
    # trafilatura's own metadata search (htmldate among it) costs as much as the text:
    # only when the page's declarations lack the title or the date.
    info = _trafilatura_metadata(tree, article_url, meta)
    title = clean_line(meta.get("headline", "") or meta.get("og:title", "") or (info.title or ""))
    paragraphs = strip_boilerplate(_paragraphs(doc.body), title=title, labels=False)
    if word_count(" ".join(paragraphs)) < SHORT_ARTICLE_WORDS:
        # A short result often means the article sits in a table or a shape the
        # default mode judged too thin: read the page again more widely, keep the longer.
        again = trafilatura.load_html(content)
        drop_teaser_lists(again)
        wide = _extract(again, article_url, wide=True)
        if wide is not None:
            more = strip_boilerplate(_paragraphs(wide.body), title=title, labels=False)
            if word_count(" ".join(more)) > word_count(" ".join(paragraphs)):
                paragraphs = more
    if lead and paragraphs and not any(lead[:60] in p for p in paragraphs[:3]):
        # The standfirst shown above the text (the page's description, visible) is
        # part of the article; extractors often leave it out with the header around it.
        paragraphs.insert(0, lead)
    if not paragraphs:
        raise SourceError(f"{where}: no article text found on the page")
    body = join_paragraphs(paragraphs)
    description = clean_line(meta.get("description", "") or (info.description or ""))
    categories = list(info.categories or [])
    return Item(
        url=article_url,
        title=title,
        body=body,
        body_html=paragraphs_to_html(paragraphs),
        published_at=_published(meta, info.date or ""),
        category=meta.get("section", "") or (categories[0] if categories else ""),
        language=meta.get("language", ""),
        author=meta.get("author", "") or (info.author or ""),
        summary="" if is_excerpt_of(description, body) else description,
        source=meta.get("site_name", "") or (info.sitename or "") or host_of(article_url),
        where=where,
        plain_text=True,  # meta values and extracted text, not markup
        from_page=True,
    )


_BLOCKS = ("p", "div", "section", "header", "h2", "h3", "td", "li")
_NOT_TEXT = ("a", "figcaption", "figure", "script", "style", "noscript", "button", "nav", "footer", "aside", "form")


def _visible_lead(tree: Any, description: str) -> str:
    """The page's description where the page shows it as text (its standfirst), or ""."""
    words = _ELLIPSIS.sub("", description).split()
    if len(words) < 8:
        return ""
    key = " ".join(words[:6])
    for node in tree.xpath("//body//text()[contains(normalize-space(.), $key)]", key=key)[:5]:
        block = node.getparent()
        while block is not None and block.tag not in _BLOCKS:
            if block.tag in _NOT_TEXT:
                block = None
                break
            block = block.getparent()
        if block is None or any(a.tag in _NOT_TEXT for a in block.iterancestors()):
            continue
        text = clean_line(block.text_content())
        if text.startswith(key) and len(text) <= 2 * len(description) + 200 and len(text.split()) >= 8:
            return text
    return ""


def _trafilatura_metadata(tree: Any, url: str, meta: dict[str, str]) -> Document:
    """trafilatura's metadata of the page, searched only when ``meta`` lacks a title or a date."""
    has_title = meta.get("headline") or meta.get("og:title")
    has_date = meta.get("published") or meta.get("published_time_el")
    if has_title and has_date:
        return Document()
    found = extract_metadata(tree, default_url=url)
    return found if isinstance(found, Document) else Document()


def _extract(tree: Any, url: str, *, wide: bool) -> Any:
    """trafilatura's article (a Document with a body) or None; ``wide``: tables and recall mode."""
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=wide,
        include_images=False,
        favor_recall=wide,
    )
    return doc if isinstance(doc, Document) and doc.body is not None else None


# Where a <code> element is part of a block already read, not a code block of its own.
_CODE_INSIDE = frozenset({"p", "head", "item", "quote", "row", "cell", "code"})


def _paragraphs(body: Any) -> list[str]:
    """trafilatura's output tree: one paragraph per block (p, head, item, quote, table
    row, code block)."""
    out: list[str] = []
    for el in body.iter("p", "head", "item", "quote", "row", "code"):
        parent = el.getparent()
        if parent is not None and parent.tag == "quote" and el.tag == "p":
            continue  # read with its quote
        if el.tag == "code" and any(a.tag in _CODE_INSIDE for a in el.iterancestors()):
            continue  # inline code, read with its paragraph (or a code block's inner element)
        if el.tag != "row" and any(a.tag == "row" for a in el.iterancestors()):
            continue  # read with its table row
        if el.tag == "row":
            text = clean_line(" ".join(clean_line("".join(cell.itertext())) for cell in el))
        else:
            text = clean_line("".join(el.itertext()))
        if text:
            out.append(text)
    return out


def _choose_url(fetched: str, declared: str) -> str:
    if not declared:
        return fetched
    if not fetched:
        return declared
    a, b = host_of(fetched), host_of(declared)
    same_site = a == b or a.endswith("." + b) or b.endswith("." + a)
    return declared if same_site else fetched


def _metadata(tree: Any) -> dict[str, str]:
    """What the page declares about itself: canonical URL, dates, section, author."""
    meta: dict[str, str] = {}
    for href in tree.xpath("//link[@rel='canonical']/@href")[:1]:
        meta["canonical"] = str(href).strip()
    names = {
        "og:url": "og:url",
        "og:title": "og:title",
        "og:site_name": "site_name",
        "article:published_time": "published",
        "article:section": "section",
        "author": "author",
        "description": "description",
        "og:description": "description",
        "date": "published",
        "dc.date.issued": "published",
    }
    for el in tree.xpath("//meta[@content]"):
        key = (el.get("property") or el.get("name") or "").strip().lower()
        if key in names and names[key] not in meta:
            meta[names[key]] = clean_line(el.get("content") or "")
    for block in tree.xpath("//script[@type='application/ld+json']/text()"):
        for node in _ld_nodes(block):
            types = node.get("@type", "")
            types = [types] if isinstance(types, str) else list(types) if isinstance(types, list) else []
            if not {str(t).lower() for t in types} & _ARTICLE_TYPES:
                continue
            for src, dst in (("headline", "headline"), ("datePublished", "published"), ("articleSection", "section")):
                value = node.get(src)
                if isinstance(value, list):
                    value = value[0] if value else ""
                if isinstance(value, str) and value.strip():
                    meta[dst] = clean_line(value)
            author = _ld_name(node.get("author"))
            if author:
                meta["author"] = author
            break
    for value in tree.xpath("//article//time[@datetime]/@datetime | //time[@datetime]/@datetime")[:1]:
        meta.setdefault("published_time_el", str(value))
    lang = tree.xpath("/html/@lang")
    if lang:
        meta["language"] = str(lang[0]).strip()
    return meta


def _ld_nodes(block: str) -> Iterator[dict[str, Any]]:
    try:
        data = json.loads(block)
    except ValueError:
        return
    stack = [data]
    while stack:
        node = stack.pop(0)
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            yield node
            if isinstance(node.get("@graph"), list):
                stack.extend(node["@graph"])


def _ld_name(value: Any) -> str:
    if isinstance(value, list):
        names = [_ld_name(v) for v in value]
        return ", ".join(n for n in names if n)
    if isinstance(value, dict):
        return clean_line(str(value.get("name", "") or ""))
    return clean_line(value) if isinstance(value, str) else ""


def _published(meta: dict[str, str], fallback_date: str) -> datetime | None:
    """The most precise publication time the page gives, timezone-aware, or None."""
    for key in ("published", "published_time_el"):
        value = meta.get(key, "")
        if not value:
            continue
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    if fallback_date:
        try:
            day = datetime.fromisoformat(fallback_date[:10])
        except ValueError:
            return None
        return day.replace(tzinfo=UTC)
    return None
