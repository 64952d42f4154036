"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) -> Items.

feedparser reads RSS 0.9x, RSS 1.0 (RDF), RSS 2.0 and Atom; JSON Feed is read here,
with the same rules: ``content_html`` (else ``content_text``) is the full text, the
``summary`` its standfirst unless it is only the body's opening.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from digest.errors import SourceError
from digest.ingest.items import Item
from digest.ingest.text import html_to_paragraphs, inline_text, is_excerpt_of, text_to_paragraphs

_VERSION = "https://jsonfeed.org/version/"


def looks_like_json_feed(content: bytes) -> bool:
    """A cheap sniff: a JSON object naming a jsonfeed.org version near its start."""
    head = content[:4096].lstrip()
    return head.startswith(b"{") and b"jsonfeed.org/version" in head.replace(b"\\/", b"/")


def parse_json_feed(content: bytes, where: str) -> tuple[str, list[Item], list[str]]:
    """(feed title, items, warnings) of the JSON Feed in ``content``; SourceError when unreadable."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"{where}: not a valid JSON Feed ({exc})") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(_VERSION):
        raise SourceError(f"{where}: not a valid JSON Feed (no jsonfeed.org version)")
    title = inline_text(str(data.get("title", "") or ""))
    language = str(data.get("language", "") or "")
    entries = data.get("items")
    if not isinstance(entries, list):
        raise SourceError(f"{where}: not a valid JSON Feed (no items list)")
    items: list[Item] = []
    warnings: list[str] = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            warnings.append(f"{where} item {n}: not an object; skipped")
            continue
        items.append(_item(entry, f"{where} item {n}", title, language, data))
    return title, items, warnings


def _item(entry: dict[str, Any], where: str, feed_title: str, feed_language: str, feed: dict[str, Any]) -> Item:
    link = str(entry.get("url", "") or entry.get("external_url", "") or "")
    guid = str(entry.get("id", "") or "")
    if not link and guid.startswith(("http://", "https://")):
        link = guid
    body_html = str(entry.get("content_html", "") or "")
    body_text = "" if body_html else str(entry.get("content_text", "") or "")
    summary = str(entry.get("summary", "") or "")
    if not body_html and not body_text:
        body_text, summary = summary, ""
    elif summary:
        body = " ".join(html_to_paragraphs(body_html) if body_html else text_to_paragraphs(body_text))
        summary = "" if is_excerpt_of(inline_text(summary), body) else summary
    tags = entry.get("tags") or []
    return Item(
        url=link,
        title=str(entry.get("title", "") or ""),
        body=body_text,
        body_html=body_html,
        published_at=_date(entry.get("date_published") or entry.get("date_modified")),
        category=str(tags[0]) if isinstance(tags, list) and tags else "",
        language=str(entry.get("language", "") or "") or feed_language,
        author=_authors(entry) or _authors(feed),
        summary=summary,
        guid=guid,
        source=feed_title,
        where=f"{where} ({link or guid or 'no link'})",
    )


def _authors(node: dict[str, Any]) -> str:
    people = node.get("authors")
    if not isinstance(people, list):
        people = [node["author"]] if isinstance(node.get("author"), dict) else []
    names = [str(p.get("name", "")).strip() for p in people if isinstance(p, dict)]
    return ", ".join(n for n in names if n)


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
