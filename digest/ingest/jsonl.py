"""JSON Lines -> Items: one article per line, every bad line reported as ``file:line: why``.

Keys: ``url``, ``title``, ``body`` (plain text, paragraphs separated by a blank line)
or ``body_html``, ``published_at`` (ISO 8601 with a UTC offset), ``category``, and
optionally ``language``, ``author``, ``summary`` (the publisher's standfirst),
``guid`` and ``source`` (the publisher's name). Lines are decoded one by one, so a
line that is not UTF-8 costs only that line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from digest.ingest.items import Item

REQUIRED = ("url", "title", "published_at")
OPTIONAL = ("body", "body_html", "category", "language", "author", "summary", "guid", "source")
KEYS = REQUIRED + OPTIONAL

#: Deepest nesting accepted on a line: an article is one flat object.
MAX_DEPTH = 20
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass
class ParsedLines:
    """Items read from a JSON Lines source, and the lines that were refused."""

    items: list[Item] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _LineError(ValueError):
    pass


def looks_like_jsonl(content: bytes) -> bool:
    """Does the first non-blank line start a JSON object?"""
    for raw in content[:4096].splitlines():
        stripped = raw.strip().removeprefix(b"\xef\xbb\xbf").strip()
        if stripped:
            return stripped.startswith(b"{")
    return False


def parse_jsonl(content: bytes, where: str) -> ParsedLines:
    """Every line of ``content`` as an Item or a rejection naming ``where:line``."""
    out = ParsedLines()
    for number, raw in enumerate(content.split(b"\n"), start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        at = f"{where}:{number}"
        try:
            item, unknown = _parse_line(raw, at)
        except _LineError as exc:
            out.rejections.append(f"{at}: {exc}")
            continue
        out.items.append(item)
        if unknown:
            out.warnings.append(f"{at}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} ignored")
    return out


def _parse_line(raw: bytes, at: str) -> tuple[Item, list[str]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        raise _LineError(f"not UTF-8 (byte 0x{bad} at column {exc.start + 1})") from None
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise _LineError(f"invalid JSON: nested {depth} levels deep (at most {MAX_DEPTH})")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _LineError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of 5,000 digits
        raise _LineError(f"invalid JSON: {str(exc).splitlines()[0][:100]}") from None
    if not isinstance(record, dict):
        raise _LineError(f"expected a JSON object, got {_kind(record)}")
    values: dict[str, str] = {}
    for key in KEYS:
        value = record.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise _LineError(f"{key}: expected a string, got {_kind(value)}")
        values[key] = value
    for key in ("url", "title"):
        if not values.get(key, "").strip():
            raise _LineError(f"{key}: missing")
    if not values.get("body", "").strip() and not values.get("body_html", "").strip():
        raise _LineError("body: missing (give body or body_html)")
    if "published_at" not in values:
        raise _LineError("published_at: missing")
    item = Item(
        url=values["url"],
        title=values["title"],
        body=values.get("body", ""),
        body_html=values.get("body_html", ""),
        published_at=parse_timestamp(values["published_at"]),
        category=values.get("category", ""),
        language=values.get("language", ""),
        author=values.get("author", ""),
        summary=values.get("summary", ""),
        guid=values.get("guid", ""),
        source=values.get("source", ""),
        where=at,
        plain_text=True,
    )
    return item, sorted(str(k) for k in record if k not in KEYS)


def _depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings skipped), counted
    without recursion: json.loads would overflow the stack on ``[[[[...``."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp that must carry a UTC offset (``Z`` or ``+01:00``)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _LineError(f"published_at: not an ISO 8601 date and time: {value[:60]!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _LineError(f"published_at: no UTC offset in {value[:60]!r} (add Z or +01:00)")
    return parsed


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )
