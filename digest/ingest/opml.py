"""OPML 2.0 feed lists in and out: ``digest feeds import FILE.opml`` / ``digest feeds export``.

An outline with an ``xmlUrl`` is a feed; the folders (outlines without one) around it
name its category, the innermost folder winning; a ``category`` attribute on the
feed's own outline ("/Politique" or "Politique,Monde") is used when it has no folder.
Export writes one folder per category, feeds without a category at the top level,
so an export imports back to the same feeds and categories.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from digest.errors import SourceError
from digest.models import Feed


@dataclass(frozen=True)
class OpmlFeed:
    """One feed outline: its URL, title, category and the line it is on."""

    url: str
    title: str
    category: str
    line: int


def parse_opml(content: bytes, where: str) -> list[OpmlFeed]:
    """The feed outlines of an OPML document; SourceError when it is not one."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{where}: not an OPML file ({exc})") from None
    if root is None or etree.QName(root).localname != "opml":
        raise SourceError(f"{where}: not an OPML file (no <opml> element)")
    body = root.find("body")
    if body is None:
        raise SourceError(f"{where}: not an OPML file (no <body>)")
    out: list[OpmlFeed] = []

    def walk(node: etree._Element, folder: str) -> None:
        for outline in node.iterchildren("outline"):
            url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            label = " ".join((outline.get("text") or outline.get("title") or "").split())
            if url:
                own = (outline.get("category") or "").split(",")[0].strip().strip("/").split("/")[-1].strip()
                out.append(OpmlFeed(url, label, folder or own, outline.sourceline or 0))
            else:
                walk(outline, label or folder)

    walk(body, "")
    return out


def export_opml(feeds: Iterable[Feed], *, title: str, now: datetime) -> bytes:
    """An OPML 2.0 document listing ``feeds``, one folder per category."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(now)
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for feed in feeds:
        parent = body
        if feed.category:
            parent = folders.get(feed.category)
            if parent is None:
                parent = folders[feed.category] = etree.SubElement(
                    body, "outline", text=feed.category, title=feed.category
                )
        label = feed.title or feed.url
        attrs = {"type": "rss", "text": label, "title": label, "xmlUrl": feed.url}
        if feed.language:
            attrs["language"] = feed.language
        etree.SubElement(parent, "outline", attrs)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
