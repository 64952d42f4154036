"""GET /editions/{id}?t=token: the edition in the browser ("view in browser").

The page is personal, so it is never indexed (``X-Robots-Tag`` and a meta robots tag)
and the token opens only the edition it was issued for (its scope is the edition id).
While the reader is subscribed, the page is the edition as they got it (the
renderer's :class:`~digest.web.context.EditionPage`, with their own links); once they
have left, or without a renderer, it is the full edition with no personal link
(:func:`edition_listing`). With the public archive on, it offers the edition's public
URL for sharing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from markupsafe import escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from digest import i18n
from digest.daily import archive as archive_reads
from digest.models import Edition, EditionItem, ItemKind, Section, SubscriberStatus
from digest.web.context import NOINDEX, WebContext, context_of
from digest.web.pages import NOT_FOUND, browser_language, message_page, root_path, subscriber_from_token

# The rendered email carries inline styles and remote images; nothing else is allowed.
EMAIL_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
_HEAD = re.compile(r"<head[^>]*>", re.I)
_BODY = re.compile(r"<body[^>]*>", re.I)


def _web_link(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def _safe(item: EditionItem) -> EditionItem:
    """The item without links a browser should not follow (javascript:, data:...)."""
    return replace(
        item,
        url=item.url if _web_link(item.url) else "",
        also_read=tuple(link for link in item.also_read if _web_link(link.url)),
    )


def public_path(edition: Edition) -> str:
    """The edition's path in the public archive: /archive/{date}/{language}."""
    return f"/archive/{edition.edition_date.isoformat()}/{edition.language}"


def edition_listing(
    ctx: WebContext, request: Request, edition: Edition, *, private: bool, share_url: str = "", **more: Any
) -> HTMLResponse:
    """The full edition as a web page: every section, no address, no personal link."""
    language = i18n.language_for(edition.language, default=ctx.settings.newsletter.language)
    minutes = edition.reading_minutes
    top = tuple(Section(s.category, tuple(_safe(i) for i in s.items)) for s in edition.sections(ItemKind.TOP))
    return ctx.render(
        request,
        "archive.html",
        language=language,
        private=private,
        title=i18n.gettext(
            language,
            "%(newsletter)s, %(date)s",
            newsletter=edition.newsletter or ctx.newsletter,
            date=i18n.full_date(edition.edition_date, language),
        ),
        reading_time=i18n.ngettext(language, "Reading time: %(num)d minute", "Reading time: %(num)d minutes", minutes),
        top_sections=top,
        # the briefs, then the light story that closes the edition ("Et enfin")
        briefs=[_safe(i) for i in edition.items if i.kind is not ItemKind.TOP],
        share_url=share_url,
        **more,
    )


def _share_banner(language: str, url: str) -> str:
    text = i18n.gettext(language, "Share this edition:")
    return (
        '<p style="margin:0;padding:10px 16px;font:15px/1.4 Helvetica,Arial,sans-serif;'
        f'background:#ffffff;color:#1d1d1b;text-align:center;">{escape(text)} '
        f'<a href="{escape(url)}" style="color:#8a3b12;">{escape(url)}</a></p>'
    )


def _personal_page(html: str, language: str, share_url: str) -> str:
    """The subscriber's message as a page: never indexed, and the share link on top."""
    meta = f'<meta name="robots" content="{NOINDEX}">'
    html = _HEAD.sub(lambda m: m.group(0) + meta, html, count=1) if _HEAD.search(html) else meta + html
    if share_url:
        html = _BODY.sub(lambda m: m.group(0) + _share_banner(language, share_url), html, count=1)
    return html


async def edition_page(request: Request) -> Response:
    """The edition named in the path, for the subscriber the token was issued to."""
    ctx = context_of(request)
    edition_id: int = request.path_params["edition_id"]
    found = await subscriber_from_token(ctx, request, "archive", scope=str(edition_id))
    if isinstance(found, Response):
        found.headers["X-Robots-Tag"] = NOINDEX
        return found
    sub, sub_id = found
    if ctx.edition_page is not None and sub.status is SubscriberStatus.CONFIRMED:
        html = await ctx.db(ctx.edition_page, edition_id, sub_id)
        if html is not None:
            edition = await ctx.db(archive_reads.edition, ctx.store, edition_id)
            language = i18n.language_for(
                edition.language if edition else sub.language, default=ctx.settings.newsletter.language
            )
            share_url = await _share_url(ctx, edition) if edition else ""
            return HTMLResponse(
                _personal_page(html, language, share_url),
                headers={
                    "Cache-Control": "private, no-store",
                    "Content-Security-Policy": EMAIL_PAGE_CSP,
                    "X-Robots-Tag": NOINDEX,
                },
            )
    # The reader left (or there is no renderer): the edition, nothing personal.
    edition = await ctx.db(archive_reads.edition, ctx.store, edition_id)
    if edition is None:
        return message_page(ctx, request, browser_language(ctx, request), *NOT_FOUND, status_code=404)
    return edition_listing(
        ctx,
        request,
        edition,
        private=True,
        share_url=await _share_url(ctx, edition),
        subscribe_url=f"{root_path(request)}/subscribe?lang={edition.language}",
    )


async def _share_url(ctx: WebContext, edition: Edition) -> str:
    """The edition's public URL when the archive is on and the edition is in it."""
    if edition.id is None or not ctx.settings.web.public_archive:
        return ""
    if not await ctx.db(archive_reads.is_published, ctx.store, ctx.settings, edition.id, now=ctx.now()):
        return ""
    return ctx.settings.newsletter.base_url.rstrip("/") + public_path(edition)
