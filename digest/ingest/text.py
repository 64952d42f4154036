"""Untrusted HTML and messy text -> clean paragraphs; stored HTML sanitised with nh3.

Every body the store holds is plain text, paragraphs separated by one blank line,
whitespace collapsed, Unicode NFC. HTML from feeds or JSON Lines is never trusted:
the text is read from it (scripts, forms, navigation and figures dropped) and the
copy that is kept is cleaned by nh3 to a small set of harmless tags.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable

import lxml.html
import nh3
from lxml import etree

# Removed with everything inside them (nh3 otherwise keeps the text of a dropped tag).
_DROP_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "form",
        "nav",
        "aside",
        "button",
        "select",
        "textarea",
        "figure",
    }
)
# Elements whose text is never article text: those, and media and page metadata.
_DROP = _DROP_WITH_CONTENT | {
    "canvas",
    "input",
    "figcaption",
    "video",
    "audio",
    "picture",
    "img",
    "head",
    "title",
    "meta",
    "link",
}

# Elements that start and end a paragraph.
_BLOCK = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "td",
        "th",
        "hr",
        "address",
        "details",
        "summary",
        "body",
        "html",
    }
)

# What a stored body_html may contain: structure and emphasis, links, no media.
SAFE_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "cite",
        "code",
        "dd",
        "dl",
        "dt",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
_SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\ufeff]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v\u00a0]*\n")
_TAG_HINT = re.compile(r"<[a-zA-Z!/]")


def sanitize_html(markup: str) -> str:
    """``markup`` reduced by nh3 to :data:`SAFE_TAGS`; links get ``rel=noopener noreferrer nofollow``."""
    cleaned: str = nh3.clean(
        markup,
        tags=set(SAFE_TAGS),
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes={k: set(v) for k, v in _SAFE_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # Control characters are no text, and lxml (drop_blocks) refuses them.
    return _CONTROL.sub("", cleaned).strip()


def drop_blocks(markup: str, unwanted: Callable[[str], bool]) -> str:
    """Sanitised ``markup`` without the blocks (paragraphs, list items, headings...)
    whose text ``unwanted`` rejects, e.g. "Lire aussi" lines in a feed's HTML."""
    if not markup.strip():
        return ""
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    doomed = [
        el
        for el in root.iter("p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "dt", "dd")
        if unwanted(clean_line(el.text_content()))
    ]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    inner = (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return sanitize_html(inner)


def clean_line(text: str) -> str:
    """One line of text: NFC, no control characters, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    # str.split() splits on exactly the characters \s matches (str.isspace), several
    # times faster than substituting every space with a regex.
    return " ".join(text.split())


def inline_text(value: str) -> str:
    """A title or name that may carry tags or entities (feeds do) as plain one-line text."""
    if _TAG_HINT.search(value):
        return clean_line(" ".join(html_to_paragraphs(value)))
    return clean_line(html.unescape(value))


def text_to_paragraphs(text: str) -> list[str]:
    """Plain text -> paragraphs: split on blank lines, each paragraph on one line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [p for p in (clean_line(chunk) for chunk in _PARAGRAPH_BREAK.split(text)) if p]


def html_to_paragraphs(markup: str) -> list[str]:
    """The readable paragraphs of an HTML fragment or document.

    Block elements and ``<br><br>`` end a paragraph; a single ``<br>`` is a space.
    Scripts, forms, navigation, asides and figures contribute nothing.
    """
    if not markup.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return text_to_paragraphs(markup)
    collector = _Paragraphs()
    try:
        collector.walk(root)
    except RecursionError:  # absurdly deep nesting: settle for the plain text
        return text_to_paragraphs(root.text_content())
    collector.flush()
    return collector.out


class _Paragraphs:
    """Walks an lxml tree, cutting its text into paragraphs at block boundaries."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self._current: list[str] = []
        self._breaks = 0  # consecutive <br> since the last text

    def flush(self) -> None:
        line = clean_line("".join(self._current))
        if line:
            self.out.append(line)
        self._current.clear()
        self._breaks = 0

    def _add(self, text: str | None) -> None:
        if text:
            if text.strip():
                self._breaks = 0
            self._current.append(text)

    def walk(self, el: etree._Element) -> None:
        # Comments and processing instructions have no string tag and no text for the
        # reader; their tail (added by the parent) is ordinary text.
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag or tag in _DROP:
            return
        if tag == "br":
            self._breaks += 1
            if self._breaks >= 2:
                self.flush()
            else:
                self._current.append(" ")
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        self._add(el.text)
        for child in el:
            self.walk(child)
            self._add(child.tail)
        if block:
            self.flush()


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    """Paragraphs as one body: separated by a blank line."""
    return "\n\n".join(p for p in paragraphs if p)


def paragraphs_to_html(paragraphs: Iterable[str]) -> str:
    """Plain paragraphs as escaped ``<p>`` HTML."""
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs if p)


_ELLIPSIS = re.compile(r"(?:\s*(?:\[\s*(?:…|\.\.\.)\s*\]|…|\.\.\.)\s*)$")


def is_excerpt_of(summary: str, body: str) -> bool:
    """True when ``summary`` adds nothing to ``body``: empty, the body's opening words
    (often cut short with "…"), or most of the body itself."""
    summary = clean_line(summary)
    stem = _ELLIPSIS.sub("", summary).strip()
    flat = clean_line(body.replace("\n", " "))
    return not stem or flat.startswith(stem) or len(summary) >= 0.8 * len(flat)
