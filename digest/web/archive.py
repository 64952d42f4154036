"""GET /editions/{id}?t=token: the edition in the browser ("view in browser").

When the app was given an :class:`~digest.web.context.EditionPage` (the renderer's
HTML of the edition as the subscriber got it), that page is served as is; otherwise
the edition's stored items are shown as a plain, accessible page.
"""

from __future__ import annotations

from dataclasses import replace

from babel.dates import format_date
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from digest.models import EditionItem, ItemKind, Section
from digest.render import i18n
from digest.store import archive as archive_store
from digest.web.context import context_of
from digest.web.pages import NOT_FOUND, browser_language, message_page, subscriber_from_token

# The rendered email carries inline styles and remote images; nothing else is allowed.
EMAIL_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def _web_link(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def _safe(item: EditionItem) -> EditionItem:
    """The item without links a browser should not follow (javascript:, data:...)."""
    return replace(
        item,
        url=item.url if _web_link(item.url) else "",
        also_read=tuple(link for link in item.also_read if _web_link(link.url)),
    )


async def edition_page(request: Request) -> Response:
    """The edition named in the path, for the subscriber named by the token."""
    ctx = context_of(request)
    sub, error = await subscriber_from_token(ctx, request, "archive")
    if error is not None:
        return error
    assert sub is not None and sub.id is not None
    edition_id: int = request.path_params["edition_id"]
    if ctx.edition_page is not None:
        html = await ctx.db(ctx.edition_page, edition_id, sub.id)
        if html is not None:
            return HTMLResponse(
                html,
                headers={"Cache-Control": "private, no-store", "Content-Security-Policy": EMAIL_PAGE_CSP},
            )
    edition = await ctx.db(archive_store.edition, ctx.store, edition_id)
    if edition is None:
        language = browser_language(ctx, request)
        return message_page(
            ctx,
            request,
            language,
            *NOT_FOUND,
            status_code=404,
        )
    language = edition.language if edition.language in ("fr", "en") else sub.language
    date = format_date(edition.edition_date, format="full", locale=language)
    minutes = edition.reading_minutes
    top = tuple(Section(s.category, tuple(_safe(i) for i in s.items)) for s in edition.sections(ItemKind.TOP))
    return ctx.render(
        request,
        "archive.html",
        language=language,
        title=i18n.gettext(
            language, "%(newsletter)s, %(date)s", newsletter=edition.newsletter or ctx.newsletter, date=date
        ),
        reading_time=i18n.gettext(language, "Reading time: 1 minute")
        if minutes == 1
        else i18n.gettext(language, "Reading time: %(minutes)s minutes", minutes=minutes),
        top_sections=top,
        briefs=[_safe(i) for i in edition.briefs],
    )
