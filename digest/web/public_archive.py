"""The public archive, when ``[web] public_archive = true`` (404 otherwise):

- ``GET /archive?page=N``                 past editions by date and language, newest first
- ``GET /archive/{date}/{language}``      one edition as a web page (the full edition,
                                          no address, no personal link)
- ``GET /archive/feed.xml``               an Atom feed of the latest editions

A past edition is one whose first send time has passed. Every page carries a
"Subscribe" call to action.
"""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree as ET

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from digest import i18n
from digest.daily import archive as archive_reads
from digest.web.archive import edition_listing, public_path
from digest.web.context import WebContext, context_of
from digest.web.pages import browser_language, root_path

PER_PAGE = 30
FEED_ENTRIES = 20
ATOM = "http://www.w3.org/2005/Atom"


def _archive_on(request: Request) -> WebContext:
    ctx = context_of(request)
    if not ctx.settings.web.public_archive:
        raise HTTPException(404)
    return ctx


async def archive_index(request: Request) -> Response:
    """GET /archive: one page of past editions."""
    ctx = _archive_on(request)
    language = browser_language(ctx, request)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    editions, total = await ctx.db(
        archive_reads.published, ctx.store, ctx.settings, now=ctx.now(), limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        raise HTTPException(404)
    root = root_path(request)
    rows = [
        (
            root + public_path(e),
            i18n.full_date(e.edition_date, language),
            e.language,
            i18n.language_name(e.language) if e.language in i18n.languages() else e.language,
        )
        for e in editions
    ]
    return ctx.render(
        request,
        "archive_index.html",
        language=language,
        private=False,
        rows=rows,
        page=page,
        pages=pages,
        total=total,
        feed_url=f"{root}/archive/feed.xml",
        subscribe_url=f"{root}/subscribe?lang={language}",
    )


async def archive_edition(request: Request) -> Response:
    """GET /archive/{date}/{language}: the full edition, public."""
    ctx = _archive_on(request)
    try:
        day = date.fromisoformat(request.path_params["date"])
    except ValueError:
        raise HTTPException(404) from None
    edition = await ctx.db(
        archive_reads.published_edition, ctx.store, ctx.settings, day, request.path_params["language"], now=ctx.now()
    )
    if edition is None:
        raise HTTPException(404)
    response = edition_listing(
        ctx,
        request,
        edition,
        private=False,
        subscribe_url=f"{root_path(request)}/subscribe?lang={edition.language}",
        archive_url=f"{root_path(request)}/archive",
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


async def archive_feed(request: Request) -> Response:
    """GET /archive/feed.xml: the latest past editions as an Atom feed."""
    ctx = _archive_on(request)
    editions, _ = await ctx.db(archive_reads.published, ctx.store, ctx.settings, now=ctx.now(), limit=FEED_ENTRIES)
    base = ctx.settings.newsletter.base_url.rstrip("/")
    default: str = ctx.settings.newsletter.language
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{base}/archive"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = ctx.newsletter
    ET.SubElement(feed, f"{{{ATOM}}}link", href=f"{base}/archive/feed.xml", rel="self")
    ET.SubElement(feed, f"{{{ATOM}}}link", href=f"{base}/archive", rel="alternate", type="text/html")
    ET.SubElement(feed, f"{{{ATOM}}}author").append(_text("name", ctx.newsletter))
    updated = max((e.built_at for e in editions if e.built_at), default=ctx.now())
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    for edition in editions:
        language = i18n.language_for(edition.language, default=default)
        url = base + public_path(edition)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        entry.set("{http://www.w3.org/XML/1998/namespace}lang", edition.language)
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}title").text = i18n.gettext(
            language,
            "%(newsletter)s, %(date)s",
            newsletter=edition.newsletter or ctx.newsletter,
            date=i18n.full_date(edition.edition_date, language),
        )
        ET.SubElement(entry, f"{{{ATOM}}}link", href=url, rel="alternate", type="text/html")
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = (edition.built_at or ctx.now()).isoformat()
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _text(tag: str, value: str) -> ET.Element:
    element = ET.Element(f"{{{ATOM}}}{tag}")
    element.text = value
    return element
