"""RSS 0.9x, RSS 1.0 (RDF), RSS 2.0 and Atom 1.0 feeds -> Items, with feedparser
(JSON Feed by :mod:`digest.ingest.jsonfeed`).

The full text comes from ``content:encoded`` (RSS) or ``<content>`` (Atom) when the
feed has it, else from the description/summary. When both exist, the description is
kept as the publisher's standfirst, unless it is only the start of the body cut
short (many feeds put a truncated excerpt there).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from digest.errors import SourceError
from digest.ingest.items import Item
from digest.ingest.jsonfeed import looks_like_json_feed, parse_json_feed
from digest.ingest.text import html_to_paragraphs, inline_text, is_excerpt_of, text_to_paragraphs

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


@dataclass
class ParsedFeed:
    """A feed's items plus what could not be read, for the import report."""

    title: str
    items: list[Item]
    warnings: list[str] = field(default_factory=list)


def looks_like_feed(content: bytes) -> bool:
    """A cheap sniff: does ``content`` start like an RSS, Atom, RDF or JSON Feed document?"""
    if looks_like_json_feed(content):
        return True
    head = content[:2048].lstrip().lower()
    return (head.startswith(b"<?xml") or head.startswith(b"<")) and any(
        tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf")
    )


def parse_feed(content: bytes, where: str, *, url: str = "", content_type: str = "") -> ParsedFeed:
    """Items of the feed in ``content``; ``where`` names it in messages.

    Raises SourceError when nothing can be read from it; a feed that is broken
    part-way still yields the items before the break, with a warning.
    """
    if looks_like_json_feed(content):
        title, items, warnings = parse_json_feed(content, where)
        return ParsedFeed(title=title, items=items, warnings=warnings)
    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    parsed: Any = feedparser.parse(content, response_headers=headers)
    entries = list(parsed.get("entries", []))
    problem = _bozo_reason(parsed)
    if not entries:
        if problem or not parsed.get("version"):
            raise SourceError(f"{where}: not a valid RSS/Atom feed ({problem or 'no feed element'})")
        return ParsedFeed(title=inline_text(parsed.feed.get("title", "")), items=[])
    warnings = [f"{where}: feed is not well-formed ({problem}); read {len(entries)} items anyway"] if problem else []
    feed_info = parsed.get("feed", {})
    title = inline_text(feed_info.get("title", ""))
    language = str(feed_info.get("language", "") or "")
    items = [_item(entry, f"{where} item {n}", title, language) for n, entry in enumerate(entries, start=1)]
    return ParsedFeed(title=title, items=items, warnings=warnings)


def _bozo_reason(parsed: Any) -> str:
    if not parsed.get("bozo"):
        return ""
    exc = parsed.get("bozo_exception")
    # A feed declared in one encoding and served in another still parses; not worth a word.
    if exc is not None and type(exc).__name__ in ("CharacterEncodingOverride",):
        return ""
    text = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else "malformed"
    return text


def _item(entry: Any, where: str, feed_title: str, feed_language: str) -> Item:
    link = str(entry.get("link", "") or "")
    guid = str(entry.get("id", "") or "")
    if not link and guid.startswith(("http://", "https://")):
        link = guid
    body_html, body_text = _content(entry)
    summary_html = str(entry.get("summary", "") or "")
    summary = ""
    if body_html or body_text:
        summary = _standfirst(summary_html, body_html or body_text)
    elif summary_html:
        if _is_html(entry.get("summary_detail", {})):
            body_html = summary_html
        else:
            body_text = summary_html
    tags = entry.get("tags") or []
    category = str(tags[0].get("term", "") or "") if tags else ""
    return Item(
        url=link,
        title=str(entry.get("title", "") or ""),
        body=body_text,
        body_html=body_html,
        published_at=_date(entry),
        category=category,
        language=_entry_language(entry) or feed_language,
        author=str(entry.get("author", "") or ""),
        summary=summary,
        guid=guid,
        source=feed_title,
        where=f"{where} ({link or guid or 'no link'})",
    )


def _is_html(detail: Any) -> bool:
    return str(detail.get("type", "") or "text/html").lower() in _HTML_TYPES


def _content(entry: Any) -> tuple[str, str]:
    """(html, text): the richest full-text content of the entry, if any."""
    best: Any = None
    for content in entry.get("content") or []:
        if best is None or len(content.get("value", "")) > len(best.get("value", "")):
            best = content
    if best is None or not str(best.get("value", "")).strip():
        return "", ""
    value = str(best.get("value", ""))
    return (value, "") if _is_html(best) else ("", value)


def _standfirst(summary_html: str, body: str) -> str:
    """The description as a standfirst, or "" when it is only a cut-down body."""
    summary = " ".join(html_to_paragraphs(summary_html)) if "<" in summary_html else inline_text(summary_html)
    if not summary:
        return ""
    body_text = " ".join(html_to_paragraphs(body) if "<" in body else text_to_paragraphs(body))
    return "" if is_excerpt_of(summary, body_text) else summary


def _date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            # feedparser gives struct_time in UTC.
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _entry_language(entry: Any) -> str:
    for key in ("content", "summary_detail", "title_detail"):
        detail = entry.get(key)
        if isinstance(detail, list):
            detail = detail[0] if detail else None
        if detail is not None and detail.get("language"):
            return str(detail.get("language"))
    return ""
